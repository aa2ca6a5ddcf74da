//! Generated CI files read back into job graphs — the jobs, who waits for
//! whom, and which jobs wait for a person — and compared with each other and
//! with the pipeline graph they come from: GitHub Actions and GitLab CI run
//! the same pipeline.

use std::collections::BTreeSet;

use pipec_graph::{JobKind, Pipeline, Program};
use yaml_serde::Value;

/// What a CI file says about a pipeline's shape.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobGraph {
    pub jobs: BTreeSet<String>,
    /// `(a, b)`: `b` waits for `a`.
    pub edges: BTreeSet<(String, String)>,
    /// Jobs that run only when a person lets them.
    pub gates: BTreeSet<String>,
}

/// The top-level keys of `.gitlab-ci.yml` that are not jobs.
const GITLAB_KEYWORDS: &[&str] = &[
    "after_script",
    "before_script",
    "cache",
    "default",
    "image",
    "include",
    "services",
    "stages",
    "types",
    "variables",
    "workflow",
];

/// Reads a `.gitlab-ci.yml`. A job with `needs:` waits for the jobs it
/// names; a job without waits for every job of the earlier stages. A job is a
/// gate when `when: manual` is its own or one of its rules'.
pub fn gitlab_graph(text: &str) -> JobGraph {
    let doc: Value = yaml_serde::from_str(text).expect("valid YAML");
    let map = doc.as_mapping().expect("a mapping");
    let stages: Vec<String> = doc
        .get("stages")
        .map(|s| yaml_serde::from_value(s.clone()).expect("a list of stages"))
        .unwrap_or_default();
    let stage_index = |job: &Value| -> usize {
        let name = job.get("stage").and_then(Value::as_str).unwrap_or("test");
        stages
            .iter()
            .position(|s| s == name)
            .expect("a declared stage")
    };
    let mut graph = JobGraph::default();
    // The jobs of a CI pipeline: not those of a deployment started by hand
    // (their first rule admits `PIPEC_DEPLOY_ENVIRONMENT`), and not the job
    // that moves `latest` after production, which GitHub's deployment job
    // does itself.
    let by_hand = |v: &Value| {
        v.get("rules")
            .and_then(Value::as_sequence)
            .and_then(|r| r.first())
            .is_some_and(|r| {
                r.get("if")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.starts_with("$PIPEC_DEPLOY_ENVIRONMENT"))
                    && r.get("when").and_then(Value::as_str) != Some("never")
            })
    };
    // The job that creates a tag's release on GitLab (`NAME_create`, in the
    // release-cli image, after the job with `release`), which GitHub's job
    // does itself: outside the program's graph, nothing waits for it.
    let creates_release = |k: &str, v: &Value| {
        k.ends_with("_create")
            && v.get("image")
                .and_then(Value::as_str)
                .is_some_and(|i| i.contains("gitlab-org/release-cli"))
    };
    let jobs: Vec<(String, &Value)> = map
        .iter()
        .filter_map(|(k, v)| {
            let k = k.as_str()?;
            (!GITLAB_KEYWORDS.contains(&k)
                && !k.starts_with('.')
                && !k.starts_with("latest_")
                && !by_hand(v)
                && !creates_release(k, v))
            .then(|| (k.to_string(), v))
        })
        .collect();
    for (k, v) in map {
        if let Some(k) = k.as_str().filter(|k| creates_release(k, v)) {
            assert!(
                jobs.iter().all(|(_, other)| {
                    !format!("{:?}", other.get("needs")).contains(&format!("\"{k}\""))
                }),
                "nothing waits for {k}"
            );
        }
    }
    // A notification that runs in any case is two GitLab jobs, `NAME` and
    // `NAME:failure`: one job of the program.
    let program_job = |name: &str| -> String {
        match name.strip_suffix(":failure") {
            Some(base) if jobs.iter().any(|(n, _)| n == base) => base.to_string(),
            _ => name.to_string(),
        }
    };
    for (name, job) in &jobs {
        let name = &program_job(name);
        graph.jobs.insert(name.clone());
        let needed: Vec<String> = match job.get("needs").and_then(Value::as_sequence) {
            Some(needs) => needs
                .iter()
                .map(|n| {
                    n.as_str()
                        .or_else(|| n.get("job").and_then(Value::as_str))
                        .expect("a job name")
                        .to_string()
                })
                .collect(),
            None => jobs
                .iter()
                .filter(|(_, other)| stage_index(other) < stage_index(job))
                .map(|(n, _)| n.clone())
                .collect(),
        };
        for n in needed {
            graph.edges.insert((program_job(&n), name.clone()));
        }
        let manual = |v: &Value| v.get("when").and_then(Value::as_str) == Some("manual");
        let rules = job.get("rules").and_then(Value::as_sequence);
        if manual(job) || rules.is_some_and(|r| r.iter().any(manual)) {
            graph.gates.insert(name.clone());
        }
    }
    graph
}

/// The same facts, from the pipeline graph: every job, every dependency
/// edge, and the deployments to environments that need approval.
pub fn program_graph(program: &Program, pipeline: &Pipeline) -> JobGraph {
    let mut graph = JobGraph::default();
    for job in &pipeline.jobs {
        graph.jobs.insert(job.name.clone());
        for need in pipeline.needs(job.id) {
            graph
                .edges
                .insert((pipeline.job(need).name.clone(), job.name.clone()));
        }
        if let JobKind::Deploy(d) = &job.kind
            && program.environment(d.env).is_manual()
        {
            graph.gates.insert(job.name.clone());
        }
    }
    graph
}

/// The environment a GitHub job runs in: `environment: NAME` or
/// `environment: {name: NAME, …}`.
fn github_environment(job: &Value) -> Option<&str> {
    let e = job.get("environment")?;
    e.as_str().or_else(|| e.get("name").and_then(Value::as_str))
}

/// Reads a GitHub Actions workflow. A job waits for the jobs its `needs`
/// names; it is a gate when it runs in an environment that needs approval.
///
/// GitHub environments count one approval each, so for an environment that
/// needs N approvals the workflow has N−1 approval jobs (environments
/// `<env>-approval-<k>`) before the deployment. They are part of that
/// deployment's gate: the reader folds each into the deploy job that waits
/// for it, after checking that it waits for the same jobs as the deployment.
pub fn github_graph(text: &str, program: &Program) -> JobGraph {
    let doc: Value = yaml_serde::from_str(text).expect("valid YAML");
    let jobs = doc["jobs"].as_mapping().expect("jobs");
    let needs_of = |job: &Value| -> Vec<String> {
        match job.get("needs") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|n| n.as_str().expect("a job id").to_string())
                .collect(),
            _ => Vec::new(),
        }
    };
    let approval_step = |env: &str| -> Option<&pipec_graph::Environment> {
        program.environments.iter().find(|e| {
            env.strip_prefix(e.name.as_str())
                .and_then(|rest| rest.strip_prefix("-approval-"))
                .is_some_and(|k| k.parse::<u32>().is_ok_and(|k| k >= 1 && k < e.approvals))
        })
    };
    let mut approvals: BTreeSet<String> = BTreeSet::new();
    for (id, job) in jobs {
        let id = id.as_str().expect("a job id");
        if github_environment(job).and_then(approval_step).is_some() {
            approvals.insert(id.to_string());
        }
    }
    // The job that pushes an image's layer cache on GitHub (GitLab's build
    // carries its cache inline): outside the program's graph, nothing waits
    // for it.
    let cache_push = |id: &str| -> bool {
        id.strip_suffix("-cache").is_some_and(|publish| {
            program.pipelines.iter().flat_map(|p| &p.jobs).any(|j| {
                j.name == publish && matches!(j.kind, pipec_graph::JobKind::PublishImage(_))
            })
        })
    };
    let mut graph = JobGraph::default();
    for (id, job) in jobs {
        let id = id.as_str().expect("a job id").to_string();
        let needs = needs_of(job);
        if cache_push(&id) {
            assert!(
                jobs.iter().all(|(_, other)| !needs_of(other).contains(&id)),
                "nothing waits for {id}"
            );
            continue;
        }
        if approvals.contains(&id) {
            let deployment = jobs
                .iter()
                .filter(|(_, other)| needs_of(other).contains(&id))
                .map(|(other_id, other)| (other_id.as_str().expect("a job id"), other))
                .collect::<Vec<_>>();
            assert_eq!(deployment.len(), 1, "{id} gates exactly one deployment");
            let mut theirs = needs_of(deployment[0].1);
            theirs.retain(|n| !approvals.contains(n));
            let mut mine = needs.clone();
            mine.retain(|n| !approvals.contains(n));
            assert_eq!(
                mine, theirs,
                "{id} waits for what {} waits for",
                deployment[0].0
            );
            continue;
        }
        for n in needs.into_iter().filter(|n| !approvals.contains(n)) {
            graph.edges.insert((n, id.clone()));
        }
        let gated = github_environment(job)
            .and_then(|name| program.environments.iter().find(|e| e.name == name))
            .is_some_and(|e| e.is_manual());
        if gated {
            graph.gates.insert(id.clone());
        }
        graph.jobs.insert(id);
    }
    graph
}

/// The GitLab file of `pipeline`: `.gitlab-ci.yml`, or with several
/// pipelines the child pipeline it starts.
fn gitlab_file(program: &pipec_graph::Program, pipeline: &pipec_graph::Pipeline) -> String {
    if program.pipelines.len() > 1 {
        pipec_emit::layout::gitlab_child(pipeline)
    } else {
        pipec_emit::layout::GITLAB_CI.to_string()
    }
}

#[test]
fn gitlab_files_have_the_programs_jobs_edges_and_gates() {
    for e in pipec_tests::examples() {
        let program = pipec_tests::program(&e);
        let tree = pipec::emit(&program, &["gitlab"]).expect("emits");
        let mut gates = 0;
        for pipeline in &program.pipelines {
            let file = tree.get(&gitlab_file(&program, pipeline)).expect("written");
            let read = gitlab_graph(&file.body);
            let expected = program_graph(&program, pipeline);
            assert_eq!(read.jobs, expected.jobs, "{e}: jobs");
            assert_eq!(read.edges, expected.edges, "{e}: dependency edges");
            assert_eq!(read.gates, expected.gates, "{e}: manual gates");
            gates += read.gates.len();
        }
        if !program.environments.is_empty() {
            assert!(gates > 0, "{e} has approvals");
        }
    }
}

#[test]
fn github_and_gitlab_run_the_same_pipeline() {
    for e in pipec_tests::examples() {
        let program = pipec_tests::program(&e);
        let tree = pipec::emit(&program, &["github", "gitlab"]).expect("emits");
        let (mut edges, mut gates) = (0, 0);
        for pipeline in &program.pipelines {
            let github = tree
                .get(&pipec_emit::layout::github_workflow(pipeline))
                .expect("workflow written");
            let gitlab = tree.get(&gitlab_file(&program, pipeline)).expect("written");
            let github = github_graph(&github.body, &program);
            let gitlab = gitlab_graph(&gitlab.body);
            assert_eq!(github.jobs, gitlab.jobs, "{e}: the same jobs");
            assert_eq!(github.edges, gitlab.edges, "{e}: the same dependency edges");
            assert_eq!(github.gates, gitlab.gates, "{e}: the same manual gates");
            edges += gitlab.edges.len();
            gates += gitlab.gates.len();
        }
        assert!(edges > 0, "{e}");
        if !program.environments.is_empty() {
            assert!(gates > 0, "{e} has approvals");
        }
    }
}
