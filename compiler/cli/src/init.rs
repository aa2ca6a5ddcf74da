//! `pipec init`: a starter program for Python services, from flags only —
//! lint, tests with a 70% coverage gate, an image per service, the four
//! security scans, a guarded publish to GHCR, and dev → staging → prod with
//! approvals, deployed by Argo CD.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use crate::output::Output;

#[derive(Args)]
pub struct InitArgs {
    /// A service to build and deploy; repeat for several (each then builds
    /// from its own directory).
    #[arg(long = "service", value_name = "NAME", default_value = "app")]
    pub services: Vec<String>,
    /// The GitHub owner (user or organization) of the images and the GitOps
    /// repository.
    #[arg(long, default_value = "your-org")]
    pub owner: String,
    /// The Python version the checks run on.
    #[arg(long, default_value = "3.12")]
    pub python: String,
    /// The file to write; `-` prints the program instead.
    #[arg(long, default_value = "pipeline.pipe")]
    pub out: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs, out: &Output) -> u8 {
    let mut names = Vec::new();
    for s in &args.services {
        let name = s.replace('-', "_");
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            out.error(&format!(
                "`{s}` is not a service name: use lower-case letters, digits, `_` and `-`"
            ));
            return 2;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let bad = |s: &str| s.is_empty() || s.contains(['"', '\\', '\n', '{', '}']);
    if bad(&args.owner) || bad(&args.python) {
        out.error("--owner and --python take plain text (no quotes, braces or backslashes)");
        return 2;
    }
    let program = starter(&names, &args.owner, &args.python);
    if args.out.as_os_str() == "-" {
        print!("{program}");
        return 0;
    }
    // Never through a symbolic link: without --force nothing may be there,
    // with it the file is replaced whole.
    let written = if args.force {
        pipec_fs::write::replace(&args.out, program.as_bytes())
    } else {
        pipec_fs::write::create_new(&args.out, program.as_bytes())
    };
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            out.error(&format!(
                "{} exists; pass --force to overwrite it, or --out to write elsewhere",
                args.out.display()
            ));
            return 2;
        }
        out.error(&format!("cannot write {}: {e}", args.out.display()));
        return 2;
    }
    out.status(&format!(
        "wrote {}; next: `pipec check {0}`, then `pipec build {0}`",
        args.out.display()
    ));
    0
}

/// The starter program for `services` (valid names, at least one), in the
/// layout `pipec fmt` gives it.
pub fn starter(services: &[String], owner: &str, python: &str) -> String {
    let text = draft(services, owner, python);
    pipec_syntax::fmt::format(&text).unwrap_or(text)
}

fn draft(services: &[String], owner: &str, python: &str) -> String {
    let several = services.len() > 1;
    let mut p = String::new();
    let _ = writeln!(
        p,
        "// The CI/CD pipeline of {}, for pipec: `pipec check` checks it,\n\
         // `pipec build` writes the CI and deployment files, `pipec graph` draws it.",
        services.join(", ")
    );
    p.push_str("use std.python\nuse std.docker\nuse std.security\n\n");
    p.push_str(
        "pipeline ci {\n  on push\n  on pull_request to [main, develop]\n  on tag \"v*\"\n\n",
    );
    let _ = writeln!(
        p,
        "  job lint = python.lint(tools: [flake8, black], python: \"{python}\")"
    );
    let _ = writeln!(
        p,
        "  job test = python.pytest(python: matrix(\"{python}\"), coverage: 70%)\n"
    );
    for s in services {
        let dir = if several {
            s.replace('_', "-")
        } else {
            ".".into()
        };
        let _ = writeln!(
            p,
            "  image {s} = docker.build(context: \"{dir}\", dockerfile: \"{}\", after: [lint, test])",
            if several {
                format!("{dir}/Dockerfile")
            } else {
                "Dockerfile".into()
            }
        );
        let _ = writeln!(p, "  job scan_{s} = security.trivy({s})");
    }
    let _ = writeln!(
        p,
        "\n  job audit = security.pip_audit(python: \"{python}\")"
    );
    let _ = writeln!(
        p,
        "  job sast = security.bandit(path: \".\", python: \"{python}\")"
    );
    p.push_str("  job secrets = security.gitleaks()\n");
    for s in services {
        let _ = writeln!(
            p,
            "\n  publish {s} to ghcr(\"{owner}/{}\") {{\n    after [scan_{s}, audit, sast, secrets]\n    \
             when branch in [main, develop] or release\n    tags [sha, branch, semver, latest if release]\n  }}",
            s.replace('_', "-")
        );
    }
    p.push_str("}\n\n");
    p.push_str(
        "environment dev {\n  namespace \"dev\"\n  deploy on branch develop\n  replicas 1\n}\n\n\
         environment staging {\n  namespace \"staging\"\n  promote from dev, approvals 1\n  replicas 2\n}\n\n\
         environment prod {\n  namespace \"prod\"\n  promote from staging, approvals 2, on release\n  \
         tier production\n  replicas 3\n}\n",
    );
    for s in services {
        let _ = writeln!(
            p,
            "\nservice {s} {{\n  image {s}\n  port 8000\n  probes {{ live \"/health\", ready \"/ready\" }}\n  \
             resources {{ cpu 250m..500m, memory 256Mi..512Mi }}\n  deploy to [dev, staging, prod] via argocd\n}}"
        );
    }
    let _ = writeln!(
        p,
        "\ngitops {{\n  repo   \"https://github.com/{owner}/deploy.git\"\n  token  secret(\"GITOPS_TOKEN\")\n  argocd secret(\"ARGOCD_KUBECONFIG\")\n}}"
    );
    p
}
