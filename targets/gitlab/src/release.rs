//! Images and deployments on GitLab CI, with the release shell every target
//! shares (`pipec_emit::release`).
//!
//! Images travel between jobs through the project's container registry,
//! never as artifacts (an image archive is larger than a self-managed
//! GitLab's default 100 MB artifact limit): the build job pushes
//! `$CI_REGISTRY_IMAGE/pipec-ci/<image>:<commit>` — once per commit: a
//! later pipeline of the same commit (a release tag, a re-run) finds it and
//! builds nothing — and the publish job copies that image to its registry by
//! digest. The publish job hands `<tag>@<digest>` to the deployments in a
//! dotenv report.
//!
//! Deployments started by hand ("Run pipeline" on the ref to deploy, with
//! `PIPEC_DEPLOY_ENVIRONMENT` set to the environment) are pipelines of their
//! own: every other job stays out of them; `resolve_<image>` finds the
//! ref's published image, and `redeploy_<environment>` ships it with the
//! environment, gates and resource group of the CI deployment.

use pipec_diagnostics::code;
use pipec_emit::release::{
    self, DOTENV_REPORT, Source, deploy_script, helpers_for, image_ref, publish_script,
    resolve_script, sh_quote,
};
use pipec_emit::{Map, Yaml, layout, platforms};
use pipec_graph::{
    Credential, Deploy, DeployMethod, Image, Job, JobKind, Publish, RegistryKind, TagKind, Text,
};

use crate::body::Body;
use crate::images;
use crate::job::Ctx;
use crate::text::{shell_arg, shell_word};

/// The variable naming the environment of a deployment started by hand.
pub const DEPLOY_VARIABLE: &str = "PIPEC_DEPLOY_ENVIRONMENT";

/// How long the release report is kept: long enough for an approval.
const REPORT_EXPIRY: &str = "30 days";

/// The image a build job leaves for the jobs after it, as a shell word.
pub fn ci_image(image: &Image) -> String {
    format!(
        "\"$CI_REGISTRY_IMAGE/pipec-ci/{}:$CI_COMMIT_SHA\"",
        image.name
    )
}

/// The Docker daemon the build and publish jobs talk to.
fn docker(body: &mut Body) {
    let mut dind = Map::new();
    dind.insert("name", images::pinned(images::DOCKER_DAEMON));
    dind.insert("alias", "docker");
    body.services.push(Yaml::Map(dind));
    // TLS between the CLI and the daemon, with certificates the daemon writes.
    body.variables.insert("DOCKER_TLS_CERTDIR", "/certs");
}

const CI_LOGIN: &str = "printf '%s' \"$CI_REGISTRY_PASSWORD\" | docker login --username \"$CI_REGISTRY_USER\" --password-stdin \"$CI_REGISTRY\"";

/// The user and password variables of a registry, as shell words, and the
/// password variable's name.
fn credentials(ctx: &mut Ctx, job: Option<&Job>, p: &Publish) -> (String, String) {
    let r = &p.registry;
    let user = match &r.username {
        Some(Credential::Literal(u)) => sh_quote(u),
        Some(Credential::Secret(s)) => ctx
            .secret(job, s)
            .map(|n| format!("\"${n}\""))
            .unwrap_or_default(),
        // Only GHCR may be declared without credentials (GitHub Actions has a
        // token for it); on GitLab they come from these variables.
        None => {
            if let Some(j) = job {
                ctx.uses_variable(Some(j), "GHCR_USERNAME", false);
            }
            "\"$GHCR_USERNAME\"".to_string()
        }
    };
    let password = match &r.password {
        Some(Credential::Secret(s)) => ctx.secret(job, s).unwrap_or_default(),
        Some(Credential::Literal(_)) | None => {
            if let Some(j) = job {
                ctx.uses_variable(Some(j), "GHCR_TOKEN", true);
            }
            "GHCR_TOKEN".to_string()
        }
    };
    (user, password)
}

fn registry_host(p: &Publish) -> &str {
    if p.registry.kind == RegistryKind::DockerHub {
        "docker.io"
    } else {
        p.registry.host.as_str()
    }
}

/// `docker login` for a publish's registry, reading credentials from CI/CD
/// variables.
fn login(ctx: &mut Ctx, job: &Job, p: &Publish) -> String {
    if p.registry.kind == RegistryKind::GitLab {
        return CI_LOGIN.to_string();
    }
    let (user, password) = credentials(ctx, Some(job), p);
    format!(
        "printf '%s' \"${password}\" | docker login --username {user} --password-stdin {}",
        sh_quote(registry_host(p))
    )
}

/// A login that happens only where the credentials are available: reading
/// the layer cache needs them, but the variables stay protected, so merge
/// request pipelines build without the cache instead of failing.
fn login_if_available(ctx: &mut Ctx, p: &Publish) -> String {
    if p.registry.kind == RegistryKind::GitLab {
        return CI_LOGIN.to_string();
    }
    // Recorded by the publish job, which reads the same variables.
    let (user, password) = credentials(ctx, None, p);
    format!(
        "if [ -n \"${{{password}:-}}\" ]; then\n  printf '%s' \"${password}\" | docker login --username {user} --password-stdin {}\nfi",
        sh_quote(registry_host(p))
    )
}

pub fn build(ctx: &mut Ctx, image: &Image) -> Body {
    let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
    docker(&mut body);
    ctx.diags.extend(platforms::unbuildable(
        image,
        "GitLab CI",
        code::GITLAB_PLATFORM,
        "the build job builds",
    ));
    // A manifest list is built by BuildKit in a container of its own and
    // pushed as it is built: the daemon's image store holds one platform.
    let list = platforms::is_list(&image.platforms);
    let mut args = vec![
        if list {
            "docker buildx build"
        } else {
            "docker build"
        }
        .to_string(),
        format!("--file {}", shell_arg(&image.dockerfile)),
    ];
    if let Some(t) = &image.target {
        args.push(format!("--target {}", shell_arg(t)));
    }
    if !image.platforms.is_empty() {
        args.push(format!(
            "--platform {}",
            sh_quote(&image.platforms.join(","))
        ));
    }
    for (name, value) in &image.build_args {
        let mut t = Text::lit(format!("{name}="));
        t.parts.extend(value.parts.iter().cloned());
        args.push(format!("--build-arg {}", shell_word(&t)));
    }
    let ci = ci_image(image);
    let mut pre = format!(
        "{CI_LOGIN}\nif [ -n \"$(pipec_digest {ci})\" ]; then\n  echo \"pipec: \"{ci}\" exists: this commit is built once, and its later pipelines reuse that image\"\n  exit 0\nfi\n"
    );
    // A registry layer cache: each pushed image carries its build cache
    // (inline), and the next build reuses the layers of its branch's image and
    // of the default branch's. The registry is logged in to first, or a
    // private registry's cache is never read.
    let cached: Vec<&Publish> = ctx
        .program
        .publishes_of(image.id)
        .filter(|p| p.layer_cache && p.tags.iter().any(|t| t.kind == TagKind::Branch))
        .collect();
    if !cached.is_empty() {
        args.push(
            if list {
                "--cache-to type=inline"
            } else {
                "--build-arg BUILDKIT_INLINE_CACHE=1"
            }
            .to_string(),
        );
        for p in &cached {
            if p.registry.kind != RegistryKind::GitLab {
                pre.push_str(&login_if_available(ctx, p));
                pre.push('\n');
            }
            let name = image_ref(p);
            args.push(format!("--cache-from {name}:\"$(pipec_branch_tag)\""));
            args.push(format!(
                "--cache-from {name}:\"$(PIPEC_REF_NAME=\"$CI_DEFAULT_BRANCH\"; pipec_branch_tag)\""
            ));
        }
    }
    args.push(format!("--tag {ci}"));
    if list {
        args.push("--push".to_string());
    }
    args.push(shell_arg(&image.context));
    if platforms::needs_emulation(&image.platforms) {
        pre.push_str(&format!(
            "docker run --privileged --rm {} --install {}\n",
            platforms::BINFMT,
            platforms::emulators(&image.platforms).join(",")
        ));
    }
    if list {
        pre.push_str(&format!(
            "docker buildx create --use --driver docker-container --driver-opt image={}\n",
            platforms::BUILDKIT
        ));
    }
    let push = if list {
        String::new()
    } else {
        format!("docker push {ci}\n")
    };
    let body_text = format!("{pre}{}\n{push}", args.join(" \\\n  "));
    body.script.push(Yaml::Str(format!(
        "set -eu\n{}{body_text}",
        helpers_for(&body_text)
    )));
    body
}

pub fn publish(ctx: &mut Ctx, job: &Job, p: &Publish) -> Body {
    let image = ctx.program.image(p.image);
    let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
    docker(&mut body);
    let ci = ci_image(image);
    body.script.push(Yaml::Str(CI_LOGIN.to_string()));
    // A manifest list is copied from registry to registry, every platform.
    let list = platforms::is_list(&image.platforms);
    if !list {
        body.script.push(Yaml::Str(format!("docker pull {ci}")));
    }
    if p.registry.kind != RegistryKind::GitLab {
        body.script.push(Yaml::Str(login(ctx, job, p)));
    }
    let source = if list {
        Source::Registry(&ci)
    } else {
        Source::Local(&ci)
    };
    body.script
        .push(Yaml::Str(publish_script(ctx.program, p, source)));
    // Values of the run that tags written in the program show, in the
    // variables the push script reads; the SHA, the ref name and the inputs
    // are pipeline variables already.
    for rule in &p.tags {
        if let TagKind::Literal(t) = &rule.kind {
            for part in t.variables() {
                let Some(var) = release::run_var(part) else {
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
    body.artifacts = Some(dotenv());
    body.note = Some(match (p.registry.kind, &p.registry.password) {
        (RegistryKind::GitLab, _) => {
            "Pushes to the project's container registry with the job's own credentials.".to_string()
        }
        (_, None) => "Logs in to ghcr.io with the protected CI/CD variables GHCR_USERNAME and\nGHCR_TOKEN (a token with the write:packages scope).".to_string(),
        _ => "Registry credentials are protected, masked CI/CD variables.".to_string(),
    });
    body
}

/// The report that hands `PIPEC_RELEASE_<N>` to the deployments.
fn dotenv() -> Map {
    let mut reports = Map::new();
    reports.insert("dotenv", DOTENV_REPORT);
    let mut a = Map::new();
    a.insert("reports", reports);
    a.insert("expire_in", REPORT_EXPIRY);
    a
}

pub fn deploy(ctx: &mut Ctx, job: &Job, d: &Deploy) -> Body {
    let env = ctx.program.environment(d.env);
    let mut body = Body::new(images::image(images::KUBECTL.to_string(), false));
    // The whole history: a push pipeline never deploys an older commit than
    // the one the environment runs.
    body.variables.insert("GIT_DEPTH", "0");
    let mut notes = Vec::new();
    match &d.method {
        DeployMethod::ArgoCd => {
            let gitops = ctx.program.gitops.as_ref();
            match gitops.and_then(|g| g.token.as_ref()) {
                Some(t) => {
                    if let Some(v) = ctx.secret(Some(job), t) {
                        body.variables
                            .insert("PIPEC_GITOPS_TOKEN", format!("${{{v}}}"));
                        notes.push(format!(
                            "PIPEC_GITOPS_TOKEN comes from {v}, a protected, masked CI/CD variable."
                        ));
                    }
                }
                None => {
                    // The job token cannot push: the project's own repository is
                    // written with a project access token, and the push starts
                    // no pipeline of its own.
                    ctx.uses_variable(Some(job), "PIPEC_GITOPS_TOKEN", true);
                    body.script.push(Yaml::Str(concat!(
                        "git remote set-url origin \"$CI_SERVER_URL/$CI_PROJECT_PATH.git\"\n",
                        "git config http.extraHeader \"Authorization: Basic $(printf 'pipec:%s' \"$PIPEC_GITOPS_TOKEN\" | base64 | tr -d '\\n')\"\n",
                        "git config push.pushOption ci.skip"
                    ).to_string()));
                    notes.push("PIPEC_GITOPS_TOKEN is a protected, masked CI/CD variable: a project access\ntoken with the write_repository scope.".to_string());
                }
            }
            if let Some(k) = gitops.and_then(|g| g.argocd.as_ref())
                && let Some(v) = ctx.secret(Some(job), k)
            {
                body.variables
                    .insert("PIPEC_ARGOCD_KUBECONFIG", format!("${{{v}}}"));
                notes.push(format!(
                    "PIPEC_ARGOCD_KUBECONFIG comes from {v}, a protected CI/CD variable of type\nVariable (not File): a kubeconfig for the cluster Argo CD runs in."
                ));
            }
        }
        DeployMethod::Kubectl { kubeconfig } => {
            if let Some(v) = ctx.secret(Some(job), kubeconfig) {
                body.variables
                    .insert("PIPEC_KUBECONFIG", format!("${{{v}}}"));
                notes.push(format!(
                    "PIPEC_KUBECONFIG comes from {v}, a protected CI/CD variable of type\nVariable (not File) holding the kubeconfig."
                ));
            }
        }
    }
    body.script
        .push(Yaml::Str(deploy_script(ctx.program, job, d, false)));
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
    body.resource_group = Some(format!("deploy-{}", layout::env_name(env)));
    let gate = if env.is_manual() {
        format!(
            "Deploys to `{}` when someone runs it, after {} approval{}: protect the\nenvironment with that many required approvals (Settings > CI/CD > Protected\nenvironments; GitLab Premium or Ultimate — on Free there are no approvals,\nand anyone who may run pipelines on this ref can start the job: see\ndocs/targets/gitlab.md, \"Approvals without GitLab Premium\").",
            env.name,
            env.approvals,
            if env.approvals == 1 { "" } else { "s" }
        )
    } else {
        format!("Deploys to `{}` automatically.", env.name)
    };
    notes.insert(0, gate);
    body.note = Some(notes.join("\n"));
    body
}

/// A job that moves `latest` once production runs the release: deployment
/// jobs run in a kubectl image without Docker, so `latest` moves in a job of
/// its own, after the deployment, with the digest the publish (or resolving)
/// job handed over.
fn latest_job(ctx: &mut Ctx, p: &Publish, stage: String, needs: Vec<Yaml>, rules: Yaml) -> Map {
    let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
    docker(&mut body);
    let publish_job = ctx.pipeline.job(p.job);
    body.script.push(Yaml::Str(login(ctx, publish_job, p)));
    body.script
        .push(Yaml::Str(release::latest_script(ctx.program, p)));
    let mut m = Map::new();
    m.insert("stage", stage);
    m.insert("image", body.image);
    m.insert("services", Yaml::Seq(body.services));
    m.insert("variables", body.variables);
    m.insert("needs", Yaml::Seq(needs));
    m.insert("rules", rules);
    m.insert("script", Yaml::Seq(body.script));
    m
}

/// The `latest` jobs of CI: after each production deployment that moves it.
pub fn latest_jobs(ctx: &mut Ctx) -> Vec<(String, Map, Option<String>)> {
    let mut out = Vec::new();
    let deploys: Vec<&Job> = ctx
        .pipeline
        .jobs
        .iter()
        .filter(|j| matches!(&j.kind, JobKind::Deploy(d) if ctx.program.environment(d.env).tier == pipec_graph::Tier::Production))
        .collect();
    for job in deploys {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        for p in shipped_by(ctx, d) {
            if !release::latest_moves_on_deploy(ctx.program, p) {
                continue;
            }
            let publish_job = ctx.pipeline.job(p.job).name.clone();
            let mut rules = Map::new();
            crate::job::rules_after(ctx, job.id, &mut rules);
            let rules = rules
                .get("rules")
                .cloned()
                .unwrap_or_else(|| Yaml::Seq(Vec::new()));
            let mut after = Map::new();
            after.insert("job", job.name.clone());
            after.insert("artifacts", false);
            let needs = vec![Yaml::Map(after), Yaml::from(publish_job.as_str())];
            let stage = ctx.stages.name_of(job.id.index()).to_string();
            let image = ctx.program.image(p.image).name.clone();
            let m = latest_job(ctx, p, stage, needs, rules);
            out.push((
                format!("latest_{image}"),
                m,
                Some(format!(
                    "Moves `latest` to the release once `{}` runs it (stable SemVer releases only).",
                    ctx.program.environment(d.env).name
                )),
            ));
        }
    }
    out
}

/// The publish rules a deployment ships, each once.
fn shipped_by<'a>(ctx: &Ctx<'a>, d: &Deploy) -> Vec<&'a Publish> {
    let mut out: Vec<&Publish> = Vec::new();
    for (_, p) in &d.services {
        let p = ctx.program.publish(*p);
        if !out.iter().any(|o| o.id == p.id) {
            out.push(p);
        }
    }
    out
}

/// The publish rules the pipeline's deployments ship, each once.
fn shipped<'a>(ctx: &Ctx<'a>) -> Vec<&'a Publish> {
    let mut out: Vec<&Publish> = Vec::new();
    for j in &ctx.pipeline.jobs {
        if let JobKind::Deploy(d) = &j.kind {
            for (_, p) in &d.services {
                let p = ctx.program.publish(*p);
                if !out.iter().any(|o| o.id == p.id) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The jobs of a deployment started by hand: `(key, job, comment)`.
pub fn dispatch_jobs(ctx: &mut Ctx) -> Vec<(String, Map, Option<String>)> {
    let mut out = Vec::new();
    let mut resolvers = Vec::new();
    for p in shipped(ctx) {
        let image = ctx.program.image(p.image);
        let key = format!("resolve_{}", image.name);
        let publish_job = ctx.pipeline.job(p.job);
        let mut body = Body::new(images::image(images::DOCKER.to_string(), false));
        docker(&mut body);
        body.script.push(Yaml::Str(login(ctx, publish_job, p)));
        body.script.push(Yaml::Str(resolve_script(ctx.program, p)));
        let mut m = Map::new();
        m.insert("stage", ctx.stages.name_of(p.job.index()).to_string());
        m.insert("image", body.image);
        m.insert("services", Yaml::Seq(body.services));
        m.insert("variables", body.variables);
        m.insert("needs", Yaml::Seq(Vec::new()));
        m.insert("rules", vec![Yaml::Map(when_deploying(None, false))]);
        m.insert("script", Yaml::Seq(body.script));
        m.insert("artifacts", dotenv());
        resolvers.push(key.clone());
        out.push((
            key,
            m,
            Some(format!(
                "A deployment started by hand (Run pipeline on the ref to deploy, with\n{DEPLOY_VARIABLE}): the published image of that ref."
            )),
        ));
    }
    let deploys: Vec<&Job> = ctx
        .pipeline
        .jobs
        .iter()
        .filter(|j| matches!(j.kind, JobKind::Deploy(_)))
        .collect();
    for job in deploys {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        let env = ctx.program.environment(d.env);
        // The deployment job itself reported what this body cannot hold.
        let reported = ctx.diags.len();
        let body = deploy(ctx, job, d);
        ctx.diags.truncate(reported);
        let mut m = Map::new();
        m.insert("stage", ctx.stages.name_of(job.id.index()).to_string());
        m.insert("image", body.image);
        if !body.variables.is_empty() {
            m.insert("variables", body.variables);
        }
        m.insert(
            "needs",
            resolvers
                .iter()
                .map(|r| Yaml::from(r.as_str()))
                .collect::<Vec<_>>(),
        );
        m.insert(
            "rules",
            vec![Yaml::Map(when_deploying(Some(&env.name), env.is_manual()))],
        );
        m.insert_opt("resource_group", body.resource_group);
        m.insert_opt("environment", body.environment);
        m.insert("script", Yaml::Seq(body.script));
        let key = format!("redeploy_{}", env.name);
        out.push((
            key.clone(),
            m,
            Some(format!(
                "Deploys the ref this pipeline runs on to `{}`: Run pipeline with\n{DEPLOY_VARIABLE}={} (a promotion, or a rollback to a release tag).",
                env.name, env.name
            )),
        ));
        if env.tier != pipec_graph::Tier::Production {
            continue;
        }
        for p in shipped_by(ctx, d) {
            if !release::latest_moves_on_deploy(ctx.program, p) {
                continue;
            }
            let image = ctx.program.image(p.image).name.clone();
            let mut after = Map::new();
            after.insert("job", key.clone());
            after.insert("artifacts", false);
            let needs = vec![Yaml::Map(after), Yaml::from(format!("resolve_{image}"))];
            let rules = Yaml::Seq(vec![Yaml::Map(when_deploying(Some(&env.name), false))]);
            let stage = ctx.stages.name_of(job.id.index()).to_string();
            let m = latest_job(ctx, p, stage, needs, rules);
            out.push((format!("redeploy_latest_{image}"), m, None));
        }
    }
    out
}

/// The rule of a job that runs only in a deployment started by hand (to
/// `env`, when given).
fn when_deploying(env: Option<&str>, manual: bool) -> Map {
    let mut r = Map::new();
    r.insert(
        "if",
        match env {
            Some(e) => format!("${DEPLOY_VARIABLE} == \"{e}\""),
            None => format!("${DEPLOY_VARIABLE}"),
        },
    );
    if manual {
        r.insert("when", "manual");
        r.insert("allow_failure", false);
    }
    r
}
