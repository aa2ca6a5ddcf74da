//! The statements each kind of block accepts, and their documentation.
//!
//! The heads are those the checker accepts in each block, from its own
//! listing (`pipec_check::vocabularies`); the documentation is the language
//! reference, `docs/language.md`, embedded: a statement's rows of its
//! section's table, or for the top-level statements the section's opening.

use std::sync::OnceLock;

/// A kind of block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    File,
    Pipeline,
    Job,
    Image,
    Publish,
    /// `service NAME "IMAGE" { … }` in a job.
    JobService,
    Environment,
    Sync,
    Service,
    /// `worker NAME { … }`: a service without a port.
    Worker,
    /// `cronjob NAME { … }`.
    CronJob,
    Probes,
    Probe,
    Resources,
    Autoscale,
    Ingress,
    Volume,
    /// `helm { … }` of a service.
    Helm,
    /// `rollout canary|blue_green … { … }` of a service.
    Rollout,
    /// `analysis { … }` of a rollout.
    Analysis,
    /// `alerts { … }` of a service.
    Alerts,
    /// `metrics "PATH" { … }` of a service: the request metrics' names.
    Metrics,
    Gitops,
    Policy,
}

/// The statements common to jobs, images and publish rules.
const COMMON: &[&str] = &[
    "after",
    "when",
    "timeout",
    "duration",
    "runs_on",
    "title",
    "allow_failure",
];

impl Context {
    pub const ALL: &[Context] = &[
        Context::File,
        Context::Pipeline,
        Context::Job,
        Context::Image,
        Context::Publish,
        Context::JobService,
        Context::Environment,
        Context::Sync,
        Context::Service,
        Context::Worker,
        Context::CronJob,
        Context::Probes,
        Context::Probe,
        Context::Resources,
        Context::Autoscale,
        Context::Ingress,
        Context::Volume,
        Context::Helm,
        Context::Rollout,
        Context::Analysis,
        Context::Alerts,
        Context::Metrics,
        Context::Gitops,
        Context::Policy,
    ];

    /// The statement heads the block accepts: the checker's own listing
    /// for the blocks it names, and the nested blocks' fields.
    pub fn heads(self) -> Vec<&'static str> {
        if let Some(block) = self.block() {
            return pipec_check::vocabularies()
                .into_iter()
                .chain(pipec_check::nested_vocabularies())
                .find(|(b, _)| *b == block)
                .map(|(_, heads)| heads.to_vec())
                .unwrap_or_default();
        }
        let own: &[&str] = match self {
            Context::Sync => &["prune", "self_heal"],
            Context::Probes => &["live", "ready", "startup"],
            Context::Probe => &["delay", "period", "timeout", "failures", "port"],
            Context::Resources => &["cpu", "memory"],
            Context::Autoscale => &["replicas", "cpu", "memory"],
            Context::Ingress => &["host", "path", "class", "tls"],
            Context::Volume => &["size", "files"],
            Context::Helm => &["repo", "chart", "version", "release", "values"],
            _ => &[],
        };
        own.to_vec()
    }

    /// The name the checker gives the block in its listing of statements
    /// (`pipec_check::vocabularies`), for the blocks it lists.
    fn block(self) -> Option<&'static str> {
        Some(match self {
            Context::File => "a file",
            Context::Pipeline => "a pipeline",
            Context::Job => "a job",
            Context::Image => "an image",
            Context::Publish => "a publish rule",
            Context::JobService => "a job service",
            Context::Environment => "an environment",
            Context::Service => "a service",
            Context::Worker => "a worker",
            Context::CronJob => "a cronjob",
            Context::Gitops => "gitops",
            Context::Policy => "policy",
            Context::Rollout => "a rollout",
            Context::Analysis => "an analysis",
            Context::Alerts => "alerts",
            Context::Metrics => "metrics",
            _ => return None,
        })
    }

    /// The block a statement with head `head` opens here, if it holds
    /// statements (`config { … }` holds a record instead).
    pub fn child(self, head: &str) -> Option<Context> {
        Some(match (self, head) {
            (Context::File, "pipeline") => Context::Pipeline,
            (Context::File, "environment") => Context::Environment,
            (Context::File, "service") => Context::Service,
            (Context::File, "worker") => Context::Worker,
            (Context::File, "cronjob") => Context::CronJob,
            (Context::File, "gitops") => Context::Gitops,
            (Context::File, "policy") => Context::Policy,
            (Context::Pipeline, "job") => Context::Job,
            (Context::Pipeline, "image") => Context::Image,
            (Context::Pipeline, "publish") => Context::Publish,
            (Context::Job, "service") => Context::JobService,
            (Context::Environment, "sync") => Context::Sync,
            (
                Context::Environment | Context::Service | Context::Worker | Context::CronJob,
                "resources",
            ) => Context::Resources,
            (Context::Environment | Context::Service | Context::Worker, "autoscale") => {
                Context::Autoscale
            }
            (Context::Service | Context::Worker, "probes") => Context::Probes,
            (Context::Service, "ingress") => Context::Ingress,
            (Context::Service | Context::Worker | Context::CronJob, "volume") => Context::Volume,
            (Context::Service, "helm") => Context::Helm,
            (Context::Service, "rollout") => Context::Rollout,
            (Context::Rollout, "analysis") => Context::Analysis,
            (Context::Service, "alerts") => Context::Alerts,
            (Context::Service, "metrics") => Context::Metrics,
            (Context::Probes, "live" | "ready" | "startup") => Context::Probe,
            _ => return None,
        })
    }

    /// The section of `docs/language.md` whose table documents the block's
    /// statements.
    fn section(self) -> Option<&'static str> {
        Some(match self {
            Context::Pipeline => "`pipeline`",
            Context::Job | Context::Publish => "Jobs",
            Context::Image => "Images",
            Context::Environment => "`environment`",
            // `### Helm charts` and `### Rollouts`, within the section.
            Context::Service
            | Context::Helm
            | Context::Rollout
            | Context::Analysis
            | Context::Alerts => "`service`",
            Context::Worker => "`worker`",
            Context::CronJob => "`cronjob`",
            _ => return None,
        })
    }
}

/// A statement's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDoc {
    /// The forms it is written in: `timeout DURATION`.
    pub shapes: Vec<String>,
    /// What it means, in markdown.
    pub meaning: String,
}

/// The documentation of statement `head` in `context`.
pub fn doc(context: Context, head: &str) -> Option<StatementDoc> {
    if context == Context::File {
        return top_level(head);
    }
    let mut sections: Vec<&str> = context.section().into_iter().collect();
    // Images and publish rules take the jobs' common statements.
    if COMMON.contains(&head) {
        sections.push("Jobs");
    }
    // Workers and CronJobs document what only they have, and take the rest
    // from services.
    if matches!(context, Context::Worker | Context::CronJob) {
        sections.push("`service`");
    }
    for name in sections {
        let Some(section) = reference().iter().find(|s| s.title == name) else {
            continue;
        };
        let rows: Vec<&Row> = section
            .rows
            .iter()
            .filter(|r| r.shapes.iter().any(|s| head_of(s) == head))
            .collect();
        if !rows.is_empty() {
            return Some(StatementDoc {
                shapes: rows.iter().flat_map(|r| r.shapes.clone()).collect(),
                meaning: rows
                    .iter()
                    .map(|r| r.meaning.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
    }
    let (shape, meaning) = FALLBACK
        .iter()
        .find(|(c, h, _, _)| *c == context && *h == head)
        .map(|(_, _, s, m)| (*s, *m))?;
    Some(StatementDoc {
        shapes: vec![shape.to_string()],
        meaning: meaning.to_string(),
    })
}

/// Statements documented in prose rather than in a table, with the shape
/// the checker asks for.
const FALLBACK: &[(Context, &str, &str, &str)] = &[
    (
        Context::Metrics,
        "requests",
        "requests \"NAME\" labels [LABELS]",
        "the counter of the requests served (default `http_requests_total` with the labels `code` and `method`): what an analysis's and an alert's error rate read",
    ),
    (
        Context::Metrics,
        "latency",
        "latency \"NAME\" labels [LABELS]",
        "the histogram of request durations in seconds, without `_bucket` (default `http_request_duration_seconds`): what an analysis's and an alert's latency read",
    ),
    (
        Context::Pipeline,
        "paths",
        "paths [GLOBS]",
        "the path filter of every push and pull-request trigger of the pipeline that has none of its own: it runs only when a changed file matches",
    ),
    (
        Context::Pipeline,
        "on",
        "on TRIGGER",
        "starts a run: push, pull_request, tag, schedule or dispatch",
    ),
    (
        Context::Pipeline,
        "env",
        "env { NAME: value }",
        "variables for every job of the pipeline; values are strings or `secret(\"NAME\")`",
    ),
    (
        Context::Pipeline,
        "job",
        "job NAME = TEMPLATE(ARGS) [{ … }]",
        "a job made by a template, or written out in a block: `job NAME { … }`",
    ),
    (
        Context::Pipeline,
        "image",
        "image NAME = TEMPLATE(ARGS) [{ … }]",
        "an image made by a template, or written out in a block (`image NAME { … }`), built by a job named `build_NAME`",
    ),
    (
        Context::Pipeline,
        "publish",
        "publish IMAGE to REGISTRY [as NAME] { … }",
        "pushes an image built in the same pipeline: `ghcr(\"OWNER/NAME\")`, `dockerhub(…)`, `gitlab_registry()`, `registry(…)`",
    ),
    (
        Context::Publish,
        "tags",
        "tags [TAG, …]",
        "the tags the image gets (default `[sha]`): `sha`, `branch`, `branch_sha`, `semver`, `git_tag`, `latest` or a string, each optionally `TAG if CONDITION`",
    ),
    (
        Context::Publish,
        "cache",
        "cache registry|none",
        "reuse layers from the registry (default) or not",
    ),
    (
        Context::JobService,
        "env",
        "env { NAME: \"value\" }",
        "variables of the side container",
    ),
    (
        Context::JobService,
        "port",
        "port N",
        "the port the side container listens on",
    ),
    (
        Context::JobService,
        "health",
        "health \"COMMAND\" [{ interval D, retries N, start D, timeout D }]",
        "a command that exits with 0 once the side container is ready: the job's steps start after it succeeds (Docker's health check on GitHub Actions, a wait at the start of the script on GitLab CI)",
    ),
    (
        Context::Sync,
        "prune",
        "prune",
        "Argo CD deletes what the manifests no longer have",
    ),
    (
        Context::Sync,
        "self_heal",
        "self_heal [true|false]",
        "Argo CD undoes changes made in the cluster (default with automatic sync)",
    ),
    (
        Context::Probes,
        "live",
        "live \"/PATH\" [{ … }]",
        "the liveness probe: the pod restarts when it fails",
    ),
    (
        Context::Probes,
        "ready",
        "ready \"/PATH\" [{ … }]",
        "the readiness probe: the pod gets traffic only while it passes",
    ),
    (
        Context::Probes,
        "startup",
        "startup \"/PATH\" [{ … }]",
        "the startup probe: the other probes wait until it passes",
    ),
    (
        Context::Probe,
        "delay",
        "delay DURATION",
        "wait this long after the container starts",
    ),
    (
        Context::Probe,
        "period",
        "period DURATION",
        "probe this often (10s unless written)",
    ),
    (
        Context::Probe,
        "timeout",
        "timeout DURATION",
        "how long to wait for an answer (1s at least, not longer than the period)",
    ),
    (
        Context::Probe,
        "failures",
        "failures N",
        "failures in a row before the probe fails",
    ),
    (
        Context::Probe,
        "port",
        "port N",
        "probe this port instead of the service's",
    ),
    (
        Context::Resources,
        "cpu",
        "cpu MIN..MAX",
        "CPU request..limit: cores (0.5) or millicores (250m)",
    ),
    (
        Context::Resources,
        "memory",
        "memory MIN..MAX",
        "memory request..limit: 512Mi, 1Gi",
    ),
    (
        Context::Autoscale,
        "replicas",
        "replicas MIN..MAX",
        "the fewest and most replicas; required",
    ),
    (
        Context::Autoscale,
        "cpu",
        "cpu PERCENT",
        "target CPU use, of the request",
    ),
    (
        Context::Autoscale,
        "memory",
        "memory PERCENT",
        "target memory use, of the request",
    ),
    (
        Context::Ingress,
        "host",
        "host \"NAME\"",
        "the host name; required",
    ),
    (
        Context::Ingress,
        "path",
        "path \"/PATH\"",
        "the path prefix (default /)",
    ),
    (
        Context::Ingress,
        "class",
        "class \"CLASS\"",
        "the ingress class",
    ),
    (
        Context::Ingress,
        "tls",
        "tls \"SECRET\"",
        "the Secret with the TLS certificate",
    ),
    (
        Context::Volume,
        "size",
        "size SIZE",
        "the most the directory may hold: 1Gi",
    ),
    (
        Context::Volume,
        "files",
        "files { \"FILE\": \"CONTENT\", … }",
        "read-only files with these contents",
    ),
    (
        Context::Gitops,
        "repo",
        "repo \"https://…\"",
        "the repository Argo CD reads the manifests from (HTTPS); required",
    ),
    (
        Context::Gitops,
        "branch",
        "branch \"BRANCH\"",
        "the branch (default main)",
    ),
    (
        Context::Gitops,
        "path",
        "path \"FOLDER\"",
        "the relative folder of the manifests (default deploy)",
    ),
    (
        Context::Gitops,
        "token",
        "token secret(\"NAME\")",
        "what CI uses to push the new image tags",
    ),
    (
        Context::Gitops,
        "argocd",
        "argocd secret(\"NAME\")",
        "a kubeconfig for the cluster Argo CD runs in: deployments sync through it and wait until the environment is Synced and Healthy (without it they end with their commit, W0005)",
    ),
    (
        Context::Gitops,
        "wait",
        "wait DURATION",
        "how long a deployment waits for the sync, 1m to 6h (default 10m)",
    ),
    (
        Context::Gitops,
        "notify",
        "notify SERVICE secret(\"KEY\")",
        "the key of argocd-notifications-secret holding the token of slack or telegram (default slack-token, telegram-token); repeatable",
    ),
    (
        Context::Policy,
        "min_coverage",
        "min_coverage PERCENT",
        "the least coverage gate the policy rules accept",
    ),
    (
        Context::Policy,
        "prod_approvals",
        "prod_approvals N",
        "approvals production deployments need (0 to 6)",
    ),
    (
        Context::Policy,
        "max_duration",
        "max_duration DURATION",
        "the CI-time budget (5m by default)",
    ),
    (
        Context::Policy,
        "max_deploy_duration",
        "max_deploy_duration DURATION",
        "the budget from a push until an environment deployed without approval runs it (8m by default)",
    ),
    (
        Context::Policy,
        "rule",
        "rule RULE off|note|warning|error",
        "changes a rule's level (repeatable)",
    ),
];

/// A top-level statement: its section's signature and opening paragraph.
fn top_level(head: &str) -> Option<StatementDoc> {
    let title = match head {
        "use" => "`use` and modules",
        "pipeline" => "`pipeline`",
        "template" => "Templates",
        "environment" => "`environment`",
        "service" => "`service`",
        "worker" => "`worker`",
        "cronjob" => "`cronjob`",
        "gitops" => "`gitops`",
        "policy" => "`policy`",
        _ => return None,
    };
    let s = reference().iter().find(|s| s.title == title)?;
    Some(StatementDoc {
        shapes: s.signatures.clone(),
        meaning: s.opening.clone(),
    })
}

/// The word a shape starts with.
fn head_of(shape: &str) -> &str {
    shape.split([' ', '(', '{']).next().unwrap_or("")
}

/// A `##` section of the language reference.
struct Section {
    title: String,
    /// The indented lines under the heading (`    pipeline NAME { … }`).
    signatures: Vec<String>,
    /// The first paragraph after them.
    opening: String,
    rows: Vec<Row>,
}

/// A row of a statement table: the backticked forms of its first cell and
/// the text of its second.
struct Row {
    shapes: Vec<String>,
    meaning: String,
}

fn reference() -> &'static [Section] {
    static SECTIONS: OnceLock<Vec<Section>> = OnceLock::new();
    SECTIONS.get_or_init(|| parse(include_str!("../../../docs/language.md")))
}

fn parse(md: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_code = false;
    // Signatures are the indented lines before the section's first example.
    let mut examples = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            examples = true;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            examples = false;
            out.push(Section {
                title: title.trim().to_string(),
                signatures: Vec::new(),
                opening: String::new(),
                rows: Vec::new(),
            });
            continue;
        }
        let Some(s) = out.last_mut() else { continue };
        if let Some(sig) = line.strip_prefix("    ") {
            // `use std.NAME [as ALIAS]        a standard-library module`
            let sig = sig.trim().split("   ").next().unwrap_or("");
            if !examples && s.rows.is_empty() && !sig.is_empty() {
                s.signatures.push(sig.to_string());
            }
        } else if line.starts_with('|') {
            if let Some(row) = table_row(line) {
                s.rows.push(row);
            }
        } else if line.trim().is_empty() {
            if !s.opening.is_empty() && !s.opening.ends_with('\n') {
                s.opening.push('\n');
            }
        } else if !s.opening.ends_with('\n') {
            if !s.opening.is_empty() {
                s.opening.push(' ');
            }
            s.opening.push_str(line.trim());
        }
    }
    for s in &mut out {
        s.opening = s.opening.trim().to_string();
    }
    out
}

fn table_row(line: &str) -> Option<Row> {
    // Cells are separated by `|` not escaped as `\|`.
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.trim().trim_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    let [first, meaning, ..] = cells.as_slice() else {
        return None;
    };
    let shapes: Vec<String> = first
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    if shapes.is_empty() || first.trim_start().starts_with("---") {
        return None;
    }
    Some(Row {
        shapes,
        meaning: meaning.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_is_documented() {
        for c in Context::ALL {
            for h in c.heads() {
                let d = doc(*c, h).unwrap_or_else(|| panic!("no documentation for {h} in {c:?}"));
                assert!(
                    !d.shapes.is_empty() && !d.meaning.is_empty(),
                    "{c:?} {h}: {d:?}"
                );
                assert!(
                    d.shapes
                        .iter()
                        .any(|s| head_of(s) == h || *c == Context::File),
                    "{c:?} {h}: {d:?}"
                );
            }
        }
    }

    /// Every block the checker lists is one the server knows, so a block
    /// added to the language gets completion (and, above, documentation).
    #[test]
    fn every_block_of_the_checker_is_known() {
        for (block, heads) in pipec_check::vocabularies()
            .into_iter()
            .chain(pipec_check::nested_vocabularies())
        {
            let c = Context::ALL
                .iter()
                .find(|c| c.block() == Some(block))
                .unwrap_or_else(|| panic!("a block the server does not know: {block}"));
            assert_eq!(c.heads(), heads.to_vec(), "{block}");
        }
    }

    #[test]
    fn rows_come_from_the_reference() {
        let d = doc(Context::Job, "timeout").unwrap();
        assert_eq!(d.shapes, ["timeout DURATION"]);
        assert!(d.meaning.contains("1m to 24h"), "{d:?}");
        let d = doc(Context::Job, "runs_on").unwrap();
        assert_eq!(
            d.shapes,
            ["runs_on ubuntu|ubuntu_arm|macos|windows|\"LABEL\""]
        );
        let d = doc(Context::Image, "after").unwrap();
        assert!(d.meaning.contains("run after those jobs"), "{d:?}");
        let d = doc(Context::Rollout, "gateway").unwrap();
        assert_eq!(d.shapes, ["gateway \"[NAMESPACE/]NAME\""]);
        assert!(d.meaning.contains("HTTPRoute"), "{d:?}");
        let d = doc(Context::Metrics, "latency").unwrap();
        assert!(d.meaning.contains("histogram"), "{d:?}");
        let d = doc(Context::Alerts, "restarts").unwrap();
        assert_eq!(d.shapes, ["restarts max N within DURATION"]);
        let d = doc(Context::Analysis, "failures").unwrap();
        assert!(d.meaning.contains("one more aborts"), "{d:?}");
        let d = doc(Context::File, "pipeline").unwrap();
        assert_eq!(d.shapes, ["pipeline NAME { … }"]);
        assert!(d.meaning.starts_with("A pipeline becomes"), "{d:?}");
    }
}
