//! What each kind of job runs: the image, services, variables, caches,
//! script and artifacts of a script job, an image build, an image publish
//! and a deployment.

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::release::{
    deploy_script, image_ref, push_script, release_patterns, sh_quote, tag_functions,
};
use pipec_emit::{Map, Yaml, coverage};
use pipec_graph::{
    CacheKind, CoverageFormat, Credential, Deploy, DeployMethod, EnvValue, EnvVar, Image, Job,
    JobKind, Publish, RegistryKind, ReportKind, RunJob, TagKind, Text, Tool,
};

use crate::images;
use crate::job::{Ctx, minutes};
use crate::matrix;
use crate::text::{display, gitlab_value, script as script_text, shell_arg, shell_word};

/// The kind-specific part of a job.
pub struct Body {
    pub image: Yaml,
    pub services: Vec<Yaml>,
    pub variables: Map,
    pub variables_note: Option<String>,
    pub environment: Option<Yaml>,
    pub resource_group: Option<String>,
    pub parallel: Option<Yaml>,
    pub cache: Vec<Yaml>,
    /// OIDC tokens the job asks GitLab for (trusted publishing).
    pub id_tokens: Option<Map>,
    pub script: Vec<Yaml>,
    pub coverage: Option<String>,
    pub artifacts: Option<Map>,
    /// A comment for the reader, written above the job.
    pub note: Option<String>,
}

impl Body {
    fn new(image: Yaml) -> Body {
        Body {
            image,
            services: Vec::new(),
            variables: Map::new(),
            variables_note: None,
            environment: None,
            resource_group: None,
            parallel: None,
            cache: Vec::new(),
            id_tokens: None,
            script: Vec::new(),
            coverage: None,
            artifacts: None,
            note: None,
        }
    }
}

/// The percentage on the `TOTAL` line pytest-cov prints with
/// `--cov-report=term` (GitLab's documented pattern, with `%` unescaped so that
/// ECMAScript-based schema validators accept it too).
pub const PYTEST_COV_TOTAL: &str = r"/TOTAL.*? (100(?:\.0+)?%|[1-9]?\d(?:\.\d+)?%)$/";

/// How long the image archive is kept: long enough for the publish job.
const ARCHIVE_EXPIRY: &str = "1 day";

pub fn body(ctx: &mut Ctx, job: &Job) -> Body {
    match &job.kind {
        JobKind::Run(r) => run(ctx, job, r),
        JobKind::BuildImage(i) => build(ctx, job, ctx.program.image(*i)),
        JobKind::PublishImage(p) => publish(ctx, job, ctx.program.publish(*p)),
        JobKind::Deploy(d) => deploy(ctx, job, d),
    }
}

/// Job and pipeline variables: text as GitLab expands it, secrets as the
/// CI/CD variable of that name. Texts GitLab cannot compute (the
/// seven-character short SHA) are exported by the script instead.
pub fn env_vars(
    ctx: &mut Ctx,
    job: Option<&Job>,
    vars: &[EnvVar],
    out: &mut Map,
    exports: &mut Vec<String>,
) {
    for v in vars {
        match &v.value {
            EnvValue::Secret(s) => {
                if let Some(name) = ctx.secret(job, s)
                    && name != v.name
                {
                    out.insert(v.name.clone(), format!("${{{name}}}"));
                }
            }
            EnvValue::Text(t) => match gitlab_value(t) {
                Some(value) => {
                    out.insert(v.name.clone(), value);
                }
                None => exports.push(format!("{n}={}\nexport {n}", shell_word(t), n = v.name)),
            },
        }
    }
}

/// A note naming the CI/CD variables a job reads directly.
fn secrets_note(job: &Job) -> Option<String> {
    let names: Vec<&str> = job
        .env
        .iter()
        .filter_map(|v| match &v.value {
            EnvValue::Secret(s) if s.name == v.name => Some(s.name.as_str()),
            _ => None,
        })
        .collect();
    (!names.is_empty()).then(|| format!("Also reads the CI/CD variables {}.", names.join(", ")))
}

/// Where each cache kind keeps its files, and the variable that points the
/// tool there.
fn cache_dirs(
    kind: CacheKind,
) -> (
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
) {
    match kind {
        CacheKind::Pip => (
            &[("PIP_CACHE_DIR", "${CI_PROJECT_DIR}/.cache/pip")],
            &[".cache/pip"],
        ),
        CacheKind::Poetry => (
            &[
                ("PIP_CACHE_DIR", "${CI_PROJECT_DIR}/.cache/pip"),
                ("POETRY_CACHE_DIR", "${CI_PROJECT_DIR}/.cache/pypoetry"),
            ],
            &[".cache/pip", ".cache/pypoetry"],
        ),
        CacheKind::Npm => (&[("npm_config_cache", "${CI_PROJECT_DIR}/.npm")], &[".npm"]),
        CacheKind::Go => (
            &[
                ("GOMODCACHE", "${CI_PROJECT_DIR}/.cache/go-mod"),
                ("GOCACHE", "${CI_PROJECT_DIR}/.cache/go-build"),
            ],
            &[".cache/go-mod", ".cache/go-build"],
        ),
        CacheKind::Cargo => (
            &[("CARGO_HOME", "${CI_PROJECT_DIR}/.cargo")],
            &[
                ".cargo/registry/index",
                ".cargo/registry/cache",
                ".cargo/git/db",
            ],
        ),
        CacheKind::CargoTarget => (&[], &["target"]),
        CacheKind::Pnpm => (
            &[("npm_config_store_dir", "${CI_PROJECT_DIR}/.pnpm-store")],
            &[".pnpm-store"],
        ),
        CacheKind::Yarn => (
            &[("YARN_CACHE_FOLDER", "${CI_PROJECT_DIR}/.yarn-cache")],
            &[".yarn-cache"],
        ),
        CacheKind::Gradle => (
            &[("GRADLE_USER_HOME", "${CI_PROJECT_DIR}/.gradle")],
            &[".gradle/caches", ".gradle/wrapper"],
        ),
        CacheKind::Maven => (
            &[(
                "MAVEN_OPTS",
                "-Dmaven.repo.local=${CI_PROJECT_DIR}/.m2/repository",
            )],
            &[".m2/repository"],
        ),
    }
}

/// GitLab's limits: two key files per cache, four caches per job.
const MAX_KEY_FILES: usize = 2;
const MAX_CACHES: usize = 4;

fn caches(ctx: &mut Ctx, job: &Job, r: &RunJob, body: &mut Body) {
    if r.caches.len() > MAX_CACHES {
        ctx.diags.push(
            Diagnostic::new(
                code::GITLAB_CACHE_KEY,
                job.span,
                format!(
                    "`{}` has {} caches; a GitLab job has at most {MAX_CACHES}",
                    job.name,
                    r.caches.len()
                ),
            )
            .label("too many caches for GitLab")
            .help(format!(
                "keep at most {MAX_CACHES} caches in the job, or split its work into two jobs"
            )),
        );
    }
    for c in &r.caches {
        let (vars, paths) = cache_dirs(c.kind);
        for (k, v) in vars {
            body.variables.insert(*k, *v);
        }
        if c.key_files.len() > MAX_KEY_FILES {
            ctx.diags.push(
                Diagnostic::new(
                    code::GITLAB_CACHE_KEY,
                    job.span,
                    format!(
                        "the {} cache of `{}` is keyed on {} files; GitLab keys a cache on at most {MAX_KEY_FILES}",
                        c.kind.name(),
                        job.name,
                        c.key_files.len()
                    ),
                )
                .label("cache keyed on too many files for GitLab")
                .help("key it on at most two patterns; a glob such as \"requirements*.txt\" covers several files"),
            );
        }
        let mut key = Map::new();
        if !c.key_files.is_empty() {
            key.insert(
                "files",
                c.key_files
                    .iter()
                    .map(|g| g.as_str().to_string())
                    .collect::<Vec<_>>(),
            );
        }
        // Instances on Arm and x64 runners keep their caches apart.
        let runners = job.runners();
        if runners.len() > 1 && runners.contains(&pipec_graph::Runner::UbuntuArm) {
            key.insert(
                "prefix",
                format!("{}-${{{}}}", c.kind.name(), crate::job::RUNNER_TAG),
            );
        } else {
            key.insert("prefix", c.kind.name());
        }
        let mut entry = Map::new();
        entry.insert("key", key);
        entry.insert("paths", paths.to_vec());
        body.cache.push(Yaml::Map(entry));
    }
    // Trivy's vulnerability database, which every scan would download again
    // (about 60 MB); Trivy refreshes it when it is out of date, and the job
    // saves the new one. Protected refs (release tags) keep caches apart
    // from other refs by default, so a release is not scanned against a
    // database an unprotected branch wrote. Only where GitLab's limit leaves
    // room: the cache only saves time.
    let trivy = r.has_tool(Tool::Trivy);
    if trivy && r.caches.len() < MAX_CACHES {
        body.variables
            .insert("TRIVY_CACHE_DIR", "${CI_PROJECT_DIR}/.cache/trivy");
        body.cache.push(Yaml::Map(pipec_emit::yaml::map([
            ("key", Yaml::from("trivy-db")),
            ("paths", vec![".cache/trivy/db"].into()),
        ])));
    }
}

fn run(ctx: &mut Ctx, job: &Job, r: &RunJob) -> Body {
    // The runtime's image, else the first tool's; the other tools are
    // installed into it.
    let imaged = r.runtime().or(r.tools.first());
    let image = match (imaged, &r.container) {
        (Some(tc), _) => {
            let version = ctx.value(&tc.version, job.span, "the tool's version");
            images::tool_image(tc, &version)
        }
        (None, Some(c)) => Yaml::Str(ctx.value(
            c,
            r.container_span.unwrap_or(job.span),
            "the job's container image",
        )),
        (None, None) => images::image(images::DEFAULT.to_string(), false),
    };
    let mut body = Body::new(image);
    for s in &r.services {
        let mut m = Map::new();
        m.insert(
            "name",
            ctx.value(&s.image, s.span, "a service container's image"),
        );
        m.insert("alias", s.name.clone());
        let mut vars = Map::new();
        // A service container runs no script that could compute a value.
        let mut exports = Vec::new();
        env_vars(ctx, Some(job), &s.env, &mut vars, &mut exports);
        if !exports.is_empty() {
            ctx.no_variable(s.span, "a service container's variables");
        }
        if !vars.is_empty() {
            m.insert("variables", vars);
        }
        body.services.push(Yaml::Map(m));
    }
    let mut exports = Vec::new();
    env_vars(ctx, Some(job), &job.env, &mut body.variables, &mut exports);
    body.variables_note = secrets_note(job);
    if r.full_history {
        // The whole history, not GitLab's default shallow clone.
        body.variables.insert("GIT_DEPTH", "0");
    }
    caches(ctx, job, r, &mut body);
    if let Some(m) = &job.matrix {
        let count = matrix::combinations(m).len();
        let problem = if count == 0 {
            Some((
                format!("the matrix of `{}` leaves no combination to run", job.name),
                "no combination is left",
                "keep at least one combination out of the `exclude` statements",
            ))
        } else if count > matrix::MAX_JOBS {
            Some((
                format!(
                    "the matrix of `{}` has {count} combinations; GitLab runs at most {}",
                    job.name,
                    matrix::MAX_JOBS
                ),
                "too many combinations for GitLab",
                "exclude the combinations you do not need, drop values from an axis, or split the job",
            ))
        } else {
            None
        };
        if let Some((message, label, help)) = problem {
            ctx.diags.push(
                Diagnostic::new(code::GITLAB_MATRIX, job.span, message)
                    .label(label)
                    .help(help),
            );
        }
        body.parallel = Some(matrix::parallel(m, runner_tags(job).as_ref()));
    }
    body.script.extend(exports.into_iter().map(Yaml::Str));
    for tc in r.tools.iter().filter(|t| Some(*t) != imaged) {
        body.script.push(Yaml::Str(install(job, tc)));
    }
    for step in &r.steps {
        let script = script_text(&step.script);
        // A step's name, unless it is just the start of its command, becomes
        // a comment line: GitLab echoes each command in the job log. It is
        // one line whatever the name holds (line breaks and control
        // characters escaped), so no part of it runs.
        let name = display(&step.name);
        let said = display(&step.script)
            .trim_start()
            .starts_with(name.trim_end_matches('…'));
        body.script.push(Yaml::Str(if name.is_empty() || said {
            script
        } else {
            format!("# {}\n{script}", pipec_emit::yaml::comment_text(&name))
        }));
    }
    if let Some(u) = &r.upload {
        crate::upload::upload(u, &mut body);
    }
    if let Some(gate) = coverage::gate_script(r) {
        for (var, rep) in &gate.env {
            let value = ctx.value(&rep.path, rep.span, "a report's path");
            body.variables.insert(var.clone(), value);
        }
        body.script.push(Yaml::Str(gate.script));
    }
    artifacts(ctx, r, &mut body);
    body
}

/// For a job whose instances run on the hosted runner a matrix axis names,
/// the axis and the runner tag of each of its values.
fn runner_tags(job: &Job) -> Option<(String, Vec<(String, String)>)> {
    let pipec_graph::Runner::Matrix(axis) = &job.runner else {
        return None;
    };
    let tags = job
        .runners()
        .iter()
        .filter_map(|r| {
            Some((
                r.word()?.to_string(),
                crate::job::hosted_tag(r)?.to_string(),
            ))
        })
        .collect();
    Some((axis.clone(), tags))
}

/// The script that installs a tool the job's image does not have, from its
/// pinned release archive, into the project directory; the tool is on the
/// path for the rest of the job's script (GitLab runs it in one shell).
fn install(job: &Job, tc: &pipec_graph::Toolchain) -> String {
    use pipec_graph::Runner;
    let word = shell_word(&tc.version);
    let version = word.as_str();
    let pinned = tc.version.as_literal();
    let script = |arch: &str| {
        pipec_emit::tools::install_script(
            tc.tool,
            version,
            pinned.as_deref(),
            arch,
            "$CI_PROJECT_DIR/.pipec-tools",
        )
        .unwrap_or_default()
    };
    let runners = job.runners();
    let arm = runners.contains(&Runner::UbuntuArm);
    let body = if arm && runners.len() > 1 {
        // Instances on Arm and x64 runners: each installs its own archive.
        format!(
            "case \"$(uname -m)\" in\naarch64|arm64)\n{}  ;;\n*)\n{}  ;;\nesac\n",
            script("arm64"),
            script("x64")
        )
    } else {
        script(if arm { "arm64" } else { "x64" })
    };
    // In a subshell: `set -eu` and `cd` stay out of the job's own script.
    format!("(\n{body})\nexport PATH=\"$CI_PROJECT_DIR/.pipec-tools/bin:$PATH\"")
}

fn artifacts(ctx: &mut Ctx, r: &RunJob, body: &mut Body) {
    let mut reports = Map::new();
    let mut paths: Vec<String> = Vec::new();
    for a in &r.artifacts {
        for path in &a.paths {
            paths.push(ctx.value(path, a.span, "an artifact's path"));
        }
    }
    for rep in &r.reports {
        let path = ctx.value(&rep.path, rep.span, "a report's path");
        match rep.kind {
            ReportKind::Junit => {
                reports.insert("junit", path);
            }
            ReportKind::Coverage => {
                // GitLab shows Cobertura and JaCoCo reports; others are kept.
                match rep.format {
                    Some(f @ (CoverageFormat::Cobertura | CoverageFormat::Jacoco)) => {
                        let mut c = Map::new();
                        c.insert("coverage_format", f.name());
                        c.insert("path", path);
                        reports.insert("coverage_report", c);
                    }
                    _ => paths.push(path),
                }
                body.coverage = Some(if coverage::gated(r).is_empty() {
                    PYTEST_COV_TOTAL.to_string()
                } else {
                    coverage::SUMMARY_REGEX.to_string()
                });
            }
            // GitLab has no SARIF report type: the file is kept as an artifact.
            ReportKind::Sarif => paths.push(path),
        }
    }
    if paths.is_empty() && reports.is_empty() {
        return;
    }
    let mut a = Map::new();
    if !paths.is_empty() {
        a.insert("paths", paths);
    }
    if !reports.is_empty() {
        a.insert("reports", reports);
    }
    if !r.reports.is_empty() {
        // Test reports matter most when the tests fail.
        a.insert("when", "always");
    }
    // The longest expiry asked for; GitLab's default when one is unbounded.
    let expiries: Vec<_> = r.artifacts.iter().map(|a| a.expire).collect();
    if !expiries.is_empty()
        && expiries.iter().all(Option::is_some)
        && let Some(longest) = expiries.into_iter().flatten().max()
    {
        a.insert("expire_in", minutes(longest));
    }
    body.artifacts = Some(a);
}

/// The Docker daemon the build and publish jobs talk to.
fn docker(body: &mut Body) {
    let mut dind = Map::new();
    dind.insert("name", images::DOCKER_DAEMON);
    dind.insert("alias", "docker");
    body.services.push(Yaml::Map(dind));
    // TLS between the CLI and the daemon, with certificates the daemon writes.
    body.variables.insert("DOCKER_TLS_CERTDIR", "/certs");
}

/// `docker login` for a registry, reading credentials from CI/CD variables.
fn login(ctx: &mut Ctx, job: &Job, p: &Publish) -> String {
    let r = &p.registry;
    if r.kind == RegistryKind::GitLab {
        return "printf '%s' \"$CI_REGISTRY_PASSWORD\" | docker login --username \"$CI_REGISTRY_USER\" --password-stdin \"$CI_REGISTRY\"".to_string();
    }
    let user = match &r.username {
        Some(Credential::Literal(u)) => Some(sh_quote(u)),
        Some(Credential::Secret(s)) => ctx.secret(Some(job), s).map(|n| format!("\"${n}\"")),
        // Only GHCR may be declared without credentials (GitHub Actions has a
        // token for it); on GitLab they come from these variables.
        None => {
            ctx.uses_variable(Some(job), "GHCR_USERNAME", false);
            Some("\"$GHCR_USERNAME\"".to_string())
        }
    };
    let password = match &r.password {
        Some(Credential::Secret(s)) => ctx.secret(Some(job), s),
        Some(Credential::Literal(_)) | None => {
            ctx.uses_variable(Some(job), "GHCR_TOKEN", true);
            Some("GHCR_TOKEN".to_string())
        }
    };
    let host = if r.kind == RegistryKind::DockerHub {
        "docker.io"
    } else {
        r.host.as_str()
    };
    format!(
        "printf '%s' \"${}\" | docker login --username {} --password-stdin {}",
        password.unwrap_or_default(),
        user.unwrap_or_default(),
        sh_quote(host)
    )
}

fn build(ctx: &mut Ctx, job: &Job, image: &Image) -> Body {
    let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
    docker(&mut body);
    if image.platforms.len() > 1 {
        ctx.diags.push(
            Diagnostic::new(
                code::GITLAB_PLATFORMS,
                image.span,
                format!(
                    "image `{}` is built for {} platforms; the GitLab pipeline hands images between jobs as a one-platform archive",
                    image.name,
                    image.platforms.len()
                ),
            )
            .label("an image archive holds one platform")
            .help("build one platform per image, each with its own `publish`"),
        );
    }
    let mut args = vec![
        "docker build".to_string(),
        format!("--file {}", shell_arg(&image.dockerfile)),
    ];
    if let Some(t) = &image.target {
        args.push(format!("--target {}", shell_arg(t)));
    }
    if let [platform] = image.platforms.as_slice() {
        args.push(format!("--platform {}", sh_quote(platform)));
    }
    for (name, value) in &image.build_args {
        let mut t = Text::lit(format!("{name}="));
        t.parts.extend(value.parts.iter().cloned());
        args.push(format!("--build-arg {}", shell_word(&t)));
    }
    let mut script = String::new();
    // A registry layer cache: each pushed image carries its build cache
    // (inline), and the next build reuses the layers of its branch's image and
    // of the default branch's.
    let cached: Vec<&Publish> = ctx
        .program
        .publishes_of(image.id)
        .filter(|p| p.layer_cache && p.tags.iter().any(|t| t.kind == TagKind::Branch))
        .collect();
    if !cached.is_empty() {
        script.push_str("set -eu\n");
        script.push_str(&tag_functions(ctx.program));
        if cached
            .iter()
            .any(|p| p.registry.kind == RegistryKind::GitLab)
        {
            script.push_str(&login(ctx, job, cached[0]));
            script.push('\n');
        }
        args.push("--build-arg BUILDKIT_INLINE_CACHE=1".to_string());
        for p in &cached {
            let name = image_ref(p);
            args.push(format!("--cache-from {name}:\"$(pipec_branch_tag)\""));
            args.push(format!(
                "--cache-from {name}:\"$(PIPEC_REF_NAME=\"$CI_DEFAULT_BRANCH\"; pipec_branch_tag)\""
            ));
        }
    }
    args.push(format!("--tag {}", sh_quote(&image.local_ref())));
    args.push(shell_arg(&image.context));
    script.push_str(&args.join(" \\\n  "));
    script.push('\n');
    script.push_str(&format!(
        "docker image save {} --output {}\n",
        sh_quote(&image.local_ref()),
        sh_quote(&image.archive())
    ));
    body.script.push(Yaml::Str(script));
    let mut a = Map::new();
    a.insert("paths", vec![image.archive()]);
    a.insert("expire_in", ARCHIVE_EXPIRY);
    body.artifacts = Some(a);
    body
}

fn publish(ctx: &mut Ctx, job: &Job, p: &Publish) -> Body {
    let image = ctx.program.image(p.image);
    let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
    docker(&mut body);
    body.script.push(Yaml::Str(format!(
        "docker image load --input {}",
        sh_quote(&image.archive())
    )));
    body.script.push(Yaml::Str(login(ctx, job, p)));
    body.script.push(Yaml::Str(push_script(
        p,
        &image.local_ref(),
        &release_patterns(ctx.program, p),
    )));
    // Values of the run that tags written in the program show, in the
    // variables the push script reads; the SHA, the ref name and the inputs
    // are pipeline variables already.
    for rule in &p.tags {
        if let TagKind::Literal(t) = &rule.kind {
            for part in t.variables() {
                let Some(var) = pipec_emit::release::run_var(part) else {
                    continue;
                };
                if var == "PIPEC_SHA" || var == "PIPEC_REF_NAME" || var.starts_with("PIPEC_INPUT_")
                {
                    continue;
                }
                let value = ctx.value(
                    &Text {
                        parts: vec![part.clone()],
                    },
                    p.span,
                    "an image tag",
                );
                body.variables.insert(var, value);
            }
        }
    }
    body.note = Some(match (p.registry.kind, &p.registry.password) {
        (RegistryKind::GitLab, _) => {
            "Pushes to the project's container registry with the job's own credentials.".to_string()
        }
        (_, None) => "Logs in to ghcr.io with the protected CI/CD variables GHCR_USERNAME and\nGHCR_TOKEN (a token with the write:packages scope).".to_string(),
        _ => "Registry credentials are protected, masked CI/CD variables.".to_string(),
    });
    body
}

fn deploy(ctx: &mut Ctx, job: &Job, d: &Deploy) -> Body {
    let env = ctx.program.environment(d.env);
    let (image, variable, prologue) = match &d.method {
        DeployMethod::ArgoCd => {
            let token = ctx.program.gitops.as_ref().and_then(|g| g.token.as_ref());
            let mut prologue = Vec::new();
            let variable = match token {
                Some(t) => ctx.secret(Some(job), t),
                None => {
                    // The job token cannot push: the project's own repository is
                    // written with a project access token, and the push starts
                    // no pipeline of its own.
                    ctx.uses_variable(Some(job), "PIPEC_GITOPS_TOKEN", true);
                    prologue.push(concat!(
                        "git remote set-url origin \"$CI_SERVER_URL/$CI_PROJECT_PATH.git\"\n",
                        "git config http.extraHeader \"Authorization: Basic $(printf 'pipec:%s' \"$PIPEC_GITOPS_TOKEN\" | base64 | tr -d '\\n')\"\n",
                        "git config push.pushOption ci.skip"
                    ).to_string());
                    None
                }
            };
            (
                images::image(images::GIT.to_string(), true),
                variable.map(|v| ("PIPEC_GITOPS_TOKEN", v)),
                prologue,
            )
        }
        DeployMethod::Kubectl { kubeconfig } => (
            images::image(images::KUBECTL.to_string(), false),
            ctx.secret(Some(job), kubeconfig)
                .map(|v| ("PIPEC_KUBECONFIG", v)),
            Vec::new(),
        ),
    };
    let mut body = Body::new(image);
    let variable_source = variable.as_ref().map(|(_, secret)| secret.clone());
    if let Some((name, secret)) = variable {
        body.variables.insert(name, format!("${{{secret}}}"));
    }
    body.script.extend(prologue.into_iter().map(Yaml::Str));
    body.script.push(Yaml::Str(deploy_script(ctx.program, d)));
    let mut e = Map::new();
    e.insert("name", env.name.clone());
    if let Some(url) = &env.url {
        let span = env.span;
        e.insert_opt(
            "url",
            ctx.server_value(&Text::lit(url.as_str()), span, "the environment's URL"),
        );
    }
    e.insert("deployment_tier", env.tier.name());
    body.environment = Some(Yaml::Map(e));
    body.resource_group = Some(format!("deploy-{}", pipec_emit::layout::env_name(env)));
    let gate = if env.is_manual() {
        format!(
            "Deploys to `{}` when someone runs it, after {} approval{}: protect the\nenvironment with that many required approvals (Settings > CI/CD > Protected environments).",
            env.name,
            env.approvals,
            if env.approvals == 1 { "" } else { "s" }
        )
    } else {
        format!("Deploys to `{}` automatically.", env.name)
    };
    let secret = match (&d.method, variable_source) {
        (DeployMethod::ArgoCd, Some(s)) => {
            format!("PIPEC_GITOPS_TOKEN comes from {s}, a protected, masked CI/CD variable.")
        }
        (DeployMethod::ArgoCd, None) => "PIPEC_GITOPS_TOKEN is a protected, masked CI/CD variable: a project access\ntoken with the write_repository scope.".to_string(),
        (DeployMethod::Kubectl { .. }, s) => format!(
            "PIPEC_KUBECONFIG comes from {}, a protected CI/CD variable of type\nVariable (not File) holding the kubeconfig.",
            s.unwrap_or_default()
        ),
    };
    body.note = Some(format!("{gate}\n{secret}"));
    body
}
