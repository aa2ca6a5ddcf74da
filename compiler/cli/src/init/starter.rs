//! The starter programs `pipec init` writes, one per ecosystem: the standard
//! library's lint, test (with a 70% coverage gate), dependency audit and
//! static analysis jobs of that ecosystem, a secret scan, and — for services
//! — an image per service, its scan, a publish to GHCR after every check and
//! dev → staging → prod through Argo CD: what `pipec lint`'s default policy
//! asks for. A Python library gets no image and no deployment: its
//! starter builds the distribution and publishes it to PyPI from release
//! tags, by trusted publishing.
//!
//! Argo CD reads the manifests from this repository (`gitops` names it, with
//! no token of another repository), the repository the deployments commit
//! the environment trees to, so the two agree without a second repository.

use std::fmt::Write;

use clap::ValueEnum;

/// The ecosystems `pipec init` writes a starter for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Node.js with npm, pnpm or Yarn (`package.json`).
    Node,
    /// Go modules (`go.mod`).
    Go,
    /// Java or Kotlin built with Gradle (`build.gradle`, `build.gradle.kts`).
    Gradle,
    /// Java built with Maven (`pom.xml`).
    Maven,
    /// Cargo (`Cargo.toml`).
    Rust,
    /// A Python service, deployed (`pyproject.toml` or `requirements.txt`
    /// beside a `Dockerfile`).
    Python,
    /// A Python library: tests and a built distribution, no deployment
    /// (`pyproject.toml` without a `Dockerfile`).
    PythonLibrary,
}

impl Lang {
    pub fn describe(self) -> &'static str {
        match self {
            Lang::Node => "Node.js",
            Lang::Go => "Go",
            Lang::Gradle => "Gradle",
            Lang::Maven => "Maven",
            Lang::Rust => "Rust",
            Lang::Python => "Python service",
            Lang::PythonLibrary => "Python library",
        }
    }

    /// The port a service of this ecosystem listens on by convention.
    fn port(self) -> u16 {
        match self {
            Lang::Node => 3000,
            Lang::Python | Lang::PythonLibrary => 8000,
            Lang::Go | Lang::Gradle | Lang::Maven | Lang::Rust => 8080,
        }
    }
}

/// The Node package manager, from the lock file the repository holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeManager {
    Npm,
    Pnpm,
    Yarn,
}

/// Everything a starter is made from (all values already validated as plain
/// names or text).
pub struct Settings<'a> {
    pub lang: Lang,
    pub node: NodeManager,
    pub services: &'a [String],
    pub owner: &'a str,
    pub python: &'a str,
    /// The HTTPS URL of this repository, which Argo CD reads.
    pub repo: &'a str,
}

/// The starter program, in the layout `pipec fmt` gives it.
pub fn starter(s: &Settings) -> String {
    let text = draft(s);
    pipec_syntax::fmt::format(&text).unwrap_or(text)
}

/// The checks before anything is published: `job` lines, and the jobs'
/// names.
fn checks(s: &Settings) -> (Vec<&'static str>, String, Vec<&'static str>) {
    let py = s.python;
    let manager = match s.node {
        NodeManager::Npm => "npm",
        NodeManager::Pnpm => "pnpm",
        NodeManager::Yarn => "yarn",
    };
    let (uses, lines, names): (Vec<&str>, Vec<String>, Vec<&str>) = match s.lang {
        Lang::Node => (
            vec!["node"],
            vec![
                format!("job lint = node.lint(manager: {manager})"),
                format!("job test = node.test(manager: {manager}, coverage: 70%)"),
                format!("job audit = node.audit(manager: {manager})"),
                "job sast = security.semgrep(config: \"p/javascript\")".into(),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
        Lang::Go => (
            vec!["go"],
            vec![
                "job lint = go.lint()".into(),
                "job test = go.test(coverage: 70%)".into(),
                "job audit = go.vulncheck()".into(),
                "job sast = security.semgrep(config: \"p/golang\")".into(),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
        Lang::Gradle => (
            vec!["jvm"],
            vec![
                "job lint = jvm.gradle_lint()".into(),
                "job test = jvm.gradle_test(coverage: 70%)".into(),
                "job audit = security.dependencies()".into(),
                "job sast = security.semgrep(config: \"p/java\")".into(),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
        Lang::Maven => (
            vec!["jvm"],
            vec![
                "job test = jvm.maven_test(coverage: 70%)".into(),
                "job audit = security.dependencies()".into(),
                "job sast = security.semgrep(config: \"p/java\")".into(),
            ],
            vec!["test", "audit", "sast"],
        ),
        Lang::Rust => (
            vec!["rust"],
            vec![
                "job lint = rust.lint()".into(),
                "job test = rust.test(coverage: 70%)".into(),
                "job audit = security.dependencies()".into(),
                "job sast = security.semgrep(config: \"p/rust\")".into(),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
        Lang::Python => (
            vec!["python"],
            vec![
                format!("job lint = python.lint(tools: [flake8, black], python: \"{py}\")"),
                format!("job test = python.pytest(python: matrix(\"{py}\"), coverage: 70%)"),
                format!("job audit = security.pip_audit(python: \"{py}\")"),
                format!("job sast = security.bandit(path: \".\", python: \"{py}\")"),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
        Lang::PythonLibrary => (
            vec!["python"],
            vec![
                format!("job lint = python.lint(tools: [ruff], python: \"{py}\", project: true)"),
                format!(
                    "job test = python.pytest(python: matrix(\"{py}\"), coverage: 70%, source: \"src\", project: true)"
                ),
                format!("job audit = security.pip_audit(python: \"{py}\", project: true)"),
                format!("job sast = security.bandit(path: \"src\", python: \"{py}\")"),
            ],
            vec!["lint", "test", "audit", "sast"],
        ),
    };
    let mut text = lines.join("\n");
    text.push_str("\njob secrets = security.gitleaks()\n");
    let mut names = names;
    names.push("secrets");
    (uses, text, names)
}

fn draft(s: &Settings) -> String {
    let (uses, checks, gates) = checks(s);
    let mut p = String::new();
    let what = if s.lang == Lang::PythonLibrary {
        "the library".to_string()
    } else {
        s.services.join(", ")
    };
    let _ = writeln!(
        p,
        "// The CI/CD pipeline of {what} ({}), for pipec: `pipec check` checks it,\n\
         // `pipec build` writes the CI and deployment files, `pipec graph` draws it.",
        s.lang.describe()
    );
    for u in &uses {
        let _ = writeln!(p, "use std.{u}");
    }
    if s.lang != Lang::PythonLibrary {
        p.push_str("use std.docker\n");
    }
    p.push_str("use std.security\n\n");
    p.push_str(
        "pipeline ci {\n  on push\n  on pull_request to [main, develop]\n  on tag \"v*\"\n\n",
    );
    p.push_str(&checks);
    if s.lang == Lang::PythonLibrary {
        let _ = writeln!(
            p,
            "\n  // The sdist and wheel, and on a release tag their upload to PyPI by\n  \
             // trusted publishing: tell PyPI once that this repository's workflow\n  \
             // publishes the project (no token is stored).\n  \
             job dist = python.dist(python: \"{}\") {{\n    after [{}]\n  }}\n\n  \
             job publish = python.pypi(python: \"{}\") {{\n    after dist\n    when release\n  }}\n}}",
            s.python,
            gates.join(", "),
            s.python,
        );
        return p;
    }
    let several = s.services.len() > 1;
    // Images build while the checks run; each publish waits for all of them
    // and the image's scan.
    for svc in s.services {
        let dir = if several {
            svc.replace('_', "-")
        } else {
            ".".into()
        };
        let dockerfile = if several {
            format!("{dir}/Dockerfile")
        } else {
            "Dockerfile".into()
        };
        let _ = writeln!(
            p,
            "\n  image {svc} = docker.build(context: \"{dir}\", dockerfile: \"{dockerfile}\")\n  \
             job scan_{svc} = security.trivy({svc})"
        );
    }
    for svc in s.services {
        let mut after: Vec<String> = gates.iter().map(|g| g.to_string()).collect();
        after.push(format!("scan_{svc}"));
        let _ = writeln!(
            p,
            "\n  publish {svc} to ghcr(\"{}/{}\") {{\n    after [{}]\n    \
             when branch in [main, develop] or release\n    tags [sha, branch, semver, latest if release]\n  }}",
            s.owner,
            svc.replace('_', "-"),
            after.join(", ")
        );
    }
    p.push_str("}\n\n");
    p.push_str(
        "environment dev {\n  namespace \"dev\"\n  deploy on branch develop\n  replicas 1\n}\n\n\
         environment staging {\n  namespace \"staging\"\n  promote from dev, approvals 1\n  replicas 2\n}\n\n\
         environment prod {\n  namespace \"prod\"\n  promote from staging, approvals 2, on release\n  \
         tier production\n  replicas 3\n}\n",
    );
    for svc in s.services {
        let _ = writeln!(
            p,
            "\nservice {svc} {{\n  image {svc}\n  port {}\n  probes {{ live \"/health\", ready \"/ready\" }}\n  \
             resources {{ cpu 250m..500m, memory 256Mi..512Mi }}\n  deploy to [dev, staging, prod] via argocd\n}}",
            s.lang.port()
        );
    }
    let _ = writeln!(
        p,
        "\n// Argo CD reads the manifests from this repository, on a branch of their own\n\
         // (`main` stays protected): each deployment commits the environment's tree\n\
         // there, then waits until Argo CD, reached with the ARGOCD_KUBECONFIG secret,\n\
         // reports it Synced and Healthy.\n\
         gitops {{\n  repo   \"{}\"\n  branch \"deploy\"\n  path   \"deploy\"\n  argocd secret(\"ARGOCD_KUBECONFIG\")\n}}",
        s.repo
    );
    p
}
