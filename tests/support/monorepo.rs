//! A generated monorepo program: many teams, each owning services with their
//! own pipelines, deployed to shared environments. It is what the benchmark
//! (`benches/check.rs`) checks, and a test keeps it free of diagnostics for
//! the [`TARGETS`] it builds to, so the benchmark measures the checker's real
//! work rather than an error path.
//!
//! The program uses every construct of the language somewhere: all trigger
//! kinds, standard-library and user templates (from a module, with `matrix<>`
//! parameters, string templates and statement guards), job bodies with every
//! statement, image templates and image blocks, the registries a GitHub
//! workflow can push to (GHCR with and without credentials, Docker Hub, any
//! other registry) with conditional tags, environments with promotion, approvals and sync settings,
//! services with probes, autoscaling, secrets and ingress, Argo CD and kubectl
//! deployments, `gitops`, `policy` and `@allow` attributes. Names, versions and
//! sizes vary with the service's index; the output is deterministic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Services per team file.
const TEAM_SIZE: usize = 20;

const NOUNS: &[&str] = &[
    "orders",
    "billing",
    "search",
    "catalog",
    "checkout",
    "payments",
    "invoices",
    "accounts",
    "profiles",
    "sessions",
    "ledger",
    "pricing",
    "coupons",
    "reviews",
    "ratings",
    "inventory",
    "shipping",
    "returns",
    "tracking",
    "routing",
    "maps",
    "geo",
    "media",
    "images",
    "thumbs",
    "uploads",
    "reports",
    "exports",
    "imports",
    "audit",
    "alerts",
    "emails",
    "sms",
    "push",
    "chat",
    "feeds",
    "ranking",
    "ads",
    "bids",
    "fraud",
    "risk",
    "kyc",
    "tax",
    "fx",
    "wallet",
    "loyalty",
    "gifts",
    "quotes",
    "claims",
    "tickets",
];

const KINDS: &[&str] = &[
    "api",
    "worker",
    "web",
    "gateway",
    "sync",
    "indexer",
    "scheduler",
    "consumer",
    "admin",
    "proxy",
    "cache",
    "cron",
    "bridge",
    "store",
    "engine",
    "broker",
    "relay",
    "hub",
    "feed",
    "agent",
];

/// The targets the monorepo builds to. GitLab CI is left out: the figures in
/// docs/performance.md were measured without it, and its child pipelines
/// (one per pipeline) are covered by the examples.
pub const TARGETS: &[&str] = &["github", "kustomize", "argocd", "pre-commit"];

/// The generated files, relative to the program directory.
pub struct Monorepo {
    pub files: Vec<(PathBuf, String)>,
}

impl Monorepo {
    /// Lines of `.pipe` source in all files.
    pub fn lines(&self) -> usize {
        self.files.iter().map(|(_, t)| t.lines().count()).sum()
    }

    /// Writes the program under `dir` (created; earlier contents removed).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        for (path, text) in &self.files {
            let dest = dir.join(path);
            std::fs::create_dir_all(dest.parent().unwrap_or(dir))?;
            std::fs::write(dest, text)?;
        }
        Ok(())
    }
}

/// A monorepo of `services` services, in teams of twenty.
pub fn generate(services: usize) -> Monorepo {
    let mut files = vec![
        (PathBuf::from("platform.pipe"), platform()),
        (PathBuf::from("lib/ci.pipe"), library()),
    ];
    let teams = services.div_ceil(TEAM_SIZE);
    for t in 0..teams {
        let members: Vec<usize> = (t * TEAM_SIZE..((t + 1) * TEAM_SIZE).min(services)).collect();
        files.push((
            PathBuf::from(format!("team_{t:02}.pipe")),
            team(t, &members),
        ));
    }
    Monorepo { files }
}

/// The shared environments, the GitOps repository and the policy.
fn platform() -> String {
    r##"// The platform: environments every service deploys to, where Argo CD reads
// the manifests, and the organisation's policy.

environment dev {
  namespace "shop-dev"
  deploy on branch develop
  tier development
  url "https://dev.shop.example.com"
  replicas 1
  config { LOG_LEVEL: "DEBUG", FEATURE_FLAGS: "all" }
  sync automatic { prune, self_heal }
}

environment qa {
  namespace "shop-qa"
  promote from dev
  tier testing
  replicas 1
  sync automatic
}

environment staging {
  namespace "shop-staging"
  promote from qa, approvals 1
  url "https://staging.shop.example.com"
  replicas 2
  resources { cpu 250m..1, memory 256Mi..1Gi }
  notify slack "#shop-staging" on [sync_failed, health_degraded]
}

environment prod {
  namespace "shop-prod"
  promote from staging, approvals 2, on release
  tier production
  url "https://shop.example.com"
  autoscale { replicas 3..20, cpu 65%, memory 80% }
  sync manual
  revision "production"
  notify slack "#shop-releases"
}

// Edge sites are reached with kubectl, not Argo CD.
environment edge {
  namespace "shop-edge"
  on branch main and not event schedule
  tier other
  approvals 1
}

gitops {
  repo   "https://github.com/acme/shop-deploy.git"
  branch "main"
  path   "clusters/shop"
  token  secret("GITOPS_TOKEN")
  argocd secret("ARGOCD_KUBECONFIG")
}

policy {
  min_coverage   70%
  prod_approvals 2
  max_duration   30m
  rule PIPE104 warning
}
"##
    .to_string()
}

/// Templates shared by the teams, imported with `use "lib/ci.pipe"`.
fn library() -> String {
    r#"// Templates every team shares.

// Go tests on several Go versions, with the race detector on request.
template go_test(
  go:       matrix<version> = matrix("1.22"),
  package:  path = "./...",
  race:     bool = true,
  coverage: percent = 70%,
) -> job {
  role  test
  tool  go go
  cache go keyed ["go.sum", "**/go.sum"]
  step "Download modules" run "go mod download"
  step "Test" run "go test {% if race %}-race {% endif %}-coverprofile=coverage.out {{ package }}"
  step "Vet" run "go vet {{ package }}" if race
  report junit    "report.xml"
  report coverage "coverage.out" min coverage
  timeout 20m
  duration 3m
}

// A Node build with a version matrix; the bundle is kept for a week.
template node_build(
  node:  matrix<version> = matrix("20"),
  dir:   path = ".",
  audit: bool = false,
) -> job {
  role  build
  tool  node node
  cache npm keyed "{{ dir }}/package-lock.json"
  step "Install" run "npm ci --prefix {{ dir }}"
  step "Audit" run "npm audit --prefix {{ dir }} --audit-level=high" if audit
  step "Build" run "npm run build --prefix {{ dir }}"
  artifact "{{ dir }}/dist" expire 7d
  duration 2m
}

// The image of a service, built from its own folder.
template service_image(dir: path, stage: string = "runtime") -> image {
  dockerfile "{{ dir }}/Dockerfile"
  context    dir
  target     stage
  platforms  ["linux/amd64"]
  duration   3m
}

// An end-to-end run against a deployed environment.
template e2e(service: string, env: string = "staging", suite: string = "smoke") -> job {
  role     integration
  container "mcr.microsoft.com/playwright:v1.47.0-jammy"
  env      { BASE_URL: "https://{{ env }}.shop.example.com/{{ service }}" }
  step "E2E {{ suite }}" run "npx playwright test --project={{ suite }} tests/{{ service }}"
  allow_failure
  duration 5m
}
"#
    .to_string()
}

/// One team's file: each member service's pipeline and service, plus the
/// team's nightly pipeline.
fn team(t: usize, members: &[usize]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Team {t:02}: {} services, their pipelines and deployments.\n\
         use std.python\nuse std.docker\nuse std.security\nuse std.notify\nuse \"lib/ci.pipe\" as ci\n",
        members.len()
    );
    for &i in members {
        service(&mut out, t, i);
    }
    nightly(&mut out, t, members);
    out
}

/// Names of service `i`: the identifier and its dashed form.
fn names(i: usize) -> (String, String) {
    let per_round = NOUNS.len() * KINDS.len();
    let mut name = format!(
        "{}_{}",
        NOUNS[i % NOUNS.len()],
        KINDS[(i % per_round) / NOUNS.len()]
    );
    // Past the vocabulary's 1,000 pairs, a round number keeps names unique.
    if i >= per_round {
        name = format!("{name}_{}", i / per_round);
    }
    let dashed = name.replace('_', "-");
    (name, dashed)
}

fn service(out: &mut String, t: usize, i: usize) {
    let (name, dashed) = names(i);
    let dir = format!("services/{dashed}");
    let tag = format!("team-{t:02}-v*");
    let _ = writeln!(out, "pipeline {name} {{");
    let _ = writeln!(out, "  on push to [main, develop, \"release/*\"]");
    let _ = writeln!(out, "  on pull_request to [main, develop]");
    let _ = writeln!(out, "  on tag \"{tag}\"");
    if i.is_multiple_of(9) {
        let _ = writeln!(out, "  on schedule \"{} {} * * 1-5\"", i % 60, i % 24);
    }
    let _ = writeln!(
        out,
        "  env {{ SERVICE: \"{dashed}\", TEAM: \"team-{t:02}\" }}\n"
    );
    let scans = match i % 4 {
        0 => python_jobs(out, &name, &dir, i),
        1 => node_jobs(out, &name, &dir, i),
        2 => go_jobs(out, &name, &dir, i),
        _ => jvm_jobs(out, &name, &dir, i),
    };
    publish(out, &name, &dashed, i, &scans);
    if i.is_multiple_of(5) {
        let _ = writeln!(
            out,
            "  job notify = notify.slack(webhook: secret(\"SLACK_WEBHOOK\"), on: {})",
            ["failure", "always"][i % 2]
        );
    }
    let _ = writeln!(out, "}}\n");
    deployment(out, &name, &dashed, i);
}

/// Lint, tests on three Pythons, a database-backed integration job, the
/// image and the scans. Returns the jobs the publish waits for.
fn python_jobs(out: &mut String, name: &str, dir: &str, i: usize) -> Vec<&'static str> {
    let tools = ["[flake8, black]", "[ruff, mypy]", "[flake8, pylint, isort]"][i % 3];
    let _ = write!(
        out,
        r#"  job lint = python.lint(tools: {tools}, path: "{dir}", requirements: "{dir}/requirements.txt")
  job test = python.pytest(
    python:       matrix("3.10", "3.11", "3.12"),
    coverage:     {cov}%,
    path:         "{dir}/tests",
    source:       "{dir}/src",
    requirements: "{dir}/requirements.txt",
  )
  job integration = python.integration(path: "{dir}/tests/integration") {{
    service db "postgres:16-alpine" {{ env {{ POSTGRES_PASSWORD: "test" }}, port 5432 }}
    env {{ DATABASE_URL: "postgresql://postgres:test@db:5432/postgres" }}
  }}
  image {name} = docker.build(dockerfile: "{dir}/Dockerfile", context: "{dir}", after: [lint, test])
  job scan  = security.trivy({name}, fail_on: [high, critical])
  job audit = security.pip_audit(requirements: "{dir}/requirements.txt")
  job sast  = security.bandit(path: "{dir}/src", severity: {sev})
"#,
        cov = 70 + i % 20,
        sev = ["low", "medium", "high"][i % 3],
    );
    vec!["scan", "audit", "sast", "integration"]
}

/// A Node web app: a job written out in full, with a matrix and include and
/// exclude rules, then the image and the scans.
fn node_jobs(out: &mut String, name: &str, dir: &str, i: usize) -> Vec<&'static str> {
    let _ = write!(
        out,
        r#"  job build = ci.node_build(node: matrix("18", "20", "22"), dir: "{dir}", audit: {audit})
  job test {{
    role    test
    runs_on {runner}
    tool    node "20"
    cache   npm keyed "{dir}/package-lock.json"
    matrix  {{ shard: ["1", "2", "3"], browser: ["chromium", "firefox"] }}
    exclude {{ shard: "3", browser: "firefox" }}
    include {{ shard: "4", browser: "webkit" }}
    step "Install" run "npm ci --prefix {dir}"
    step "Test" run "npm test --prefix {dir} -- --shard={{{{ matrix.shard }}}}/3 --browser={{{{ matrix.browser }}}}"
    report junit    "{dir}/junit.xml"
    report coverage "{dir}/coverage/cobertura.xml" min 75%
    artifact ["{dir}/coverage", "{dir}/screenshots"] expire 3d
    timeout 30m
    duration 4m
    after   build
  }}
  image {name} = ci.service_image(dir: "{dir}", after: [test])
  job scan    = security.trivy({name}, ignore_unfixed: false)
  job secrets = security.gitleaks()
"#,
        audit = i.is_multiple_of(2),
        runner = ["ubuntu", "ubuntu_arm", "\"self-hosted-large\""][i % 3],
    );
    vec!["scan", "secrets"]
}

/// A Go worker: the shared Go template, a hand-written check, the image.
fn go_jobs(out: &mut String, name: &str, dir: &str, i: usize) -> Vec<&'static str> {
    let _ = write!(
        out,
        r#"  job test = ci.go_test(go: matrix("1.22", "1.23"), package: "./{dir}/...", race: {race}, coverage: 75%)
  job lint {{
    role  lint
    tool  go "1.23"
    cache go keyed "go.sum"
    step "golangci-lint" run """
      go install github.com/golangci/golangci-lint/cmd/golangci-lint@v1.61.0
      golangci-lint run ./{dir}/...
      """
    history full
    duration 1m
  }}
  image {name} {{
    dockerfile "{dir}/Dockerfile"
    context    "."
    build_args {{ SERVICE: "{name}", COMMIT: "{{{{ ci.sha }}}}" }}
    after      [test, lint]
    duration   2m
  }}
  job scan = security.trivy({name})
"#,
        race = !i.is_multiple_of(3),
    );
    vec!["scan"]
}

/// A JVM batch service built in a container, with a manual dispatch input.
fn jvm_jobs(out: &mut String, name: &str, dir: &str, i: usize) -> Vec<&'static str> {
    let _ = write!(
        out,
        r#"  on dispatch(target: environment = staging, skip_tests: bool = false, level: enum(info, debug) = info)
  job test {{
    role      test
    container "eclipse-temurin:21-jdk"
    env       {{ GRADLE_OPTS: "-Dorg.gradle.daemon=false", LOG: "{{{{ inputs.level }}}}" }}
    step "Test" run "./gradlew -p {dir} test jacocoTestReport"
    report junit    "{dir}/build/test-results/test/TEST-all.xml"
    report coverage "{dir}/build/reports/jacoco/test/jacocoTestReport.xml" min {cov}%
    when      not (event dispatch and inputs.skip_tests == true)
    timeout   45m
    duration  6m
  }}
  @allow(PIPE104, "load tests only read from the service")
  job load_test {{
    title  "Load test"
    tool   java "21"
    step "Gatling" run "./gradlew -p {dir} gatlingRun"
    allow_failure true
    run_if always
    after  test
    when   branch main or event dispatch
  }}
  image {name} = ci.service_image(dir: "{dir}", stage: "jre", after: [test])
  job scan = security.trivy({name}, fail_on: [critical])
"#,
        cov = 60 + i % 30,
    );
    vec!["scan"]
}

/// The publish rule: one of the registries, with conditional tags.
fn publish(out: &mut String, name: &str, dashed: &str, i: usize, after: &[&str]) {
    let registry = match i % 13 {
        7 => format!(
            "dockerhub(\"acme/{dashed}\", username: secret(\"DOCKERHUB_USERNAME\"), token: secret(\"DOCKERHUB_TOKEN\"))"
        ),
        11 => format!(
            "registry(\"registry.acme.internal:5000\", \"shop/{dashed}\", username: secret(\"REGISTRY_USER\"), password: secret(\"REGISTRY_PASSWORD\"))"
        ),
        12 => format!(
            "ghcr(\"acme/{dashed}\", username: \"acme-bot\", token: secret(\"GHCR_TOKEN\"))"
        ),
        _ => format!("ghcr(\"acme/{dashed}\")"),
    };
    let tags = [
        "[sha, branch, semver, latest if release]",
        "[branch_sha, git_tag, \"stable\" if branch main, latest if release]",
        "[sha, semver, \"edge\" if branch develop]",
    ][i % 3];
    let _ = write!(
        out,
        r#"
  publish {name} to {registry} {{
    after [{after}]
    when  branch in [main, develop] or release
    tags  {tags}{cache}
  }}
"#,
        after = after.join(", "),
        cache = if i.is_multiple_of(6) {
            "\n    cache none"
        } else {
            ""
        },
    );
}

/// The service: how it runs in Kubernetes and where it is deployed.
fn deployment(out: &mut String, name: &str, dashed: &str, i: usize) {
    let port = 8000 + (i % 100);
    let _ = writeln!(out, "service {name} {{");
    let _ = writeln!(out, "  image {name}");
    let _ = writeln!(out, "  port  {port}");
    if i.is_multiple_of(2) {
        let _ = writeln!(out, "  metrics \"/metrics\" port 9090");
    }
    let _ = writeln!(
        out,
        "  probes {{\n    live  \"/healthz\" {{ delay 10s, period 10s, failures 3 }}\n    ready \"/ready\"\n    startup \"/healthz\" {{ failures 30 }}\n  }}"
    );
    let _ = writeln!(
        out,
        "  resources {{ cpu {}m..{}m, memory {}Mi..{}Mi }}",
        100 + (i % 4) * 50,
        500 + (i % 4) * 250,
        128 << (i % 3),
        512 << (i % 3)
    );
    if i.is_multiple_of(3) {
        let _ = writeln!(out, "  autoscale {{ replicas 2..{}, cpu 70% }}", 4 + i % 8);
        let _ = writeln!(out, "  min_available 1");
    } else {
        let _ = writeln!(out, "  replicas {}", 1 + i % 3);
    }
    let _ = writeln!(
        out,
        "  config  {{ LOG_LEVEL: \"INFO\", SERVICE_NAME: \"{dashed}\", WORKERS: \"{}\" }}",
        2 + i % 6
    );
    let _ = writeln!(
        out,
        "  secrets {{ DATABASE_URL: secret(\"{dashed}/database-url\"), SENTRY_DSN: secret(\"SENTRY_DSN\") }}"
    );
    if i % 4 == 1 {
        let _ = writeln!(
            out,
            "  ingress {{ host \"{dashed}.shop.example.com\", path \"/\", class \"nginx\", tls \"{dashed}-tls\" }}"
        );
    }
    // Sync hooks need Argo CD; the kubectl-deployed edge services have none.
    if i.is_multiple_of(4) && !by_kubectl(i) {
        let _ = writeln!(out, "  migrate    \"python -m {name}.migrate\"");
        let _ = writeln!(
            out,
            "  smoke_test \"curl -fsS http://{dashed}:{port}/healthz\""
        );
    }
    let _ = writeln!(out, "  user {}", 10000 + i);
    if by_kubectl(i) {
        let _ = writeln!(
            out,
            "  deploy to [edge] via kubectl(kubeconfig: secret(\"EDGE_KUBECONFIG\"))"
        );
    } else {
        let _ = writeln!(out, "  deploy to [dev, qa, staging, prod] via argocd");
    }
    let _ = writeln!(out, "}}\n");
}

/// Whether service `i` is deployed to the edge with kubectl.
fn by_kubectl(i: usize) -> bool {
    i % 25 == 24
}

/// The team's nightly end-to-end runs: a few services each night, started on
/// schedule or by hand, with a notification after everything.
fn nightly(out: &mut String, t: usize, members: &[usize]) {
    let _ = writeln!(out, "pipeline team_{t:02}_nightly {{");
    let _ = writeln!(out, "  on schedule \"{} 2 * * *\"", t % 60);
    let _ = writeln!(
        out,
        "  on dispatch(env: environment = staging, suite: enum(smoke, full) = smoke)"
    );
    for &i in members.iter().take(5) {
        let (name, dashed) = names(i);
        let _ = writeln!(
            out,
            "  job e2e_{name} = ci.e2e(service: \"{dashed}\", suite: \"{}\", when: event schedule or inputs.suite == full)",
            ["smoke", "full"][i % 2]
        );
    }
    let _ = writeln!(out, "  job report {{");
    let _ = writeln!(out, "    runs_on ubuntu");
    let _ = writeln!(
        out,
        "    run \"echo nightly run {{{{ ci.run_id }}}} for team {t:02} done\""
    );
    let _ = writeln!(out, "    after all");
    let _ = writeln!(out, "    run_if always");
    let _ = writeln!(out, "  }}");
    let _ = writeln!(out, "}}\n");
}
