//! What each kind of job runs: the image, services, variables, caches,
//! script and artifacts of a script job; image builds, publishes and
//! deployments are in [`crate::release`].

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::{Map, Yaml, coverage};
use pipec_graph::{
    CacheKind, CoverageFormat, EnvValue, EnvVar, Job, JobKind, ReportKind, RunJob, Tool,
};

use crate::images;
use crate::job::{Ctx, minutes};
use crate::matrix;
use crate::text::{display, gitlab_value, script as script_text, shell_word};

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
    pub fn new(image: Yaml) -> Body {
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

pub fn body(ctx: &mut Ctx, job: &Job) -> Body {
    match &job.kind {
        JobKind::Run(r) => run(ctx, job, r),
        JobKind::BuildImage(i) => crate::release::build(ctx, ctx.program.image(*i)),
        JobKind::PublishImage(p) => crate::release::publish(ctx, job, ctx.program.publish(*p)),
        JobKind::Deploy(d) => crate::release::deploy(ctx, job, d),
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
    if !r.images.is_empty() && r.has_tool(Tool::Trivy) {
        // Images come through the project's registry (`{{ image.ref }}`),
        // which Trivy reads with the job's own credentials.
        body.variables
            .insert("TRIVY_USERNAME", "${CI_REGISTRY_USER}");
        body.variables
            .insert("TRIVY_PASSWORD", "${CI_REGISTRY_PASSWORD}");
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
    // After the tools are installed, so the services have had that long to
    // start; before the steps, which need them.
    for s in &r.services {
        if let Some(h) = &s.health {
            body.script
                .push(Yaml::Str(pipec_emit::health::wait_script(&s.name, h)));
        }
    }
    for step in &r.steps {
        let script = pipec_emit::platforms::per_platform(
            &script_text(&step.script),
            &pipec_emit::platforms::scanned_platforms(ctx.program, &step.script),
        );
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
    if let Some(rel) = &r.release {
        crate::tag_release::keep(rel, &mut body);
    }
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
