//! Facts of a `.gitlab-ci.yml`: jobs after `extends`, `default:` and
//! `!reference`, their stage order or `needs`, `rules`/`only`/`except`
//! reduced to run conditions, manual gates, environments, and what their
//! scripts do.

use std::collections::{HashMap, HashSet};

use pipec_diagnostics::{SourceId, Span};
use pipec_graph::{Role, Tier};

use super::expr::gitlab_when;
use super::github::{deployed, plaintext_env_in, pushed_tag, resolve};
use super::script::{self, commands};
use super::when::When;
use super::{
    Coverage, DeployTarget, Facts, Job, Malformed, Pattern, Pipeline, Push, RunEvent, Scan, Trigger,
};
use crate::config::Config;
use crate::loc::Loc;
use crate::rule::Input;
use crate::yaml::{Document, Entry, Kind, Node, YamlPath};

const RESERVED: &[&str] = &[
    "stages",
    "variables",
    "default",
    "workflow",
    "include",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "spec",
];

/// GitLab's managed security templates: the scan they add and its job.
const TEMPLATES: &[(&str, Role, &str)] = &[
    ("SAST.gitlab-ci.yml", Role::Sast, "sast"),
    (
        "Secret-Detection.gitlab-ci.yml",
        Role::SecretScan,
        "secret_detection",
    ),
    (
        "Dependency-Scanning.gitlab-ci.yml",
        Role::DependencyAudit,
        "dependency_scanning",
    ),
    (
        "Container-Scanning.gitlab-ci.yml",
        Role::ImageScan,
        "container_scanning",
    ),
];

/// Jobs of one file that are checked. GitLab's own limit on the jobs of a
/// pipeline is of this order; without one, a file of many small jobs in
/// two stages would make a number of dependencies quadratic in its size.
const MAX_JOBS: usize = 1000;

struct Cx<'a> {
    file: SourceId,
    doc: &'a Document,
    config: &'a Config,
}

impl Cx<'_> {
    /// A location for `node`, found at `path` in the file, or (for content
    /// inherited through `extends` or an anchor) at the node's own span.
    fn loc(&self, path: &YamlPath, node: &Node) -> Loc {
        match path.find(&self.doc.root) {
            Some((n, key)) if n.span == node.span => Loc::found(self.file, path.clone(), n, key),
            _ => Loc::Span(node.span),
        }
    }
}

/// Adds the facts of a GitLab CI file.
pub fn extract(file: SourceId, name: &str, doc: &Document, config: &Config, facts: &mut Facts) {
    let cx = Cx { file, doc, config };
    let root = &doc.root;
    let top = YamlPath::root();
    let stages: Vec<String> = match root.get("stages") {
        Some(s) => s.strings().iter().map(|s| s.to_string()).collect(),
        None => ["build", "test", "deploy"].map(String::from).to_vec(),
    };
    let stage_index = |s: &str| match s {
        ".pre" => Some(0),
        ".post" => Some(usize::MAX),
        s => stages.iter().position(|x| x == s).map(|i| i + 1),
    };
    let mut vars = variables(root.get("variables"));
    vars.push(("CI_DEFAULT_BRANCH".into(), "main".into()));
    plaintext_env_in(
        file,
        Input::GitLab,
        root.get("variables"),
        &top.key("variables"),
        facts,
    );
    let workflow = root
        .at(&["workflow", "rules"])
        .map_or(When::Always, |r| rules_when(r, When::Always).0);
    let mut mentions_mr = false;
    let mut jobs = Vec::new();
    let mut stage_of = Vec::new();
    let mut explicit_needs: Vec<Option<Vec<String>>> = Vec::new();
    let mut extends = Extends::new(root);
    for e in root.entries() {
        let Some(id) = e.key.as_str() else { continue };
        if RESERVED.contains(&id) || id.starts_with('.') || !e.value.is_map() {
            continue;
        }
        if jobs.len() == MAX_JOBS {
            facts.malformed.push(Malformed {
                input: Input::GitLab,
                message: format!(
                    "more than {MAX_JOBS} jobs in one file: the jobs from here on are not checked"
                ),
                help: "split the pipeline (child pipelines, `include:`)".into(),
                loc: Loc::found(file, top.key(id), &e.value, Some(e.key.span)).key(),
            });
            break;
        }
        let merged = extends.job(&e.value);
        let path = top.key(id);
        let (job, mr) = job(&cx, id, &merged, &path, root, &vars, &workflow, facts);
        mentions_mr |= mr;
        let stage = merged.get("stage").and_then(Node::text).unwrap_or("test");
        stage_of.push(stage_index(stage).unwrap_or(2));
        explicit_needs.push(merged.get("needs").map(|n| {
            n.items()
                .iter()
                .filter_map(|i| i.text().or_else(|| i.get("job").and_then(Node::text)))
                .map(str::to_string)
                .collect()
        }));
        jobs.push(job);
    }
    for inc in root
        .get("include")
        .map(|i| match &i.kind {
            Kind::Seq(items) => items.iter().collect::<Vec<_>>(),
            _ => vec![i],
        })
        .unwrap_or_default()
    {
        let text = inc
            .text()
            .or_else(|| inc.get("template").and_then(Node::text))
            .unwrap_or("");
        if let Some((_, role, job_name)) = TEMPLATES.iter().find(|(t, _, _)| text.ends_with(t)) {
            let at = Loc::Span(inc.span);
            let mut j = Job::new(*job_name, at.clone());
            j.add_role(*role);
            j.when = workflow.clone();
            // GitLab's templates set `allow_failure: true`.
            j.allow_failure = Some(at.clone());
            j.scans.push(Scan {
                role: *role,
                tool: format!("GitLab {job_name}"),
                blocking: false,
                loc: at,
                step: 0,
            });
            stage_of.push(stage_index("test").unwrap_or(2));
            explicit_needs.push(None);
            jobs.push(j);
        }
    }
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, j) in jobs.iter().enumerate() {
        by_name.entry(j.name.as_str()).or_insert(i);
    }
    let mut by_stage: HashMap<usize, Vec<usize>> = HashMap::new();
    let needs: Vec<Vec<usize>> = (0..jobs.len())
        .map(|i| match &explicit_needs[i] {
            Some(list) => list
                .iter()
                .filter_map(|n| by_name.get(n.as_str()).copied())
                .collect(),
            None => by_stage
                .entry(stage_of[i])
                .or_insert_with(|| stage_needs(&stage_of, &explicit_needs, stage_of[i]))
                .clone(),
        })
        .collect();
    for (j, n) in jobs.iter_mut().zip(needs) {
        j.needs = n;
    }
    let root_loc = Loc::Span(Span::new(
        file,
        root.span.start as usize,
        root.span.start as usize,
    ));
    let mut triggers = vec![
        trigger(RunEvent::Push, &root_loc),
        trigger(RunEvent::Tag, &root_loc),
    ];
    if mentions_mr {
        triggers.push(trigger(RunEvent::PullRequest, &root_loc));
    }
    facts.pipelines.push(Pipeline {
        input: Input::GitLab,
        name: name.to_string(),
        loc: root_loc,
        triggers,
        jobs,
        permissions: None,
        estimate: None,
        deploy_estimates: Vec::new(),
    });
}

/// The jobs a job of stage `stage` without `needs:` waits for. GitLab makes
/// it wait for every job of every earlier stage; listing the jobs of the
/// nearest earlier stage is the same once that stage has a job that itself
/// waits by stages (it waits for everything before), and keeps a file of
/// many jobs from making a number of edges quadratic in them. Earlier stages
/// are added while the nearest ones have only jobs with `needs:`.
fn stage_needs(stage_of: &[usize], explicit: &[Option<Vec<String>>], stage: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut below = stage;
    while let Some(prev) = stage_of.iter().copied().filter(|s| *s < below).max() {
        let mut covers = false;
        for (k, s) in stage_of.iter().enumerate() {
            if *s == prev {
                out.push(k);
                covers |= explicit[k].is_none();
            }
        }
        if covers {
            break;
        }
        below = prev;
    }
    out.sort_unstable();
    out
}

fn trigger(event: RunEvent, loc: &Loc) -> Trigger {
    Trigger {
        event,
        branches: Vec::new(),
        branches_ignore: Vec::new(),
        tags: None,
        loc: loc.clone(),
    }
}

fn variables(n: Option<&Node>) -> Vec<(String, String)> {
    n.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| {
                let v = e
                    .value
                    .as_str()
                    .or_else(|| e.value.get("value").and_then(Node::as_str))?;
                Some((e.key.as_str()?.to_string(), v.to_string()))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Resolves `extends`: each template once (a template reached many times,
/// or through many paths, is merged once), and within a budget of copied
/// nodes and bytes like the one for aliases, so that a small file cannot
/// expand into a large tree. Past the budget, jobs are read without what they
/// extend.
struct Extends<'a> {
    root: &'a Node,
    /// Each template resolved, with its cost (nodes, bytes).
    memo: HashMap<&'a str, (Node, usize, usize)>,
    nodes: usize,
    bytes: usize,
}

impl<'a> Extends<'a> {
    fn new(root: &'a Node) -> Self {
        Extends {
            root,
            memo: HashMap::new(),
            nodes: crate::yaml::MAX_ALIAS_NODES,
            bytes: crate::yaml::MAX_ALIAS_BYTES,
        }
    }

    /// The job with what it `extends`, deepest parent first; maps merge,
    /// other values are replaced.
    fn job(&mut self, job: &'a Node) -> Node {
        self.extended(job, 0)
    }

    fn extended(&mut self, job: &'a Node, depth: usize) -> Node {
        let mut parents = job.get("extends").map(|e| e.strings()).unwrap_or_default();
        let mut seen = HashSet::new();
        parents.retain(|p| seen.insert(*p));
        if parents.is_empty() || depth > 10 {
            return job.clone();
        }
        let mut base: Option<Node> = None;
        for p in parents {
            if !self.memo.contains_key(p) {
                let Some(parent) = self.root.get(p) else {
                    continue;
                };
                let n = self.extended(parent, depth + 1);
                let (nodes, bytes) = n.cost();
                self.memo.insert(p, (n, nodes, bytes));
            }
            let Some((n, nodes, bytes)) = self.memo.get(p) else {
                continue;
            };
            // Every copy is paid for before it is made.
            if *nodes > self.nodes || *bytes > self.bytes {
                return job.clone();
            }
            self.nodes -= nodes;
            self.bytes -= bytes;
            base = Some(match base {
                None => n.clone(),
                Some(b) => merge(b, n),
            });
        }
        match base {
            Some(b) => merge(b, job),
            None => job.clone(),
        }
    }
}

fn merge(mut base: Node, over: &Node) -> Node {
    let Kind::Map(entries) = &mut base.kind else {
        return over.clone();
    };
    for e in over.entries() {
        match entries
            .iter_mut()
            .find(|b| b.key.as_str() == e.key.as_str())
        {
            Some(b) if b.value.is_map() && e.value.is_map() => {
                b.value = merge(b.value.clone(), &e.value);
            }
            Some(b) => b.value = e.value.clone(),
            None => entries.push(Entry {
                key: e.key.clone(),
                value: e.value.clone(),
            }),
        }
    }
    base.span = over.span;
    base.reindex();
    base
}

/// Script items, with `!reference [.x, script]` expanded.
fn script_items<'a>(root: &'a Node, n: &'a Node) -> Vec<(Option<usize>, &'a Node)> {
    let mut out = Vec::new();
    let list: Vec<&Node> = match &n.kind {
        Kind::Seq(items) => items.iter().collect(),
        _ => vec![n],
    };
    for (i, item) in list.into_iter().enumerate() {
        if item
            .tag
            .as_deref()
            .is_some_and(|t| t.ends_with("reference"))
        {
            let keys = item.strings();
            if let Some(target) = root.at(&keys) {
                out.extend(target.items().iter().map(|x| (None, x)));
            }
        } else {
            out.push((Some(i), item));
        }
    }
    out
}

/// When a job runs and when it waits for a person, from `rules`.
fn rules_when(rules: &Node, default_when: When) -> (When, When) {
    let mut runs = When::Never;
    let mut manual = When::Never;
    let mut earlier_missed = When::Always;
    for r in rules.items() {
        let mut cond = r
            .get("if")
            .and_then(Node::text)
            .map_or(When::Always, gitlab_when);
        if r.get("changes").is_some() || r.get("exists").is_some() {
            cond = cond.and(When::Unknown);
        }
        let matched = earlier_missed.clone().and(cond.clone());
        match r.get("when").and_then(Node::text) {
            Some("never") => {}
            Some("manual") => {
                runs = runs.or(matched.clone());
                manual = manual.or(matched);
            }
            _ => {
                runs = runs.or(matched.clone());
                manual = manual.or(matched.and(default_when.clone()));
            }
        }
        earlier_missed = earlier_missed.and(cond.negate());
    }
    (runs, manual)
}

fn ref_when(r: &str) -> When {
    match r {
        "branches" => When::Branch(vec![Pattern::Glob(pipec_graph::Glob("**".into()))]),
        "tags" => When::Tag(Vec::new()),
        "merge_requests" | "external_pull_requests" => When::Event(RunEvent::PullRequest),
        "schedules" => When::Event(RunEvent::Schedule),
        "web" | "api" | "triggers" | "pipelines" | "chat" => When::Event(RunEvent::Dispatch),
        "pushes" => When::Event(RunEvent::Push).or(When::Event(RunEvent::Tag)),
        _ => {
            let p = match r.strip_prefix('/').and_then(|x| x.rsplit_once('/')) {
                Some((body, _)) => Pattern::Regex(body.to_string()),
                None => Pattern::Glob(pipec_graph::Glob(r.to_string())),
            };
            When::Branch(vec![p.clone()]).or(When::Tag(vec![p]))
        }
    }
}

fn only_except(n: &Node) -> When {
    let refs = |x: &Node| -> When {
        let list = match x.get("refs") {
            Some(r) => r.strings(),
            None if x.is_map() => Vec::new(),
            None => x.strings(),
        };
        let mut w = if list.is_empty() && x.is_map() {
            When::Always
        } else {
            list.iter().fold(When::Never, |w, r| w.or(ref_when(r)))
        };
        if x.get("variables").is_some()
            || x.get("changes").is_some()
            || x.get("kubernetes").is_some()
        {
            w = w.and(When::Unknown);
        }
        w
    };
    let only = n
        .get("only")
        .map_or_else(|| ref_when("branches").or(ref_when("tags")), refs);
    match n.get("except") {
        Some(e) => only.and(refs(e).negate()),
        None => only,
    }
}

#[allow(clippy::too_many_arguments)]
fn job(
    cx: &Cx,
    id: &str,
    n: &Node,
    path: &YamlPath,
    root: &Node,
    global_vars: &[(String, String)],
    workflow: &When,
    facts: &mut Facts,
) -> (Job, bool) {
    let mut job = Job::new(id, cx.loc(path, n).key());
    let mut vars = global_vars.to_vec();
    vars.extend(variables(n.get("variables")));
    if matches!(path.find(&cx.doc.root), Some((raw, _)) if raw.span == n.span) {
        plaintext_env_in(
            cx.file,
            Input::GitLab,
            n.get("variables"),
            &path.key("variables"),
            facts,
        );
    }
    let job_when = n.get("when").and_then(Node::text);
    let mut mentions_mr = false;
    let (runs, manual) = match n.get("rules") {
        Some(r) => {
            let text = format!("{:?}", r);
            mentions_mr = text.contains("merge_request");
            let default_manual = if job_when == Some("manual") {
                When::Always
            } else {
                When::Never
            };
            rules_when(r, default_manual)
        }
        None => {
            if let Some(o) = n.get("only") {
                mentions_mr = o.strings().contains(&"merge_requests")
                    || o.get("refs")
                        .is_some_and(|r| r.strings().contains(&"merge_requests"));
            }
            let w = only_except(n);
            let manual = if job_when == Some("manual") {
                w.clone()
            } else {
                When::Never
            };
            (
                if job_when == Some("never") {
                    When::Never
                } else {
                    w
                },
                manual,
            )
        }
    };
    job.when = workflow.clone().and(runs);
    job.manual = manual;
    if let Some(w) = n.entry("when").filter(|_| job_when == Some("manual")) {
        job.manual_loc = Some(cx.loc(&path.key("when"), &w.value));
    } else if n.get("rules").is_some() && job.manual != When::Never {
        job.manual_loc = Some(cx.loc(&path.key("rules"), n.get("rules").unwrap_or(n)));
    }
    match n.get("allow_failure") {
        Some(a) if a.as_bool() == Some(true) || a.is_map() => {
            job.allow_failure = Some(cx.loc(&path.key("allow_failure"), a));
        }
        _ => {}
    }
    if let Some(env) = n.get("environment") {
        let name = env.text().or_else(|| env.get("name").and_then(Node::text));
        let action = env.get("action").and_then(Node::text).unwrap_or("start");
        if let Some(name) = name.filter(|_| action == "start") {
            let tier = env
                .get("deployment_tier")
                .and_then(Node::text)
                .and_then(|t| match t {
                    "production" => Some(Tier::Production),
                    "staging" => Some(Tier::Staging),
                    "testing" => Some(Tier::Testing),
                    "development" => Some(Tier::Development),
                    _ => None,
                })
                .unwrap_or_else(|| cx.config.tier(name));
            let at = match env.get("name") {
                Some(v) => cx.loc(&path.key("environment").key("name"), v),
                None => cx.loc(&path.key("environment"), env),
            };
            job.deploy = Some(DeployTarget {
                name: name.to_string(),
                tier,
                loc: at,
                approvals: cx.config.reviewers(name),
                github_environment: false,
            });
            job.add_role(Role::Deploy);
            job.deploy_step = Some(0);
        }
    }
    let lower = id.to_ascii_lowercase();
    let default = root.get("default");
    let mut step = 0;
    for key in ["before_script", "script", "after_script"] {
        let Some(list) = n.get(key).or_else(|| {
            (key != "script")
                .then(|| default.and_then(|d| d.get(key)))
                .flatten()
        }) else {
            continue;
        };
        for (i, item) in script_items(root, list) {
            let item_path = match i {
                Some(i) if matches!(list.kind, Kind::Seq(_)) => path.key(key).index(i),
                _ => path.key(key),
            };
            let at = cx.loc(&item_path, item);
            let Some(text) = item.as_str() else {
                if item.is_map() {
                    let shown = item
                        .entries()
                        .first()
                        .and_then(|e| {
                            Some(format!(
                                "{}: {}",
                                e.key.as_str()?,
                                e.value.as_str().unwrap_or("…")
                            ))
                        })
                        .unwrap_or_default();
                    facts.malformed.push(Malformed {
                        input: Input::GitLab,
                        message: format!("`{key}` item is a mapping, not a command: YAML reads `{shown}` as a key and a value"),
                        help: "quote the whole command: - 'echo \"…: …\"', or use a block scalar (`- |`)".into(),
                        loc: at,
                    });
                }
                continue;
            };
            step += 1;
            let cmds = commands(text);
            let several = cmds.len() > 1;
            for c in cmds {
                let here = if several {
                    at.text(&c.first_line)
                } else {
                    at.clone()
                };
                analyse(&mut job, &c.text, &here, step, &vars, &lower);
            }
            job.scripts.push(super::Script {
                text: text.to_string(),
                loc: at,
                env: Vec::new(),
                javascript: false,
            });
        }
    }
    if job.deploy.is_none() && job.deploy_step.is_some() {
        job.deploy = Some(DeployTarget {
            name: id.to_string(),
            tier: cx.config.tier(id),
            loc: job.loc.clone(),
            approvals: None,
            github_environment: false,
        });
    }
    if lower.contains("integration") || lower.contains("e2e") {
        job.tests.clear();
        job.add_role(Role::Integration);
    }
    if n.get("cache").is_some() {
        job.caches
            .push(cx.loc(&path.key("cache"), n.get("cache").unwrap_or(n)));
    }
    (job, mentions_mr)
}

fn analyse(
    job: &mut Job,
    text: &str,
    here: &Loc,
    step: usize,
    vars: &[(String, String)],
    job_name: &str,
) {
    if let Some(integration) = script::test_command(text) {
        if integration || job_name.contains("integration") {
            job.add_role(Role::Integration);
        } else {
            job.add_role(Role::Test);
            job.tests.push(here.clone());
        }
    }
    if text.contains("--cov") || text.contains("coverage run") || text.contains("coverage report") {
        job.measures_coverage = true;
    }
    if let Some(min) = script::coverage_threshold(&resolve(text, vars)) {
        job.coverage.push(Coverage {
            min,
            loc: here.clone(),
        });
    }
    if let Some((role, tool, blocking)) = script::scanner(text) {
        job.add_role(role);
        job.scans.push(Scan {
            role,
            tool: tool.into(),
            blocking: blocking && job.allow_failure.is_none(),
            loc: here.clone(),
            step,
        });
    }
    // An image pushed to a repository below the project's own image
    // (`$CI_REGISTRY_IMAGE/ci/app`) under the commit's SHA is how GitLab jobs
    // hand an image to the jobs after them (the scans, the publish job): a
    // hand-over, not a release. `$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA` itself is
    // the project's image, and a release.
    let handoff = |r: &String| {
        let r = r.trim_matches('"');
        (r.starts_with("$CI_REGISTRY_IMAGE/") || r.starts_with("${CI_REGISTRY_IMAGE}/"))
            && (r.ends_with(":$CI_COMMIT_SHA") || r.ends_with(":${CI_COMMIT_SHA}"))
    };
    let (handed, images): (Vec<String>, Vec<String>) = script::pushed_images(&resolve(text, vars))
        .into_iter()
        .partition(handoff);
    if !handed.is_empty() {
        job.add_role(Role::Build);
    }
    if !images.is_empty() {
        job.add_role(Role::Publish);
        let tags = images.iter().map(|r| pushed_tag(r, here.clone())).collect();
        job.pushes.push(Push {
            image: images.first().map(|r| super::tags::split(r).0),
            tags,
            when: When::Always,
            loc: here.clone(),
            step,
        });
    }
    if script::deploy_command(text).is_some() {
        job.add_role(Role::Deploy);
        job.deploy_step.get_or_insert(step);
        job.deployed.extend(deployed(text, vars, here));
    }
    if script::git_push(text) {
        job.pushes_commits = true;
    }
}
