//! Facts of a GitHub Actions workflow: triggers, jobs with their `needs`,
//! `if:` conditions, environments and permissions, and what each step does —
//! actions used, checkouts, scripts, scans, image pushes (including the tags
//! `docker/metadata-action` computes) and deployments.

use pipec_diagnostics::SourceId;
use pipec_graph::Role;

use super::expr::{self, github_when};
use super::script::{self, classify_tag, commands};
use super::tags;
use super::when::When;
use super::{
    ActionUse, Coverage, DeployTarget, Deployed, Facts, Job, Pattern, Permissions, Pipeline,
    Plaintext, Push, PushedTag, RunEvent, Scan, Script, Trigger,
};
use crate::config::Config;
use crate::loc::Loc;
use crate::rule::Input;
use crate::yaml::{Document, Node, YamlPath};

pub(super) struct Cx<'a> {
    file: SourceId,
    doc: &'a Document,
    config: &'a Config,
}

impl Cx<'_> {
    pub(super) fn at(&self, p: &YamlPath) -> Loc {
        Loc::yaml(self.file, self.doc, p.clone())
    }
}

/// Adds the facts of one workflow document.
///
/// In a workflow pipec generated (its header and hash intact), every
/// environment a production deployment passes through — its own and those of
/// the approval jobs before it — stands for one approval: the file documents
/// the reviewers each one needs. Elsewhere only reviewers declared in
/// `pipec.toml` count.
pub fn extract(
    file: SourceId,
    name: &str,
    doc: &Document,
    generated: bool,
    config: &Config,
    facts: &mut Facts,
) {
    let cx = Cx { file, doc, config };
    let root = &doc.root;
    let top = YamlPath::root();
    let triggers = root
        .get("on")
        .map(|on| triggers(&cx, on, &top.key("on")))
        .unwrap_or_default();
    let wf_env = env_map(root.get("env"));
    plaintext_env(&cx, root.get("env"), &top.key("env"), facts);
    let permissions = root
        .get("permissions")
        .map(|p| permissions(&cx, p, &top.key("permissions")));
    let mut jobs = Vec::new();
    let mut needs_names = Vec::new();
    if let Some(js) = root.get("jobs") {
        for e in js.entries() {
            let Some(id) = e.key.as_str() else { continue };
            let path = top.key("jobs").key(id);
            needs_names.push(
                e.value
                    .get("needs")
                    .map(|n| n.strings())
                    .unwrap_or_default(),
            );
            jobs.push(job(&cx, id, &e.value, &path, &wf_env, facts));
        }
    }
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    for (j, needs) in jobs.iter_mut().zip(needs_names) {
        j.needs = needs
            .iter()
            .filter_map(|n| names.iter().position(|x| x == n))
            .collect();
    }
    approvals(&mut jobs, generated, config);
    let title = root.get("name").and_then(Node::text).unwrap_or(name);
    let loc = match root.entry("name") {
        Some(_) => cx.at(&top.key("name")),
        None => cx.at(&top.key("on")).key(),
    };
    facts.pipelines.push(Pipeline {
        input: Input::GitHub,
        name: title.to_string(),
        loc,
        triggers,
        jobs,
        permissions,
        estimate: None,
        deploy_estimates: Vec::new(),
    });
}

/// Approvals of each environment deployment: its environment's and those of
/// the approval jobs it waits for.
fn approvals(jobs: &mut [Job], generated: bool, config: &Config) {
    let count = |env: &str| config.reviewers(env).or(generated.then_some(1));
    for i in 0..jobs.len() {
        let Some(d) = jobs[i].deploy.as_ref().filter(|d| d.github_environment) else {
            continue;
        };
        let Some(own) = count(&d.name) else { continue };
        let mut seen = vec![false; jobs.len()];
        let mut stack = jobs[i].needs.clone();
        let mut gates = 0;
        while let Some(n) = stack.pop() {
            if n >= jobs.len() || seen[n] {
                continue;
            }
            seen[n] = true;
            if let Some(env) = &jobs[n].approval_gate {
                gates += count(env).unwrap_or(0);
            }
            stack.extend(jobs[n].needs.iter().copied());
        }
        if let Some(d) = jobs[i].deploy.as_mut() {
            d.approvals = Some(own + gates);
        }
    }
}

/// A job whose steps only print: it exists to wait for its environment.
fn only_prints(n: &Node) -> bool {
    let steps = n.get("steps").map(Node::items).unwrap_or_default();
    !steps.is_empty()
        && steps.iter().all(|s| {
            s.get("uses").is_none()
                && s.get("run").and_then(Node::text).is_some_and(|r| {
                    commands(r).iter().all(|c| {
                        let prog = c.text.split_whitespace().next().unwrap_or("");
                        matches!(prog, "echo" | "printf" | "true" | ":")
                    })
                })
        })
}

fn globs(n: Option<&Node>) -> Vec<Pattern> {
    n.map(|n| {
        n.strings()
            .iter()
            .map(|s| Pattern::Glob(pipec_graph::Glob(s.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

fn triggers(cx: &Cx, on: &Node, path: &YamlPath) -> Vec<Trigger> {
    let mut events: Vec<(String, Option<&Node>, YamlPath)> = Vec::new();
    match &on.kind {
        crate::yaml::Kind::Scalar(..) => {
            if let Some(s) = on.text() {
                events.push((s.to_string(), None, path.clone()));
            }
        }
        crate::yaml::Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if let Some(s) = it.text() {
                    events.push((s.to_string(), None, path.index(i)));
                }
            }
        }
        crate::yaml::Kind::Map(entries) => {
            for e in entries {
                if let Some(s) = e.key.as_str() {
                    events.push((s.to_string(), Some(&e.value), path.key(s)));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (event, cfg, p) in events {
        let loc = cx.at(&p).key();
        let get = |k: &str| cfg.and_then(|c| c.get(k));
        let mut push = |event, branches, ignore, tags| {
            out.push(Trigger {
                event,
                branches,
                branches_ignore: ignore,
                tags,
                loc: loc.clone(),
            })
        };
        match event.as_str() {
            "push" => {
                let has_branches = get("branches").is_some() || get("branches-ignore").is_some();
                let has_tags = get("tags").is_some() || get("tags-ignore").is_some();
                if has_branches || !has_tags {
                    push(
                        RunEvent::Push,
                        globs(get("branches")),
                        globs(get("branches-ignore")),
                        None,
                    );
                }
                if has_tags || !has_branches {
                    let tags = globs(get("tags"));
                    push(
                        RunEvent::Tag,
                        Vec::new(),
                        Vec::new(),
                        (!tags.is_empty()).then_some(tags),
                    );
                }
            }
            "pull_request" | "pull_request_review" | "pull_request_review_comment" => push(
                RunEvent::PullRequest,
                globs(get("branches")),
                globs(get("branches-ignore")),
                None,
            ),
            "pull_request_target" => push(
                RunEvent::PullRequestTarget,
                globs(get("branches")),
                globs(get("branches-ignore")),
                None,
            ),
            "release" => push(RunEvent::Release, Vec::new(), Vec::new(), None),
            "workflow_dispatch" => push(RunEvent::Dispatch, Vec::new(), Vec::new(), None),
            "schedule" => push(RunEvent::Schedule, Vec::new(), Vec::new(), None),
            "workflow_run"
            | "issue_comment"
            | "issues"
            | "discussion"
            | "discussion_comment"
            | "repository_dispatch"
            | "fork"
            | "watch" => push(RunEvent::Privileged, Vec::new(), Vec::new(), None),
            _ => {}
        }
    }
    out
}

fn env_map(n: Option<&Node>) -> Vec<(String, String)> {
    n.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str()?.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

/// `env:` entries whose name says "credential" and whose value is written out.
fn plaintext_env(cx: &Cx, env: Option<&Node>, path: &YamlPath, facts: &mut Facts) {
    plaintext_env_in(cx.file, Input::GitHub, env, path, facts);
}

/// Words that mark a value written for tests or examples, not a credential.
const TEST_VALUE_WORDS: &[&str] = &[
    "dummy",
    "test",
    "example",
    "fake",
    "sample",
    "changeme",
    "change-me",
    "placeholder",
    "local",
    "demo",
    "mock",
    "xxxx",
    "insecure",
    "notsecret",
    "not-a-secret",
];

/// A variable that holds the name, id, path or location of a secret rather
/// than the secret (`SECRET_NAME`, `KEY_ID`, `TOKEN_FILE`, `PASSWORD_ARN`).
fn names_a_secret(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    [
        "_NAME",
        "_ID",
        "_FILE",
        "_PATH",
        "_ARN",
        "_REF",
        "_URL",
        "_URI",
        "_HOST",
        "_ENV",
        "_VAR",
        "_KEY_NAME",
        "_SECRET_NAME",
        "_LENGTH",
        "_TYPE",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

pub(crate) fn plaintext_env_in(
    file: SourceId,
    input: Input,
    env: Option<&Node>,
    path: &YamlPath,
    facts: &mut Facts,
) {
    let Some(env) = env else { return };
    // Values of the block's user names: a password made of one is a local
    // test account's (`MINIO_ROOT_USER: polar`, `…_PASSWORD: polarpolar`).
    let users: Vec<String> = env
        .entries()
        .iter()
        .filter(|e| {
            e.key
                .as_str()
                .is_some_and(|k| k.to_ascii_uppercase().contains("USER"))
        })
        .filter_map(|e| e.value.text())
        .filter(|v| v.len() >= 3)
        .map(str::to_ascii_lowercase)
        .collect();
    for e in env.entries() {
        let (Some(k), Some(v)) = (e.key.as_str(), e.value.text()) else {
            continue;
        };
        let lower = v.to_ascii_lowercase();
        let test_value = TEST_VALUE_WORDS.iter().any(|w| lower.contains(w))
            || users.iter().any(|u| lower.contains(u.as_str()));
        if pipec_check::is_secret_name(k)
            && !names_a_secret(k)
            && !test_value
            && v.len() >= 6
            && !v.contains('$')
        {
            facts.plaintext.push(Plaintext {
                input,
                what: format!("`{k}` is given a literal value"),
                loc: Loc::found(file, path.key(k), &e.value, Some(e.key.span)),
            });
        }
    }
}

fn permissions(cx: &Cx, p: &Node, path: &YamlPath) -> Permissions {
    Permissions {
        loc: cx.at(path),
        all: p.text().map(str::to_string),
        scopes: p
            .entries()
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.as_str()?.to_string(),
                    e.value.as_str()?.to_string(),
                    cx.at(&path.key(e.key.as_str()?)),
                ))
            })
            .collect(),
    }
}

/// Whether a job creates a local Kubernetes cluster to deploy into.
fn makes_throwaway_cluster(n: &Node) -> bool {
    n.get("steps")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|step| {
            let uses = step
                .get("uses")
                .and_then(Node::text)
                .unwrap_or("")
                .to_ascii_lowercase();
            let run = step.get("run").and_then(Node::text).unwrap_or("");
            [
                "helm/kind-action",
                "engineerd/setup-kind",
                "container-tools/kind-action",
                "medyagh/setup-minikube",
                "nolar/setup-k3d-k3s",
                "azure/setup-kind",
            ]
            .iter()
            .any(|a| uses.starts_with(a))
                || [
                    "kind create cluster",
                    "k3d cluster create",
                    "minikube start",
                    "ctlptl create",
                ]
                .iter()
                .any(|c| run.contains(c))
        })
}

/// The images of `container:` (a string or `image:`) and of each service.
fn container_images(cx: &Cx, n: &Node, path: &YamlPath, job: &mut Job) {
    let mut add = |node: &Node, at: YamlPath| {
        let (image, at) = match node.text() {
            Some(t) => (t, at),
            None => match node.get("image").and_then(Node::text) {
                Some(t) => (t, at.key("image")),
                None => return,
            },
        };
        job.images.push((image.to_string(), cx.at(&at)));
    };
    if let Some(c) = n.get("container") {
        add(c, path.key("container"));
    }
    for e in n.get("services").map(Node::entries).unwrap_or_default() {
        if let Some(k) = e.key.as_str() {
            add(&e.value, path.key("services").key(k));
        }
    }
}

/// Replaces `${{ env.X }}`, `$X` and `${X}` by literal values from `env`
/// (the first value of a name counts; values that name others are resolved
/// up to three levels deep, within a bound on the text's growth).
pub(crate) fn resolve(text: &str, env: &[(String, String)]) -> String {
    let mut out = text.to_string();
    if env.is_empty() {
        return out;
    }
    // Values that name each other grow the text with every round: a round
    // that would pass the bound is not taken (hostile files, not real ones).
    let bound = (text.len() * 4).max(1 << 14);
    for _ in 0..3 {
        match resolve_once(&out, env) {
            Some(next) if next.len() <= bound => out = next,
            _ => break,
        }
    }
    out
}

/// One pass of [`resolve`] over `text`, in one scan; `None` when nothing
/// was replaced.
fn resolve_once(text: &str, env: &[(String, String)]) -> Option<String> {
    let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(i) = rest.find('$') {
        let tail = &rest[i..];
        let found = if let Some(inner) = tail.strip_prefix("${{ env.") {
            inner
                .find(" }}")
                .and_then(|end| Some((lookup(&inner[..end])?, &inner[end + 3..])))
        } else if let Some(inner) = tail.strip_prefix("${") {
            inner
                .find('}')
                .and_then(|end| Some((lookup(&inner[..end])?, &inner[end + 1..])))
        } else {
            let name = &tail[1..];
            let len = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            (len > 0)
                .then(|| lookup(&name[..len]))
                .flatten()
                .map(|v| (v, &name[len..]))
        };
        if !changed {
            out.reserve(text.len());
        }
        out.push_str(&rest[..i]);
        match found {
            Some((value, after)) => {
                out.push_str(value);
                rest = after;
                changed = true;
            }
            None => {
                out.push('$');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

fn job(
    cx: &Cx,
    id: &str,
    n: &Node,
    path: &YamlPath,
    wf_env: &[(String, String)],
    facts: &mut Facts,
) -> Job {
    let mut job = Job::new(id, cx.at(path).key());
    if let Some(cond) = n.get("if").and_then(Node::text) {
        job.conditions
            .push((cond.to_string(), cx.at(&path.key("if"))));
        job.when = expr::parse(cond).map_or(When::Unknown, |e| github_when(&e));
    }
    if n.get("continue-on-error").and_then(Node::as_bool) == Some(true) {
        job.allow_failure = Some(cx.at(&path.key("continue-on-error")));
    }
    job.permissions = n
        .get("permissions")
        .map(|p| permissions(cx, p, &path.key("permissions")));
    if let Some(uses) = n.get("uses").and_then(Node::text) {
        job.actions.push(ActionUse {
            uses: uses.to_string(),
            loc: cx.at(&path.key("uses")),
        });
    }
    if n.get("secrets").and_then(Node::text) == Some("inherit") {
        job.secrets_inherit = Some(cx.at(&path.key("secrets")));
    }
    let mut env: Vec<(String, String)> = wf_env.to_vec();
    env.extend(env_map(n.get("env")));
    plaintext_env(cx, n.get("env"), &path.key("env"), facts);
    if let Some(e) = n.get("environment") {
        let name = e.text().or_else(|| e.get("name").and_then(Node::text));
        if let Some(name) = name {
            let name = resolve(name, &env);
            let at = match e.get("name") {
                Some(_) => cx.at(&path.key("environment").key("name")),
                None => cx.at(&path.key("environment")),
            };
            if only_prints(n) {
                job.approval_gate = Some(name);
            } else {
                let tier = if name.contains("${{") {
                    pipec_graph::Tier::Other
                } else {
                    cx.config.tier(&name)
                };
                // An environment also guards publishing (`pypi`, `release`,
                // `github-pages`' neighbours): it makes the job a deployment
                // only when it names a tier, is chosen at run time, or the
                // job runs a deploy command (see below).
                let deploys = tier != pipec_graph::Tier::Other || name.contains("${{");
                job.deploy = Some(DeployTarget {
                    tier,
                    approvals: None,
                    name,
                    loc: at,
                    github_environment: true,
                });
                if deploys {
                    job.add_role(Role::Deploy);
                }
            }
        }
    }
    container_images(cx, n, path, &mut job);
    let lower = id.to_ascii_lowercase();
    let mut metadata: Vec<(String, Vec<PushedTag>)> = Vec::new();
    for (i, step) in n
        .get("steps")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let sp = path.key("steps").index(i);
        if let Some(cond) = step.get("if").and_then(Node::text) {
            job.conditions
                .push((cond.to_string(), cx.at(&sp.key("if"))));
        }
        let step_when = step
            .get("if")
            .and_then(Node::text)
            .map_or(When::Always, |c| {
                expr::parse(c).map_or(When::Unknown, |e| github_when(&e))
            });
        let tolerant = step.get("continue-on-error").and_then(Node::as_bool) == Some(true);
        let mut step_env = env.clone();
        step_env.extend(env_map(step.get("env")));
        plaintext_env(cx, step.get("env"), &sp.key("env"), facts);
        if let Some(uses) = step.get("uses").and_then(Node::text) {
            job.actions.push(ActionUse {
                uses: uses.to_string(),
                loc: cx.at(&sp.key("uses")),
            });
            let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
            super::actions::action_facts(
                cx,
                &mut job,
                &action,
                &sp,
                i,
                tolerant,
                &step_env,
                &step_when,
                &mut metadata,
                step,
            );
        }
        if let Some(run) = step.get("run").and_then(Node::text) {
            let at = cx.at(&sp.key("run"));
            job.scripts.push(Script {
                text: run.to_string(),
                loc: at.clone(),
                env: step_env.clone(),
                javascript: false,
            });
            run_facts(
                &mut job, run, &at, i, tolerant, &step_env, &step_when, &lower,
            );
        }
    }
    // Deploy commands into a cluster the job makes for itself (kind, k3d,
    // minikube) test the manifests; nothing is released.
    if job.deploy_step.is_some() && makes_throwaway_cluster(n) {
        job.deploy_step = None;
        job.deployed.clear();
        job.roles.retain(|r| *r != Role::Deploy);
        job.add_role(Role::Integration);
    }
    if job.deploy.is_none() && job.deploy_step.is_some() {
        let tier = cx.config.tier(id);
        job.deploy = Some(DeployTarget {
            name: id.to_string(),
            tier,
            loc: job.loc.clone(),
            approvals: None,
            github_environment: false,
        });
    }
    if lower.contains("integration") || lower.contains("e2e") {
        job.tests.clear();
        job.add_role(Role::Integration);
    }
    job
}

#[allow(clippy::too_many_arguments)]
fn run_facts(
    job: &mut Job,
    run: &str,
    at: &Loc,
    step: usize,
    tolerant: bool,
    env: &[(String, String)],
    when: &When,
    job_name: &str,
) {
    // Simple assignments earlier in the script (`IMG=app:$SHA`) hold
    // values later commands use, as `env:` does.
    let mut env: Vec<(String, String)> = env.to_vec();
    for c in commands(run) {
        if let Some((name, value)) = script::assignment(&c.text) {
            let value = resolve(value, &env);
            env.push((name.to_string(), value));
            continue;
        }
        let env = env.as_slice();
        // Most commands give no fact: their place is made only for one.
        let here = || at.text(&c.first_line);
        // Values the job's `env:` and earlier assignments give
        // (`tox -e ${{ env.TOXENV }}`, `docker push $IMG`).
        let resolved = resolve(&c.text, env);
        if let Some(integration) = script::test_command(&resolved) {
            if integration || job_name.contains("integration") {
                job.add_role(Role::Integration);
            } else {
                job.add_role(Role::Test);
                job.tests.push(here());
            }
        }
        if c.text.contains("--cov")
            || c.text.contains("coverage run")
            || c.text.contains("coverage report")
        {
            job.measures_coverage = true;
        }
        if let Some(min) = script::coverage_threshold(&resolved) {
            job.coverage.push(Coverage { min, loc: here() });
        }
        if let Some((role, tool, blocking)) = script::scanner(&c.text) {
            job.add_role(role);
            job.scans.push(Scan {
                role,
                tool: tool.into(),
                blocking: blocking && !tolerant && job.allow_failure.is_none(),
                loc: here(),
                step,
            });
        }
        let images: Vec<String> = script::pushed_images(&tags::compact(&resolved))
            .iter()
            .map(|r| tags::expand(r))
            .collect();
        if !images.is_empty() {
            job.add_role(Role::Publish);
            let tags = images.iter().map(|r| pushed_tag(r, here())).collect();
            job.pushes.push(Push {
                image: images.first().map(|r| tags::split(r).0),
                tags,
                when: when.clone(),
                loc: here(),
                step,
            });
        }
        if script::deploy_command(&c.text).is_some() {
            job.add_role(Role::Deploy);
            job.deploy_step.get_or_insert(step);
            job.deployed.extend(deployed(&c.text, env, &here()));
        }
        if script::git_push(&c.text) {
            job.pushes_commits = true;
        }
    }
}

/// A pushed image reference as a fact.
pub(super) fn pushed_tag(reference: &str, loc: Loc) -> PushedTag {
    let (image, tag) = tags::split(reference);
    PushedTag {
        tag: classify_tag(&tag),
        when: When::Always,
        loc,
        image: Some(image),
        template: tags::template(&tag),
    }
}

/// The images a deployment command rolls out, variables resolved.
pub(super) fn deployed(cmd: &str, env: &[(String, String)], loc: &Loc) -> Vec<Deployed> {
    tags::deployed_refs(&tags::compact(&resolve(cmd, env)))
        .iter()
        .map(|r| {
            let (image, tag) = tags::split(&tags::expand(r));
            Deployed {
                image,
                template: tags::template(&tag),
                loc: loc.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn values_of_env_are_resolved_in_every_spelling() {
        let env: Vec<(String, String)> = [
            ("IMG", "ghcr.io/a/b:$TAG"),
            ("TAG", "1.0"),
            ("A", "x"),
            ("TOXENV", "docs"),
            ("A", "shadowed"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            resolve("docker push $IMG", &env),
            "docker push ghcr.io/a/b:1.0"
        );
        assert_eq!(resolve("tox -e ${{ env.TOXENV }}", &env), "tox -e docs");
        assert_eq!(resolve("${A}-$A-$AB-${B}-$", &env), "x-x-$AB-${B}-$");
        assert_eq!(
            resolve("${{ github.sha }} ${{ env.NOPE }}", &env),
            "${{ github.sha }} ${{ env.NOPE }}"
        );
        assert_eq!(resolve("é$TAG", &env), "é1.0");
        // A value that names itself stops after three rounds, and growth
        // stops at the bound.
        let looping = vec![("X".to_string(), "$X$X".to_string())];
        assert_eq!(resolve("$X", &looping), "$X".repeat(8));
        let bomb = vec![("X".to_string(), "$X".repeat(500))];
        assert!(resolve("$X", &bomb).len() <= 1 << 14);
    }
}
