//! A small interpreter of GitHub Actions' trigger, concurrency and
//! environment semantics, run on the generated workflow files. It decides
//! which workflows an event starts and which jobs run, wait or are
//! cancelled; the jobs themselves are run by an [`Executor`].
//!
//! What it models, from GitHub's documentation ("Events that trigger
//! workflows", "Workflow syntax for GitHub Actions", "Control the concurrency
//! of workflows and jobs", "Managing environments for deployment"):
//!
//! - `push` with `branches`/`branches-ignore`, `tags`/`tags-ignore` and
//!   `paths`/`paths-ignore` filters: a workflow that filters only branches
//!   does not run for tags and the other way round; branch and path filters
//!   must both pass; path filters are not evaluated for tag pushes; when
//!   every changed path matches `paths-ignore` the workflow does not run;
//! - `[skip ci]` (and its spellings) in the head commit message skips `push`
//!   workflows;
//! - `workflow_dispatch` on a ref, with inputs;
//! - `needs`, `if` (with `success()` implied), skipped dependencies skipping
//!   their dependents;
//! - `concurrency` at workflow and job level: at most one running and one
//!   pending member per group; a newer pending member cancels the older one;
//!   `cancel-in-progress` cancels the running one;
//! - environments with required reviewers: the job waits for an approval
//!   and, while it waits, holds its concurrency group (as GitHub reports a
//!   waiting job as in progress).
//!
//! Pushes made by jobs are modelled as pushes with a token that starts
//! workflows (a personal access token or a GitHub App token, which a
//! protected branch needs), the worst case: `GITHUB_TOKEN` pushes start none.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::expr::{self, Context, Value};
use crate::pattern;

/// A workflow file.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub file: String,
    pub doc: Json,
}

impl Workflow {
    pub fn parse(file: &str, text: &str) -> Workflow {
        Workflow {
            file: file.to_string(),
            doc: yaml_serde::from_str(text).expect("workflow parses"),
        }
    }

    pub fn name(&self) -> String {
        self.doc["name"].as_str().unwrap_or(&self.file).to_string()
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    Push {
        /// `refs/heads/…` or `refs/tags/…`.
        git_ref: String,
        sha: String,
        /// Paths the push changed (before → after).
        paths: Vec<String>,
        /// The head commit's message.
        message: String,
    },
    Dispatch {
        git_ref: String,
        sha: String,
        inputs: BTreeMap<String, String>,
    },
}

impl Event {
    pub fn git_ref(&self) -> &str {
        match self {
            Event::Push { git_ref, .. } | Event::Dispatch { git_ref, .. } => git_ref,
        }
    }
    pub fn sha(&self) -> &str {
        match self {
            Event::Push { sha, .. } | Event::Dispatch { sha, .. } => sha,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Event::Push { .. } => "push",
            Event::Dispatch { .. } => "workflow_dispatch",
        }
    }
    pub fn ref_name(&self) -> &str {
        let r = self.git_ref();
        r.strip_prefix("refs/heads/")
            .or_else(|| r.strip_prefix("refs/tags/"))
            .unwrap_or(r)
    }
    pub fn ref_type(&self) -> &'static str {
        if self.git_ref().starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        }
    }
}

const SKIP: &[&str] = &[
    "[skip ci]",
    "[ci skip]",
    "[no ci]",
    "[skip actions]",
    "[actions skip]",
];

fn list(v: &Json) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|x| x.as_str().expect("a pattern").to_string())
            .collect()
    })
}

/// Whether the event starts the workflow.
pub fn triggered(w: &Workflow, ev: &Event) -> bool {
    // `on: push` and `on: [push, pull_request]` are `on: { push: {} }`.
    let on = match &w.doc["on"] {
        Json::String(s) => serde_json::json!({ s.as_str(): {} }),
        Json::Array(events) => Json::Object(
            events
                .iter()
                .map(|e| {
                    (
                        e.as_str().expect("an event").to_string(),
                        serde_json::json!({}),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    };
    match ev {
        Event::Dispatch { .. } => on.get("workflow_dispatch").is_some(),
        Event::Push {
            git_ref,
            paths,
            message,
            ..
        } => {
            let Some(push) = on.get("push") else {
                return false;
            };
            if SKIP.iter().any(|s| message.contains(s)) {
                return false;
            }
            let name = ev.ref_name();
            let branches = list(&push["branches"]);
            let branches_ignore = list(&push["branches-ignore"]);
            let tags = list(&push["tags"]);
            let tags_ignore = list(&push["tags-ignore"]);
            let any_branch_filter = branches.is_some() || branches_ignore.is_some();
            let any_tag_filter = tags.is_some() || tags_ignore.is_some();
            let ref_ok = if git_ref.starts_with("refs/tags/") {
                match (&tags, &tags_ignore) {
                    (Some(t), _) => pattern::passes(t, name),
                    (None, Some(i)) => !pattern::passes(i, name),
                    (None, None) => !any_branch_filter,
                }
            } else {
                match (&branches, &branches_ignore) {
                    (Some(b), _) => pattern::passes(b, name),
                    (None, Some(i)) => !pattern::passes(i, name),
                    (None, None) => !any_tag_filter,
                }
            };
            if !ref_ok {
                return false;
            }
            if git_ref.starts_with("refs/tags/") {
                return true;
            }
            if let Some(p) = list(&push["paths"]) {
                return paths.iter().any(|f| pattern::passes(&p, f));
            }
            if let Some(ignore) = list(&push["paths-ignore"]) {
                return !paths.iter().all(|f| pattern::passes(&ignore, f));
            }
            true
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Its `needs` have not finished.
    Blocked,
    /// Queued behind the running member of its concurrency group.
    Pending,
    /// Waiting for a reviewer of its environment.
    Waiting,
    Success,
    Failure,
    Skipped,
    Cancelled,
}

impl JobState {
    fn done(&self) -> bool {
        matches!(
            self,
            JobState::Success | JobState::Failure | JobState::Skipped | JobState::Cancelled
        )
    }
}

/// One workflow run.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: usize,
    pub workflow: Workflow,
    pub event: Event,
    /// `None` while the run itself is pending in its workflow's group.
    pub jobs: Option<BTreeMap<String, JobState>>,
    pub cancelled: bool,
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
}

impl Run {
    pub fn state(&self, job: &str) -> JobState {
        match &self.jobs {
            None if self.cancelled => JobState::Cancelled,
            None => JobState::Pending,
            Some(j) => j
                .get(job)
                .cloned()
                .unwrap_or_else(|| panic!("no job {job}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Holder {
    Run(usize),
    Job(usize, String),
}

#[derive(Debug, Default)]
struct Group {
    running: Option<Holder>,
    pending: Option<Holder>,
}

/// Runs jobs for real.
pub trait Executor {
    /// Runs job `job` of `run`; returns success and the job's outputs.
    fn execute(&mut self, run: &Run, job: &str) -> (bool, BTreeMap<String, String>);
}

/// The state of every run, and the concurrency groups.
pub struct Sim {
    pub runs: Vec<Run>,
    groups: BTreeMap<String, Group>,
    /// Environments whose deployments wait for a reviewer.
    pub protected: BTreeSet<String>,
}

impl Sim {
    pub fn new(protected: BTreeSet<String>) -> Sim {
        Sim {
            runs: Vec::new(),
            groups: BTreeMap::new(),
            protected,
        }
    }

    /// Starts (or queues) a run of `w` for `ev`, if the event triggers it.
    pub fn dispatch(&mut self, w: &Workflow, ev: &Event, ex: &mut dyn Executor) -> Option<usize> {
        if !triggered(w, ev) {
            return None;
        }
        let id = self.runs.len();
        self.runs.push(Run {
            id,
            workflow: w.clone(),
            event: ev.clone(),
            jobs: None,
            cancelled: false,
            outputs: BTreeMap::new(),
        });
        match self.concurrency(id, None) {
            Some((group, cancel)) => self.enter(group, Holder::Run(id), cancel, ex),
            None => self.start(id, ex),
        }
        self.settle(ex);
        Some(id)
    }

    /// A reviewer approves the waiting job.
    pub fn approve(&mut self, run: usize, job: &str, ex: &mut dyn Executor) {
        assert_eq!(
            self.runs[run].state(job),
            JobState::Waiting,
            "{job} of run {run} is not waiting for approval"
        );
        self.execute(run, job, ex);
        self.settle(ex);
    }

    /// A reviewer rejects the waiting job: it fails, and the next member of
    /// its group moves up.
    pub fn reject(&mut self, run: usize, job: &str, ex: &mut dyn Executor) {
        assert_eq!(self.runs[run].state(job), JobState::Waiting);
        self.set(run, job, JobState::Failure);
        if let Some((group, _)) = self.concurrency(run, Some(job)) {
            self.release(&group, ex);
        }
        self.settle(ex);
    }

    /// The concurrency group of a run (`job: None`) or job, and whether it
    /// cancels the running member.
    fn concurrency(&self, run: usize, job: Option<&str>) -> Option<(String, bool)> {
        let r = &self.runs[run];
        let c = match job {
            None => &r.workflow.doc["concurrency"],
            Some(j) => &r.workflow.doc["jobs"][j]["concurrency"],
        };
        let cx = self.context(run, job);
        let (group, cancel) = match c {
            Json::Null => return None,
            Json::String(g) => (g.clone(), Json::Bool(false)),
            m => (
                m["group"].as_str().expect("group").to_string(),
                m["cancel-in-progress"].clone(),
            ),
        };
        let cancel = match cancel {
            Json::Bool(b) => b,
            Json::String(s) => expr::interpolate(&s, &cx) == "true",
            _ => false,
        };
        // Group names are case-insensitive.
        Some((expr::interpolate(&group, &cx).to_lowercase(), cancel))
    }

    fn enter(&mut self, group: String, who: Holder, cancel: bool, ex: &mut dyn Executor) {
        let g = self.groups.entry(group.clone()).or_default();
        if g.running.is_none() {
            g.running = Some(who.clone());
            self.admit(who, ex);
            return;
        }
        if let Some(old) = g.pending.replace(who) {
            self.cancel(old);
        }
        if cancel {
            let running = self.groups.get_mut(&group).and_then(|g| g.running.take());
            if let Some(r) = running {
                self.cancel(r);
            }
            self.release(&group, ex);
        }
    }

    fn cancel(&mut self, who: Holder) {
        match who {
            Holder::Run(r) => {
                self.runs[r].cancelled = true;
                if let Some(jobs) = &mut self.runs[r].jobs {
                    for s in jobs.values_mut() {
                        if !s.done() {
                            *s = JobState::Cancelled;
                        }
                    }
                }
            }
            Holder::Job(r, j) => {
                if let Some(jobs) = &mut self.runs[r].jobs {
                    jobs.insert(j, JobState::Cancelled);
                }
            }
        }
    }

    /// The running member of `group` finished: the pending one runs.
    fn release(&mut self, group: &str, ex: &mut dyn Executor) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        g.running = g.pending.take();
        if let Some(next) = g.running.clone() {
            self.admit(next, ex);
        }
    }

    fn admit(&mut self, who: Holder, ex: &mut dyn Executor) {
        match who {
            Holder::Run(r) => self.start(r, ex),
            Holder::Job(r, j) => self.ready(r, &j, ex),
        }
    }

    fn start(&mut self, run: usize, _ex: &mut dyn Executor) {
        let jobs = self.runs[run].workflow.doc["jobs"]
            .as_object()
            .expect("jobs")
            .keys()
            .map(|k| (k.clone(), JobState::Blocked))
            .collect();
        self.runs[run].jobs = Some(jobs);
    }

    /// A job holding its group: it waits for a reviewer or runs.
    fn ready(&mut self, run: usize, job: &str, ex: &mut dyn Executor) {
        let env = &self.runs[run].workflow.doc["jobs"][job]["environment"];
        let env = env
            .get("name")
            .or(Some(env))
            .and_then(Json::as_str)
            .map(str::to_string);
        if env.is_some_and(|e| self.protected.contains(&e)) {
            self.set(run, job, JobState::Waiting);
        } else {
            self.execute(run, job, ex);
        }
    }

    fn set(&mut self, run: usize, job: &str, s: JobState) {
        self.runs[run]
            .jobs
            .as_mut()
            .expect("started")
            .insert(job.to_string(), s);
    }

    fn execute(&mut self, run: usize, job: &str, ex: &mut dyn Executor) {
        let (ok, outputs) = ex.execute(&self.runs[run], job);
        self.runs[run].outputs.insert(job.to_string(), outputs);
        self.set(
            run,
            job,
            if ok {
                JobState::Success
            } else {
                JobState::Failure
            },
        );
        if let Some((group, _)) = self.concurrency(run, Some(job)) {
            self.release(&group, ex);
        }
    }

    /// Moves every run as far as it goes without a person.
    fn settle(&mut self, ex: &mut dyn Executor) {
        loop {
            let mut changed = false;
            for run in 0..self.runs.len() {
                let Some(jobs) = self.runs[run].jobs.clone() else {
                    continue;
                };
                for (job, state) in &jobs {
                    if *state != JobState::Blocked {
                        continue;
                    }
                    let needs = needs(&self.runs[run].workflow, job);
                    if !needs.iter().all(|n| jobs[n].done()) {
                        continue;
                    }
                    changed = true;
                    let cx = self.context(run, Some(job));
                    let cond = self.runs[run].workflow.doc["jobs"][job]["if"]
                        .as_str()
                        .unwrap_or("success()");
                    if !expr::condition(cond, &cx) {
                        self.set(run, job, JobState::Skipped);
                        continue;
                    }
                    match self.concurrency(run, Some(job)) {
                        Some((group, cancel)) => {
                            self.set(run, job, JobState::Pending);
                            self.enter(group, Holder::Job(run, job.clone()), cancel, ex);
                        }
                        None => self.ready(run, job, ex),
                    }
                }
                let done = self.runs[run]
                    .jobs
                    .as_ref()
                    .is_some_and(|j| j.values().all(JobState::done));
                if done
                    && !self.runs[run].cancelled
                    && let Some((group, _)) = self.concurrency(run, None)
                {
                    let holds = self.groups.get(&group).and_then(|g| g.running.clone())
                        == Some(Holder::Run(run));
                    if holds {
                        self.release(&group, ex);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The expression context of a run (and job).
    pub fn context(&self, run: usize, job: Option<&str>) -> RunContext<'_> {
        RunContext {
            run: &self.runs[run],
            job: job.map(str::to_string),
            steps: BTreeMap::new(),
        }
    }
}

/// The jobs a job needs.
pub fn needs(w: &Workflow, job: &str) -> Vec<String> {
    match &w.doc["jobs"][job]["needs"] {
        Json::Null => Vec::new(),
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .map(|x| x.as_str().expect("need").to_string())
            .collect(),
        other => panic!("needs: {other}"),
    }
}

/// `github`, `inputs`, `needs`, `steps`, `secrets`, `runner` as a job sees
/// them.
pub struct RunContext<'a> {
    pub run: &'a Run,
    pub job: Option<String>,
    /// Outputs of the job's steps so far, by step id.
    pub steps: BTreeMap<String, BTreeMap<String, String>>,
}

impl Context for RunContext<'_> {
    fn get(&self, path: &[String]) -> Value {
        let ev = &self.run.event;
        let s = |v: &str| Value::Str(v.to_string());
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["github", "ref"] => s(ev.git_ref()),
            ["github", "ref_name"] => s(ev.ref_name()),
            ["github", "ref_type"] => s(ev.ref_type()),
            ["github", "sha"] => s(ev.sha()),
            ["github", "event_name"] => s(ev.name()),
            ["github", "head_ref"] => s(""),
            ["github", "workflow"] => s(&self.run.workflow.name()),
            ["github", "run_id"] => s(&format!("{}", 1000 + self.run.id)),
            ["github", "actor"] => s("mona"),
            ["github", "repository"] => s("acme/app"),
            ["github", "server_url"] => s("https://github.com"),
            ["runner", "temp"] => s("${RUNNER_TEMP}"),
            ["runner", "os"] => s("Linux"),
            ["inputs", name] => match ev {
                Event::Dispatch { inputs, .. } => inputs.get(*name).map_or(Value::Null, |v| s(v)),
                _ => Value::Null,
            },
            ["secrets", name] => s(&format!("secret-{name}")),
            ["needs", j, "outputs", o] => self
                .run
                .outputs
                .get(*j)
                .and_then(|m| m.get(*o))
                .map_or(Value::Null, |v| s(v)),
            ["needs", j, "result"] => s(&format!("{:?}", self.run.state(j)).to_lowercase()),
            ["steps", id, "outputs", o] => self
                .steps
                .get(*id)
                .and_then(|m| m.get(*o))
                .map_or(Value::Null, |v| s(v)),
            ["matrix", ..] | ["strategy", ..] => s(""),
            _ => panic!("context {} is not modelled", path.join(".")),
        }
    }

    fn status(&self, function: &str) -> bool {
        let Some(job) = &self.job else {
            return function == "success";
        };
        let states: Vec<JobState> = needs(&self.run.workflow, job)
            .iter()
            .map(|n| self.run.state(n))
            .collect();
        match function {
            "success" => states.iter().all(|s| *s == JobState::Success),
            "failure" => states.contains(&JobState::Failure),
            "cancelled" => self.run.cancelled,
            _ => false,
        }
    }
}
