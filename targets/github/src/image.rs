//! Images: the build job builds once with Buildx and hands the archive to the
//! jobs after it (scans, publishes); a publish job pushes that image under
//! the commit's immutable tag and points every other tag of the run at the
//! same digest (`pipec_emit::release`), so what was scanned is what ships.
//!
//! A release run (a pushed tag) does not build again: its build job fetches
//! the image the commit's branch run published and hands that on, so the
//! release scans and promotes the digest dev and staging ran. Only a commit
//! that was never published from a branch is built in its release run.
//!
//! The registry layer cache (`Publish.layer_cache`) is read and written only
//! where it is safe. Branch and pull-request builds read it; tag builds
//! (releases) never do, so nothing another run wrote can reach a release —
//! the reasoning of zizmor's cache-poisoning audit. Writing needs registry
//! write access, which the build job (it also runs for pull requests) does
//! not get: in branch runs that publish, the build job exports its cache to a
//! local directory, and a job of its own, `<publish>-cache`, pushes it to
//! `<image>:buildcache` (a `cacheonly` build from that directory). Nothing
//! waits for that job, so pushing the cache never delays the release.

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::{Map, Yaml, platforms, release};
use pipec_graph::{
    CiVar, Cond, Credential, Image, ImageId, Part, Publish, PublishId, RegistryKind, TagKind,
};

use crate::expr::{self, Expr, TAG_RUN};
use crate::job::{Body, JobEntry};
use crate::multiarch;
use crate::permissions::{Level, Permissions};
use crate::pins;
use crate::steps;
use crate::workflow::{Lower, secret};

/// The tag the layer cache is kept under in each registry.
const CACHE_TAG: &str = "buildcache";

/// The step that fetches the commit's published image in release runs.
const COMMIT_STEP: &str = "commit";
/// The step that publishes, whose output is the release.
const PUSH_STEP: &str = "push";

impl Lower<'_> {
    pub fn build_job(&mut self, id: ImageId) -> Body {
        let image = self.program.image(id);
        let mut body = Body::default();
        body.permissions
            .grant("contents", Level::Read, "check out the repository");
        body.steps.push(steps::checkout(false, false));
        body.steps.extend(self.artifact_downloads(image.job));
        let list = platforms::is_list(&image.platforms);
        body.steps.extend(self.emulation(image));
        body.steps.push(steps::uses(
            "Set up Docker Buildx",
            &pins::SETUP_BUILDX,
            Map::new(),
        ));
        let cached: Vec<&Publish> = self
            .program
            .publishes_of(id)
            .filter(|p| p.layer_cache)
            .collect();
        let not_tag = !Expr::atom(TAG_RUN);
        // A list's build logs in to ghcr.io to push it, before the build.
        if !list && cached.iter().any(|p| p.registry.kind == RegistryKind::Ghcr) {
            body.permissions
                .grant("packages", Level::Read, "read the layer cache from ghcr.io");
            let mut login = steps::uses_when(
                "Log in to ghcr.io to read the layer cache",
                Some(&not_tag.text),
                &pins::LOGIN,
                ghcr_login(),
            );
            // The cache only saves time; without it the build still runs.
            login.insert("continue-on-error", true);
            body.steps.push(login);
        }
        // A release run ships the image its commit was published as.
        let mut build_if = None;
        if self.releases
            && let Some(p) = self
                .program
                .publishes_of(id)
                .find(|p| p.registry.kind != RegistryKind::GitLab)
            && let Some(login) = self.login(p)
        {
            let tag_run = Expr::atom(TAG_RUN).text;
            if p.registry.kind == RegistryKind::Ghcr {
                body.permissions.grant(
                    "packages",
                    Level::Read,
                    "fetch the published image of the commit in release runs",
                );
            }
            body.steps.push(steps::uses_when(
                &format!("Log in to {}", registry_host(p)),
                Some(&tag_run),
                &pins::LOGIN,
                login,
            ));
            let script = if list {
                release::commit_list_script(p)
            } else {
                release::commit_image_script(
                    p,
                    &image.local_ref(),
                    &format!("\"$RUNNER_TEMP\"/{}", image.archive()),
                )
            };
            let fetch = steps::run_with_id(
                &format!("Fetch the published image {}", image.name),
                Some(COMMIT_STEP),
                Some(&tag_run),
                script,
                &self.release_env(),
            );
            body.steps.push(fetch);
            build_if = Some(format!(
                "!{tag_run} || steps.{COMMIT_STEP}.outputs.found != 'true'"
            ));
        }
        if list {
            self.staging_steps(image, build_if.as_deref(), &mut body);
        }
        let mut with = self.build_inputs(image);
        if list {
            with.insert(
                "tags",
                format!("${{{{ steps.{}.outputs.ref }}}}", multiarch::STAGING_STEP),
            );
            with.insert("outputs", "type=image,push=true");
        } else {
            with.insert("tags", image.local_ref());
            with.insert(
                "outputs",
                format!(
                    "type=docker,dest=${{{{ runner.temp }}}}/{}",
                    image.archive()
                ),
            );
        }
        // Attestations do not survive `docker load` and `docker push`, and a
        // list carries none, so that both kinds of image are tagged alike.
        with.insert("provenance", false);
        let write = self.cache_write_condition(&cached);
        if !cached.is_empty() {
            let from: Vec<String> = cached
                .iter()
                .map(|p| {
                    expr::fenced(&format!(
                        "{} && {} || ''",
                        not_tag.text,
                        expr::lit(&format!("type=registry,ref={}", cache_ref(p)))
                    ))
                })
                .collect();
            with.insert("cache-from", from.join("\n"));
            if let Some(w) = &write {
                with.insert(
                    "cache-to",
                    expr::fenced(&format!(
                        "{} && format('type=local,dest={{0}}/{},mode=max', runner.temp) || ''",
                        w.operand(),
                        cache_dir(image)
                    )),
                );
            }
        }
        let mut build = steps::uses_when(
            &format!("Build image {}", image.name),
            build_if.as_deref(),
            &pins::BUILD_PUSH,
            with,
        );
        if list {
            build.insert("id", multiarch::BUILD_STEP);
        }
        body.steps.push(build);
        if list {
            let commit = build_if.as_ref().map(|_| COMMIT_STEP);
            self.hand_over(image, commit, &mut body);
        } else {
            body.steps.push(steps::upload(
                &format!("Upload image {}", image.name),
                None,
                &format!("image-{}", image.name),
                &[format!("${{{{ runner.temp }}}}/{}", image.archive())],
                Some(1),
            ));
        }
        if let (false, Some(w)) = (cached.is_empty(), &write) {
            body.steps.push(steps::upload(
                "Upload the layer cache",
                Some(&w.text),
                &format!("buildcache-{}", image.name),
                &[format!("${{{{ runner.temp }}}}/{}", cache_dir(image))],
                Some(1),
            ));
        }
        body
    }

    /// Runs that export the layer cache: branch runs in which some publish
    /// with a cache pushes.
    fn cache_write_condition(&mut self, cached: &[&Publish]) -> Option<Expr> {
        if cached.is_empty() {
            return None;
        }
        let mut any = Vec::new();
        for p in cached {
            let branch_runs = without_tags(&p.when);
            if branch_runs == Cond::Never {
                continue;
            }
            match self.condition(&branch_runs, p.span) {
                None => {
                    any = vec![Expr::atom("true")];
                    break;
                }
                Some(e) => any.push(e),
            }
        }
        if any.is_empty() {
            return None;
        }
        let publish = Expr::or(any);
        let not_tag = !Expr::atom(TAG_RUN);
        Some(if publish.text == "true" {
            not_tag
        } else {
            Expr::and(vec![not_tag, publish])
        })
    }

    /// Inputs of `docker/build-push-action` that describe the build itself.
    fn build_inputs(&mut self, image: &Image) -> Map {
        let mut with = Map::new();
        let context = self.value_of(&image.context, image.span, "the image's build context");
        with.insert("context", context);
        let file = self.value_of(&image.dockerfile, image.span, "the image's Dockerfile");
        with.insert("file", file);
        if let Some(t) = &image.target {
            let target = self.value_of(t, image.span, "the image's build target");
            with.insert("target", target);
        }
        with.insert(
            "platforms",
            expr::escape_literal(&image.platforms.join(",")),
        );
        if !image.build_args.is_empty() {
            let args: Vec<String> = image
                .build_args
                .iter()
                .map(|(k, v)| format!("{k}={}", self.value(v, image.span)))
                .collect();
            with.insert("build-args", args.join("\n"));
        }
        with
    }

    pub fn publish_job(&mut self, id: PublishId) -> Body {
        let publish = self.program.publish(id);
        let image = self.program.image(publish.image);
        let mut body = Body::default();
        let list = platforms::is_list(&image.platforms);
        if !list {
            body.steps.push(steps::download(
                &format!("Download image {}", image.name),
                &format!("image-{}", image.name),
                Some("${{ runner.temp }}"),
            ));
            body.steps.push(steps::run(
                &format!("Load image {}", image.name),
                format!("docker load --input \"$RUNNER_TEMP/{}\"", image.archive()),
                &[],
            ));
        }
        let login = match self.login(publish) {
            Some(l) => l,
            None => return body,
        };
        // The list is read from the repository's packages with the job's
        // token; a push to ghcr.io logs in once, with the credentials that
        // push.
        if list && publish.registry.kind != RegistryKind::Ghcr {
            self.list_steps(publish.image, false, &mut body);
        }
        if publish.registry.kind == RegistryKind::Ghcr {
            body.permissions
                .grant("packages", Level::Write, "push the image to ghcr.io");
        }
        body.steps.push(steps::uses(
            &format!("Log in to {}", registry_host(publish)),
            &pins::LOGIN,
            login.clone(),
        ));
        let local = release::sh_quote(&image.local_ref());
        let var = multiarch::source_var(image);
        let word = format!("\"${var}\"");
        let source = if list {
            release::Source::Registry(&word)
        } else {
            release::Source::Local(&local)
        };
        let script = release::publish_script(self.program, publish, source);
        let mut env = self.release_env();
        if list {
            env.push((var.clone(), self.list_ref(publish.image)));
            let build = self.pipeline.job(image.job).name.clone();
            if !body.extra_needs.contains(&build) {
                body.extra_needs.push(build);
            }
            if publish.registry.kind == RegistryKind::Ghcr {
                body.permissions.grant(
                    "packages",
                    Level::Read,
                    "read the manifest list the build pushed",
                );
            }
        }
        // Values of the run that tags written in the program show.
        for rule in &publish.tags {
            if let TagKind::Literal(t) = &rule.kind {
                for part in t.variables() {
                    if let Some((name, value)) = expr::part_env(part)
                        && !env.iter().any(|(n, _)| *n == name)
                    {
                        env.push((name, value));
                    }
                }
            }
        }
        body.steps.push(steps::run_with_id(
            &format!("Push {}", publish.image_name()),
            Some(PUSH_STEP),
            None,
            script,
            &env,
        ));
        let output = format!("release_{}", publish.id.0);
        body.outputs = Some(pipec_emit::yaml::map([(
            output.as_str(),
            pipec_emit::Yaml::from(expr::fenced(&format!("steps.{PUSH_STEP}.outputs.{output}"))),
        )]));
        if publish.layer_cache
            && let Some(job) = self.cache_job(id, login)
        {
            body.after.push(job);
        }
        body
    }

    /// The job that pushes an image's layer cache to its registry, in the
    /// branch runs that publish it: BuildKit exports the build's cache
    /// (`cacheonly`) from the directory the build job left, every layer
    /// already built. It waits for the build only, and nothing waits for it:
    /// the publish and deploy jobs do not wait while the cache is pushed.
    fn cache_job(&mut self, id: PublishId, login: Map) -> Option<JobEntry> {
        let publish = self.program.publish(id);
        let image = self.program.image(publish.image);
        let condition = self.cache_write_condition(&[publish])?;
        let build = self.pipeline.job(image.job);
        let runner = crate::job::runner(&self.pipeline.job(publish.job).runner);
        let mut permissions = Permissions::new();
        permissions.grant("contents", Level::Read, "check out the build context");
        if publish.registry.kind == RegistryKind::Ghcr {
            permissions.grant("packages", Level::Write, "push the layer cache to ghcr.io");
        }
        let mut steps = vec![steps::checkout(false, false)];
        steps.extend(multiarch::emulation_step(image));
        steps.extend([
            steps::uses("Set up Docker Buildx", &pins::SETUP_BUILDX, Map::new()),
            steps::download(
                "Download the layer cache",
                &format!("buildcache-{}", image.name),
                Some(&format!("${{{{ runner.temp }}}}/{}", cache_dir(image))),
            ),
            steps::uses(
                &format!("Log in to {}", registry_host(publish)),
                &pins::LOGIN,
                login,
            ),
        ]);
        let mut with = self.build_inputs(image);
        with.insert(
            "cache-from",
            format!("type=local,src=${{{{ runner.temp }}}}/{}", cache_dir(image)),
        );
        with.insert(
            "cache-to",
            format!(
                "type=registry,ref={},mode=max,image-manifest=true,oci-mediatypes=true",
                cache_ref(publish)
            ),
        );
        with.insert("outputs", "type=cacheonly");
        with.insert("provenance", false);
        steps.push(steps::uses("Push the layer cache", &pins::BUILD_PUSH, with));
        let mut m = Map::new();
        m.insert("name", format!("Layer cache of {}", image.name));
        m.insert("needs", vec![build.name.clone()]);
        m.insert("if", crate::expr::if_value(&condition.text));
        m.insert("runs-on", runner);
        m.insert("permissions", permissions.to_yaml());
        m.insert(
            "steps",
            Yaml::Seq(steps.into_iter().map(Yaml::Map).collect()),
        );
        let key = format!("{}-cache", self.pipeline.job(publish.job).name);
        Some((
            key,
            m,
            Some("The layer cache, pushed beside the release: nothing waits for it.".to_string()),
        ))
    }

    /// Inputs of `docker/login-action` for a publish's registry. GHCR takes
    /// the job's own token; other registries the secrets the program names.
    pub fn login(&mut self, p: &Publish) -> Option<Map> {
        let cred = |c: &Option<Credential>| match c {
            Some(Credential::Secret(s)) => Some(secret(&s.name)),
            Some(Credential::Literal(l)) => Some(expr::escape_literal(l)),
            None => None,
        };
        match p.registry.kind {
            RegistryKind::Ghcr => Some(ghcr_login()),
            RegistryKind::GitLab => {
                self.diags.push(
                    Diagnostic::new(
                        code::GITHUB_REGISTRY,
                        p.span,
                        "GitHub Actions cannot push to the GitLab project registry",
                    )
                    .label("its address is known only inside a GitLab pipeline")
                    .help("publish to `ghcr(\"OWNER/NAME\")`, `dockerhub(…)` or `registry(\"HOST\", …)` from GitHub Actions"),
                );
                None
            }
            RegistryKind::DockerHub | RegistryKind::Other => {
                let mut with = Map::new();
                if p.registry.kind == RegistryKind::Other {
                    with.insert("registry", expr::escape_literal(&p.registry.host));
                }
                with.insert_opt("username", cred(&p.registry.username));
                with.insert_opt("password", cred(&p.registry.password));
                Some(with)
            }
        }
    }

    /// The variables the shared release shell reads (`pipec_emit::release`).
    pub fn release_env(&self) -> Vec<(String, String)> {
        let ref_name =
            expr::part_env(&Part::Ci(CiVar::RefName)).map_or_else(String::new, |(_, v)| v);
        let mut env = vec![
            ("PIPEC_REF_TYPE".to_string(), "${{ github.ref_type }}".to_string()),
            ("PIPEC_REF_NAME".to_string(), ref_name),
            ("PIPEC_SHA".to_string(), "${{ github.sha }}".to_string()),
            (
                "PIPEC_EVENT".to_string(),
                "${{ github.event_name == 'workflow_dispatch' && 'dispatch' || github.event_name == 'push' && github.ref_type == 'tag' && 'tag' || github.event_name }}".to_string(),
            ),
        ];
        for i in &self.inputs {
            env.push((
                format!("PIPEC_INPUT_{}", i.name.to_ascii_uppercase()),
                expr::fenced(&format!("inputs.{}", i.name)),
            ));
        }
        env
    }
}

/// A publish condition in runs that are not for tags: its tag alternatives
/// dropped (`branch in [main] or release` → `branch in [main]`).
fn without_tags(c: &Cond) -> Cond {
    match c {
        Cond::Tag(_) => Cond::Never,
        Cond::Any(cs) => cs
            .iter()
            .map(without_tags)
            .fold(Cond::Never, |acc, c| acc.or(c)),
        c => c.clone(),
    }
}

pub fn ghcr_login() -> Map {
    let mut with = Map::new();
    with.insert("registry", "ghcr.io");
    with.insert("username", "${{ github.actor }}");
    with.insert("password", "${{ secrets.GITHUB_TOKEN }}");
    with
}

pub fn registry_host(p: &Publish) -> &str {
    match p.registry.kind {
        RegistryKind::DockerHub => "Docker Hub",
        _ => p.registry.host.as_str(),
    }
}

fn cache_ref(p: &Publish) -> String {
    format!("{}:{CACHE_TAG}", p.image_name())
}

fn cache_dir(image: &Image) -> String {
    format!("buildcache-{}", image.name)
}
