//! Script jobs: check out, set up the tool, restore dependency caches, load
//! images built earlier, run the steps, keep reports and artifacts.

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::{Map, Yaml, coverage};
use pipec_graph::{Cache, CacheKind, Job, JobId, Role, RunJob, Runner, Text, Tool, Toolchain};

use crate::expr::{self, TAG_RUN};
use crate::job::{Body, Os, instance_name, os};
use crate::permissions::Level;
use crate::pins;
use crate::steps;
use crate::workflow::Lower;

impl Lower<'_> {
    pub fn run_job(&mut self, job: &Job, r: &RunJob) -> Body {
        let mut body = Body::default();
        // Notifications talk to the outside world only; everything else works
        // on the repository.
        if job.role != Role::Notify {
            body.permissions
                .grant("contents", Level::Read, "check out the repository");
            body.steps.push(steps::checkout(r.full_history, false));
        }
        body.steps.extend(self.artifact_downloads(job.id));
        if let Some(c) = &r.container {
            let span = r.container_span.unwrap_or(job.span);
            body.container = Some(Yaml::from(self.value_of(
                c,
                span,
                "the job's container image",
            )));
            // Images do not all have bash.
            body.shell = Some("sh");
        }
        if !r.services.is_empty() {
            let (services, hosts) = self.services(job, r);
            body.services = Some(services);
            if !hosts.is_empty() {
                body.steps.push(hosts_step(&hosts));
            }
        }
        for t in &r.tools {
            body.steps.extend(self.toolchain(job, t));
        }
        for c in &r.caches {
            body.steps.extend(self.cache(job, r, c));
        }
        for id in &r.images {
            if self.is_list(*id) {
                self.list_steps(*id, !r.archive_only.contains(id), &mut body);
                continue;
            }
            let image = self.program.image(*id);
            body.steps.push(steps::download(
                &format!("Download image {}", image.name),
                &format!("image-{}", image.name),
                None,
            ));
            // A scanner reads the archive itself: loading it into Docker
            // would only cost time.
            if !r.archive_only.contains(id) {
                body.steps.push(steps::run(
                    &format!("Load image {}", image.name),
                    format!("docker load --input {}", image.archive()),
                    &[],
                ));
            }
        }
        for step in &r.steps {
            body.steps
                .push(self.script_step(&step.name, &step.script, step.span));
        }
        if let Some(u) = &r.upload {
            crate::upload::upload(&mut body, u);
        }
        if let Some(rel) = &r.release {
            crate::upload::release(&mut body, rel);
        }
        let reports: Vec<String> = r
            .reports
            .iter()
            .map(|rep| self.value_of(&rep.path, rep.span, "a report's path"))
            .collect();
        if !reports.is_empty() {
            // Reports matter most when the tests failed, and are missing when
            // the job failed before the tests ran: a warning, not an error.
            let mut upload = steps::upload(
                "Upload reports",
                Some("${{ !cancelled() }}"),
                &instance_name(job, "reports"),
                &reports,
                None,
            );
            if let Some(Yaml::Map(with)) = upload.get_mut("with") {
                with.insert("if-no-files-found", "warn");
            }
            body.steps.push(upload);
        }
        for (i, a) in r.artifacts.iter().enumerate() {
            let what = if r.artifacts.len() == 1 {
                "artifacts".to_string()
            } else {
                format!("artifacts-{}", i + 1)
            };
            let days = a.expire.map(|d| d.seconds.div_ceil(86_400).clamp(1, 90));
            let paths: Vec<String> = a
                .paths
                .iter()
                .map(|p| self.value_of(p, a.span, "an artifact's path"))
                .collect();
            body.steps.push(steps::upload_in_place(
                "Upload artifacts",
                &instance_name(job, &what),
                &paths,
                days,
            ));
        }
        // Last, so that the reports and artifacts are kept when it fails.
        if let Some(gate) = coverage::gate_script(r) {
            let env: Vec<(String, String)> = gate
                .env
                .iter()
                .map(|(var, rep)| {
                    (
                        var.clone(),
                        self.value_of(&rep.path, rep.span, "a report's path"),
                    )
                })
                .collect();
            body.steps
                .push(steps::run("Coverage gate", gate.script, &env));
        }
        body
    }

    /// Downloads of the artifacts of the jobs `id` waits for, into the
    /// workspace at the paths they were kept from: what a GitLab job gets
    /// from the jobs in its `needs:`.
    pub fn artifact_downloads(&self, id: JobId) -> Vec<Map> {
        self.pipeline
            .needs(id)
            .into_iter()
            .map(|n| self.pipeline.job(n))
            .filter(|n| n.run().is_some_and(|r| !r.artifacts.is_empty()))
            .map(|n| {
                steps::download_all(
                    &format!("Download the artifacts of {}", n.name),
                    &format!("{}-artifacts", n.name),
                )
            })
            .collect()
    }

    /// A step running a user script: run-time parts arrive as variables set
    /// in the step's `env:`; its name shows them as expressions.
    pub fn script_step(
        &mut self,
        name: &Text,
        script: &Text,
        span: pipec_diagnostics::Span,
    ) -> Map {
        let name = self.value_of(name, span, "a step's name");
        if script
            .parts
            .iter()
            .any(|p| matches!(p, pipec_graph::Part::Lit(s) if s.contains("${{")))
        {
            self.diags.push(
                Diagnostic::new(
                    code::GITHUB_EXPRESSION_IN_SCRIPT,
                    span,
                    "this script contains `${{`, which GitHub Actions would evaluate before the shell runs",
                )
                .label("GitHub replaces `${{ … }}` in `run:` scripts")
                .help("use `{{ matrix.NAME }}`, `{{ inputs.NAME }}` or `{{ ci.NAME }}` placeholders, which pipec passes as environment variables"),
            );
        }
        // A manifest list is read from the registry, by the reference its
        // build job hands on.
        let mut env = Vec::new();
        let scanned = pipec_emit::platforms::scanned_platforms(self.program, script);
        let mut script = script.clone();
        for part in &mut script.parts {
            if let pipec_graph::Part::ImageSource(name) = part
                && let Some(image) = self.program.image_named(name)
                && pipec_emit::platforms::is_list(&image.platforms)
            {
                let var = crate::multiarch::source_var(image);
                env.push((var.clone(), self.list_ref(image.id)));
                *part = pipec_graph::Part::Lit(format!("\"${var}\""));
            }
        }
        let text = expr::text_script(&script, &mut env);
        let text = pipec_emit::platforms::per_platform(&text, &scanned);
        steps::run(&name, text, &env)
    }

    /// The `services:` map, and the names to resolve to the runner when the
    /// job runs on it.
    fn services(&mut self, job: &Job, r: &RunJob) -> (Map, Vec<String>) {
        let mut m = Map::new();
        let on_runner = r.container.is_none();
        let mut hosts = Vec::new();
        for s in &r.services {
            let mut svc = Map::new();
            let image = self.value_of(&s.image, s.span, "a service container's image");
            svc.insert("image", image);
            let env = self.env(&s.env);
            if !env.is_empty() {
                svc.insert("env", env);
            }
            match s.port {
                Some(p) if on_runner => {
                    svc.insert("ports", vec![format!("{p}:{p}")]);
                    hosts.push(s.name.clone());
                }
                Some(_) => {}
                None if on_runner => self.diags.push(
                    Diagnostic::new(
                        code::GITHUB_UNREACHABLE_SERVICE,
                        job.span,
                        format!("the job cannot reach service `{}`: it has no port", s.name),
                    )
                    .label("this job runs on the runner, which reaches service containers only through published ports")
                    .help(format!("add `port N` to service `{}`, or run the job in a `container`", s.name)),
                ),
                None => {}
            }
            if let Some(h) = &s.health {
                svc.insert("options", health_options(h));
            }
            m.insert(s.name.clone(), svc);
        }
        (m, hosts)
    }

    /// The steps that install one of the job's tools.
    fn toolchain(&mut self, job: &Job, t: &Toolchain) -> Vec<Map> {
        let mut out = Vec::new();
        let version = self.value(&t.version, job.span);
        let setup = |key: &str, pin: &pins::Pin, extra: &[(&str, Yaml)]| {
            let mut with = Map::new();
            with.insert(key, version.clone());
            for (k, v) in extra {
                with.insert(*k, v.clone());
            }
            steps::uses(&format!("Set up {}", t.tool.title()), pin, with)
        };
        match t.tool {
            // The setup actions' own caches are off: `cache` statements restore
            // caches with actions/cache, which can skip tag runs.
            Tool::Python => out.push(setup("python-version", &pins::SETUP_PYTHON, &[])),
            Tool::Node => out.push(setup(
                "node-version",
                &pins::SETUP_NODE,
                &[("package-manager-cache", Yaml::Bool(false))],
            )),
            Tool::Go => out.push(setup(
                "go-version",
                &pins::SETUP_GO,
                &[("cache", Yaml::Bool(false))],
            )),
            Tool::Java => out.push(setup(
                "java-version",
                &pins::SETUP_JAVA,
                &[("distribution", Yaml::from("temurin"))],
            )),
            // rustup is on every hosted runner: no action to trust for it.
            Tool::Rust => {
                let mut env = Vec::new();
                let version = expr::text_script(&quoted(&t.version), &mut env);
                out.push(steps::run(
                    &format!(
                        "Set up Rust {}",
                        expr::text_value(&t.version).unwrap_or_else(|| t.version.to_string())
                    ),
                    format!(
                        "rustup toolchain install {version} --profile minimal --no-self-update\nrustup default {version}\n"
                    ),
                    &env,
                ));
            }
            Tool::Trivy => {
                out.extend(self.install(job, t));
                out.extend(self.trivy_db_cache());
            }
            Tool::Gitleaks | Tool::Kubectl | Tool::GolangciLint | Tool::CargoLlvmCov => {
                out.extend(self.install(job, t))
            }
        }
        out
    }

    /// Trivy's vulnerability database (about 60 MB, downloaded by every scan)
    /// kept with actions/cache, shared by the scans of all jobs. Its publishers rebuild it every six hours, so
    /// the key changes every six hours and a scan never works with an older
    /// database than it would download; a run that misses restores the last
    /// one, which Trivy then refreshes. Like dependency caches, tag runs only
    /// look the key up: a release is scanned against a database no other run
    /// wrote.
    fn trivy_db_cache(&mut self) -> Vec<Map> {
        let period = pipec_emit::yaml::map([
            ("name", Yaml::from("Trivy database period")),
            ("id", Yaml::from(TRIVY_DB_STEP)),
            (
                "run",
                Yaml::from(
                    "echo \"period=$(date -u +%Y-%m-%d)-$(( $(date -u +%-H) / 6 ))\" >> \"$GITHUB_OUTPUT\"\n",
                ),
            ),
        ]);
        let prefix = "trivy-db-${{ runner.os }}-";
        let mut with = Map::new();
        with.insert("path", "~/.cache/trivy/db");
        with.insert(
            "key",
            format!("{prefix}${{{{ steps.{TRIVY_DB_STEP}.outputs.period }}}}"),
        );
        with.insert("restore-keys", prefix);
        if self.releases {
            with.insert("lookup-only", expr::fenced(TAG_RUN));
        }
        vec![
            period,
            steps::uses("Cache the Trivy database", &pins::CACHE, with),
        ]
    }

    /// Downloads a tool's release archive and checks its SHA-256: against the
    /// checksum pinned in [`pins::ARCHIVES`] when pipec knows the version,
    /// else as [`pipec_emit::tools`] says. A job whose instances run on Arm
    /// and x64 runners gets a step for each.
    fn install(&mut self, job: &Job, t: &Toolchain) -> Vec<Map> {
        let runners = job.runners();
        if let Some(other) = runners.iter().find(|r| os(r) != Os::Linux) {
            self.diags.push(
                Diagnostic::new(
                    code::GITHUB_TOOL_RUNNER,
                    job.span,
                    format!(
                        "pipec installs {} from its Linux release archive, but this job runs on {}",
                        t.tool.title(),
                        crate::job::runner(other)
                    ),
                )
                .label("the archive and its checksum are for Linux runners")
                .help("run this job on `runs_on ubuntu` or `ubuntu_arm`"),
            );
        }
        let mut env = Vec::new();
        let version = expr::text_script(&quoted(&t.version), &mut env);
        let mut out = Vec::new();
        for (arch, on) in [("x64", Runner::Ubuntu), ("arm64", Runner::UbuntuArm)] {
            let here: Vec<Runner> = runners
                .iter()
                .filter(|r| (**r == Runner::UbuntuArm) == (on == Runner::UbuntuArm))
                .cloned()
                .collect();
            if here.is_empty() {
                continue;
            }
            let mut s = pipec_emit::tools::install_script(
                t.tool,
                &version,
                t.version.as_literal().as_deref(),
                arch,
                "$RUNNER_TEMP/pipec-tools",
            )
            .unwrap_or_default();
            s.push_str("echo \"$dir/bin\" >> \"$GITHUB_PATH\"\n");
            let cond = crate::job::on_runners(job, &here);
            out.push(steps::run_when(
                &format!(
                    "Install {} {}",
                    t.tool.title(),
                    expr::text_value(&t.version).unwrap_or_else(|| t.version.to_string())
                ),
                cond.as_deref(),
                s,
                &env,
            ));
        }
        out
    }

    /// `actions/cache` keyed on the lock files. In tag runs it only looks the
    /// key up: a release restores nothing another run could have written. A
    /// job whose instances run on several operating systems gets one step for
    /// each set of paths, each running where its paths are the tool's.
    fn cache(&mut self, job: &Job, r: &RunJob, c: &Cache) -> Vec<Map> {
        let files: Vec<String> = c.key_files.iter().map(|g| expr::lit(g.as_str())).collect();
        let tool_version = r
            .runtime()
            .map(|t| format!("{}-", self.value(&t.version, job.span)))
            .unwrap_or_default();
        let runners = job.runners();
        // Arm and x64 builds do not share compiled caches.
        let arch = if runners.contains(&Runner::UbuntuArm) {
            "${{ runner.arch }}-"
        } else {
            ""
        };
        let prefix = format!(
            "{}-{}-${{{{ runner.os }}}}-{arch}{tool_version}",
            c.kind.name(),
            job.name
        );
        let mut groups: Vec<(Vec<&'static str>, Vec<Runner>)> = Vec::new();
        for runner in runners {
            let paths = cache_paths(c.kind, os(&runner));
            match groups.iter_mut().find(|(p, _)| *p == paths) {
                Some((_, rs)) => rs.push(runner),
                None => groups.push((paths, vec![runner])),
            }
        }
        let mut out = Vec::new();
        for (paths, on) in groups {
            let mut with = Map::new();
            with.insert("path", paths.join("\n"));
            with.insert(
                "key",
                format!("{prefix}${{{{ hashFiles({}) }}}}", files.join(", ")),
            );
            with.insert("restore-keys", prefix.clone());
            if self.releases {
                with.insert("lookup-only", expr::fenced(TAG_RUN));
            }
            let cond = crate::job::on_runners(job, &on);
            out.push(steps::uses_when(
                &format!("Cache {} dependencies", c.kind.name()),
                cond.as_deref(),
                &pins::CACHE,
                with,
            ));
        }
        out
    }
}

/// A text in double quotes, as one shell word.
fn quoted(t: &Text) -> Text {
    let mut parts = vec![pipec_graph::Part::Lit("\"".into())];
    parts.extend(t.parts.iter().cloned());
    parts.push(pipec_graph::Part::Lit("\"".into()));
    Text { parts }
}

/// The id of the step that names the Trivy database's six-hour period.
const TRIVY_DB_STEP: &str = "trivy-db-period";

/// Where each package manager keeps its downloads.
fn cache_paths(kind: CacheKind, os: Os) -> Vec<&'static str> {
    match (kind, os) {
        (CacheKind::Pip, Os::Linux) => vec!["~/.cache/pip"],
        (CacheKind::Pip, Os::Macos) => vec!["~/Library/Caches/pip"],
        (CacheKind::Pip, Os::Windows) => vec!["~\\AppData\\Local\\pip\\Cache"],
        (CacheKind::Poetry, Os::Linux) => vec!["~/.cache/pypoetry"],
        (CacheKind::Poetry, Os::Macos) => vec!["~/Library/Caches/pypoetry"],
        (CacheKind::Poetry, Os::Windows) => vec!["~\\AppData\\Local\\pypoetry\\Cache"],
        (CacheKind::Npm, Os::Windows) => vec!["~\\AppData\\Local\\npm-cache"],
        (CacheKind::Npm, _) => vec!["~/.npm"],
        (CacheKind::Go, Os::Linux) => vec!["~/go/pkg/mod", "~/.cache/go-build"],
        (CacheKind::Go, Os::Macos) => vec!["~/go/pkg/mod", "~/Library/Caches/go-build"],
        (CacheKind::Go, Os::Windows) => vec!["~\\go\\pkg\\mod", "~\\AppData\\Local\\go-build"],
        (CacheKind::Cargo, _) => vec![
            "~/.cargo/registry/index",
            "~/.cargo/registry/cache",
            "~/.cargo/git/db",
        ],
        // What cargo built, beside the project.
        (CacheKind::CargoTarget, _) => vec!["target"],
        (CacheKind::Pnpm, Os::Linux) => vec!["~/.local/share/pnpm/store"],
        (CacheKind::Pnpm, Os::Macos) => vec!["~/Library/pnpm/store"],
        (CacheKind::Pnpm, Os::Windows) => vec!["~\\AppData\\Local\\pnpm\\store"],
        // Yarn 1's cache, and the global cache of later versions.
        (CacheKind::Yarn, Os::Linux) => vec!["~/.cache/yarn", "~/.yarn/berry/cache"],
        (CacheKind::Yarn, Os::Macos) => vec!["~/Library/Caches/Yarn", "~/.yarn/berry/cache"],
        (CacheKind::Yarn, Os::Windows) => {
            vec!["~\\AppData\\Local\\Yarn\\Cache", "~\\.yarn\\berry\\cache"]
        }
        (CacheKind::Gradle, Os::Windows) => vec!["~\\.gradle\\caches", "~\\.gradle\\wrapper"],
        (CacheKind::Gradle, _) => vec!["~/.gradle/caches", "~/.gradle/wrapper"],
        (CacheKind::Maven, Os::Windows) => vec!["~\\.m2\\repository"],
        (CacheKind::Maven, _) => vec!["~/.m2/repository"],
    }
}

/// A service container's `options:`: Docker's health options. The runner
/// hands the text to `docker create` as one command line, which it splits
/// the way .NET splits a process's arguments: each value is one argument in
/// double quotes ([`command_line_arg`]); `${{` stays text
/// ([`expr::escape_literal`]).
fn health_options(h: &pipec_graph::HealthCheck) -> String {
    let args: Vec<String> = pipec_emit::health::docker_options(h)
        .into_iter()
        .map(|(option, value)| format!("{option} {}", command_line_arg(&value)))
        .collect();
    expr::escape_literal(&args.join(" "))
}

/// One argument of a command line split by the Microsoft C runtime's rules,
/// which .NET follows: in double quotes, a `"` is written `\"`, and
/// backslashes are doubled where a `"` follows them (or the closing quote
/// does); other backslashes stand for themselves.
pub(crate) fn command_line_arg(s: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in s.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

/// Services published on the runner are reached by the name the program gives
/// them, as they would be inside a container network.
fn hosts_step(hosts: &[String]) -> Map {
    let mut s = String::new();
    for h in hosts {
        s.push_str(&format!(
            "echo '127.0.0.1 {h}' | sudo tee -a /etc/hosts > /dev/null\n"
        ));
    }
    steps::run("Reach services by name", s, &[])
}
