//! The release walk: each example is built into a local application
//! repository, and a release is walked through its generated GitHub
//! workflows with the tools a runner has — git, bash, the real `kubectl
//! kustomize` — and recording stand-ins for the registry and the clusters
//! (`tests/release_walk/stubs`). GitHub itself is played by a small
//! interpreter of its trigger, concurrency and environment rules
//! (`release_walk/github.rs`), kept honest by cases from GitHub's
//! documentation (`release_walk/documented.rs`).
//!
//! The walk: pushes to the deployment branch while an approval is pending
//! still get their CI and automatic deployments; an approved deployment ships
//! the digest the environment before it ran; a release tag ships that same
//! digest to production and moves `latest`, a pre-release does not; a
//! configuration change reaches each environment's tree as it is deployed;
//! one deploy-workflow run rolls production back to an earlier release, and
//! another of the same release commits nothing; and no deployment commit
//! starts a pipeline. A service deployed from a Helm chart walks the same way
//! (`helm_service`): its deployments set the image in the environment's
//! values file, and the stand-in Argo CD renders a test chart with it.
//!
//! Beside it: workers and CronJobs released with a service
//! (`release_walk/workloads.rs`), how a deployment waits for Argo CD
//! (`release_walk/wait.rs`),
//! multi-platform images handed on as manifest lists by digest
//! (`release_walk/multiarch.rs`),
//! GitLab's image hand-over through the registry (`release_walk/handover.rs`)
//! and what each plan enforces of approvals (`release_walk/plans.rs`).

#[path = "release_walk/documented.rs"]
mod documented;
#[path = "release_walk/expr.rs"]
mod expr;
#[path = "release_walk/github.rs"]
mod github;
#[path = "release_walk/handover.rs"]
mod handover;
#[path = "release_walk/multiarch.rs"]
mod multiarch;
#[path = "release_walk/pattern.rs"]
mod pattern;
#[path = "release_walk/plans.rs"]
mod plans;
#[path = "release_walk/wait.rs"]
mod wait;
#[path = "release_walk/workloads.rs"]
mod workloads;
#[path = "release_walk/world.rs"]
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use github::{Event, JobState, Sim};
use pipec_tests::{CwdGuard, examples, root, scratch, tool, write_tree};
use world::World;

/// How an example releases.
struct Plan {
    example: &'static str,
    /// The application repository (the GitOps one too when it is the same).
    app: &'static str,
    /// A GitOps repository of its own, starting empty.
    gitops: Option<&'static str>,
    /// The branch whose pushes deploy.
    branch: &'static str,
    image: &'static str,
    /// The first environment, deployed by every push (no approval).
    automatic: Option<&'static str>,
    /// The first environment that waits for an approval on pushes.
    gated: &'static str,
    production: &'static str,
    /// `via kubectl`: Deployment name and the namespaces of `gated` and
    /// `production`.
    kubectl: Option<(&'static str, &'static str, &'static str)>,
    /// A configuration value to change: file, old text, new text, and how the
    /// rendered ConfigMap shows the new value.
    config: (&'static str, &'static str, &'static str, &'static str),
}

struct Walk {
    plan: Plan,
    world: World,
    sim: Sim,
    work: PathBuf,
    /// Runs started by pushes that jobs made.
    started_by_deployments: Vec<usize>,
    /// Pushes jobs made, as the events they are.
    deployment_pushes: Vec<(String, Event)>,
    /// `helm-template`, for programs with Helm services.
    helm: Option<PathBuf>,
}

fn short(sha: &str) -> &str {
    &sha[..7]
}

/// A walk that passed leaves nothing behind; a failed one keeps its
/// repositories and stand-in state for a look.
impl Drop for Walk {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.world.root);
        }
    }
}

impl Walk {
    fn new(name: &str, plan: Plan, kubectl: &Path, edit: impl Fn(&str) -> String) -> Walk {
        let dir = scratch(&format!("release-walk-{name}"));
        let mut world = World::new(&dir, kubectl);
        world.repo(plan.app);
        if let Some(g) = plan.gitops {
            world.repo(g);
        }
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        world.git(&work, &["init", "--quiet"]);
        world.git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                &format!("https://github.com/{}.git", plan.app),
            ],
        );
        // An example, or a program of the tests (a path with `/`).
        let source = if plan.example.contains('/') {
            root().join(plan.example)
        } else {
            root().join("examples").join(plan.example)
        };
        for e in std::fs::read_dir(&source).unwrap() {
            let e = e.unwrap();
            let text = std::fs::read_to_string(e.path()).unwrap();
            std::fs::write(work.join(e.file_name()), edit(&text)).unwrap();
        }
        std::fs::write(work.join("app.txt"), "0\n").unwrap();
        let program = checked(&work);
        let protected: BTreeSet<String> = program
            .environments
            .iter()
            .filter(|e| e.approvals > 0)
            .flat_map(|e| {
                std::iter::once(e.name.clone())
                    .chain((1..e.approvals).map(move |k| format!("{}-approval-{k}", e.name)))
            })
            .collect();
        let mut walk = Walk {
            plan,
            world,
            sim: Sim::new(protected),
            work,
            started_by_deployments: Vec::new(),
            deployment_pushes: Vec::new(),
            helm: tool("helm-template"),
        };
        walk.generate();
        walk.commit("Start");
        walk
    }

    /// `pipec build` of the working tree, and the Argo CD Applications it
    /// declares registered with the stand-in Argo CD.
    fn generate(&mut self) {
        let program = checked(&self.work);
        let tree = pipec::emit(&program, &[]).unwrap_or_else(|d| panic!("{d:#?}"));
        write_tree(&tree, &self.work);
        for f in tree.files().filter(|f| f.path.contains("/argocd/")) {
            let doc: serde_json::Value = yaml_serde::from_str(&f.body).unwrap();
            if doc["kind"] != "Application" {
                continue;
            }
            let name = doc["metadata"]["name"].as_str().unwrap();
            // A Helm chart's Application: the values come from the `ref`
            // source, the chart is the test chart, rendered by Helm's engine.
            let sources = doc["spec"]["sources"].as_array();
            let source = match sources {
                Some(s) => &s[0],
                None => &doc["spec"]["source"],
            };
            let helm = sources.map(|s| {
                let chart = &s[1];
                let values = chart["helm"]["valueFiles"][0].as_str().unwrap();
                format!(
                    "chart={}\nhelm={}\nvalues={}\nrelease={}\nnamespace={}\n",
                    root().join("tests/fixtures/helm/chart").display(),
                    self.helm
                        .as_ref()
                        .expect("helm-template renders Helm services")
                        .display(),
                    values.strip_prefix("$values/").unwrap(),
                    chart["helm"]["releaseName"].as_str().unwrap(),
                    doc["spec"]["destination"]["namespace"].as_str().unwrap(),
                )
            });
            let url = source["repoURL"].as_str().unwrap();
            let repo = self
                .world
                .repos
                .iter()
                .find(|r| r.url() == url)
                .unwrap_or_else(|| panic!("{name} reads {url}, where nothing is deployed"));
            let dir = self.world.state.join("argocd").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("app.env"),
                format!(
                    "repo={}\npath={}\nrevision={}\nautomated={}\n{}",
                    repo.bare.display(),
                    source["path"].as_str().unwrap_or(""),
                    source["targetRevision"].as_str().unwrap(),
                    if doc["spec"]["syncPolicy"]["automated"].is_object() {
                        "yes"
                    } else {
                        "no"
                    },
                    helm.unwrap_or_default()
                ),
            )
            .unwrap();
        }
    }

    fn commit(&self, message: &str) -> String {
        self.world.git(&self.work, &["add", "-A"]);
        self.world
            .git(&self.work, &["commit", "--quiet", "-m", message]);
        self.world.git(&self.work, &["rev-parse", "HEAD"])
    }

    /// A change to the application's code, committed.
    fn change(&self, n: u32) -> String {
        std::fs::write(self.work.join("app.txt"), format!("{n}\n")).unwrap();
        self.commit(&format!("Change {n}"))
    }

    /// Pushes a ref and runs what the push starts; returns the runs.
    fn push(&mut self, refspec: &str) -> Vec<usize> {
        self.world
            .git(&self.work, &["push", "--quiet", "origin", refspec]);
        self.react(false)
    }

    fn tag(&mut self, name: &str) -> Vec<usize> {
        self.world.git(&self.work, &["tag", name]);
        self.push(&format!("refs/tags/{name}"))
    }

    /// Starts the runs the recorded pushes trigger, until none is left.
    fn react(&mut self, by_jobs: bool) -> Vec<usize> {
        let mut started = Vec::new();
        let mut by_jobs = by_jobs;
        loop {
            let pushes = self.world.take_pushes();
            if pushes.is_empty() {
                return started;
            }
            for (repo, old, new, git_ref) in pushes {
                if new.chars().all(|c| c == '0') {
                    continue;
                }
                let ev = self.world.push_event(&repo, &old, &new, &git_ref);
                if by_jobs {
                    self.deployment_pushes.push((repo.clone(), ev.clone()));
                }
                for w in self.world.workflows(&repo, ev.sha()) {
                    if let Some(id) = self.sim.dispatch(&w, &ev, &mut self.world) {
                        if by_jobs {
                            self.started_by_deployments.push(id);
                        }
                        started.push(id);
                    }
                }
            }
            // Whatever is pushed from here on was pushed by the jobs.
            by_jobs = true;
        }
    }

    fn reject(&mut self, run: usize, job: &str) {
        self.sim.reject(run, job, &mut self.world);
        self.react(true);
    }

    fn approve(&mut self, run: usize, job: &str) {
        self.sim.approve(run, job, &mut self.world);
        self.react(true);
    }

    /// Approves, in order, every job of the run that waits for a reviewer.
    fn approve_all(&mut self, run: usize) {
        loop {
            let waiting = self.waiting(run);
            let Some(job) = waiting.first() else { return };
            self.approve(run, job);
        }
    }

    fn waiting(&self, run: usize) -> Vec<String> {
        self.sim.runs[run]
            .jobs
            .as_ref()
            .map(|j| {
                j.iter()
                    .filter(|(_, s)| **s == JobState::Waiting)
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts the deploy workflow by hand on a ref (a tag or a branch).
    fn dispatch(&mut self, name: &str, environment: &str) -> usize {
        let bare = self.world.repos[0].bare.clone();
        let tag = format!("refs/tags/{name}");
        let git_ref = if self.world.git(&bare, &["tag", "--list", name]).is_empty() {
            format!("refs/heads/{name}")
        } else {
            tag
        };
        let sha = self
            .world
            .git(&bare, &["rev-parse", &format!("{git_ref}^{{commit}}")]);
        let file = format!(".github/workflows/{}-deploy.yml", self.pipeline());
        let w = self
            .world
            .workflows(self.plan.app, &sha)
            .into_iter()
            .find(|w| w.file == file)
            .unwrap_or_else(|| panic!("no {file} at {name}"));
        let ev = Event::Dispatch {
            git_ref,
            sha,
            inputs: BTreeMap::from([("environment".to_string(), environment.to_string())]),
        };
        let id = self
            .sim
            .dispatch(&w, &ev, &mut self.world)
            .expect("dispatchable");
        self.react(true);
        id
    }

    fn pipeline(&self) -> String {
        self.plan.example.rsplit('/').next().unwrap().to_string()
    }

    fn state(&self, run: usize, job: &str) -> JobState {
        self.sim.runs[run].state(job)
    }

    fn expect(&self, run: usize, job: &str, state: JobState) {
        assert_eq!(
            self.state(run, job),
            state,
            "run {run}, job {job}\n{}",
            self.world.log
        );
    }

    /// The digest a tag names in the stand-in registry.
    fn digest(&self, tag: &str) -> Option<String> {
        std::fs::read_to_string(
            self.world
                .state
                .join("registry")
                .join(self.plan.image)
                .join("tags")
                .join(tag),
        )
        .ok()
        .map(|s| s.trim().to_string())
    }

    fn blobs(&self) -> usize {
        std::fs::read_dir(
            self.world
                .state
                .join("registry")
                .join(self.plan.image)
                .join("blobs"),
        )
        .map_or(0, |d| d.count())
    }

    /// What an environment runs: the image Argo CD renders from its
    /// Application, or the image its Deployment was set to.
    fn running(&self, env: &str) -> String {
        match self.plan.kubectl {
            Some((deployment, gated_ns, prod_ns)) => {
                let ns = if env == self.plan.production {
                    prod_ns
                } else {
                    gated_ns
                };
                std::fs::read_to_string(self.world.state.join("cluster").join(ns).join(deployment))
                    .unwrap_or_else(|_| panic!("{env} runs nothing\n{}", self.world.log))
                    .trim()
                    .to_string()
            }
            None => {
                let render = self.render(env);
                render
                    .lines()
                    .find_map(|l| l.trim().trim_start_matches("- ").strip_prefix("image: "))
                    .unwrap_or_else(|| panic!("{env} renders no image:\n{render}"))
                    .to_string()
            }
        }
    }

    fn application(&self, env: &str) -> String {
        let svc = self.plan.image.rsplit('/').next().unwrap();
        format!("{svc}-{env}")
    }

    fn render(&self, env: &str) -> String {
        self.render_app(&self.application(env))
    }

    /// What an Argo CD Application renders, once it is Synced and Healthy.
    fn render_app(&self, application: &str) -> String {
        let dir = self.world.state.join("argocd").join(application);
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        assert!(
            status.trim_end().ends_with("|Synced|Healthy"),
            "{application}: {status}\n{}",
            self.world.log
        );
        std::fs::read_to_string(dir.join("render.yaml")).unwrap()
    }

    fn image(&self, tag: &str, digest: &str) -> String {
        format!("{}:{tag}@{digest}", self.plan.image)
    }
}

fn checked(dir: &Path) -> pipec_graph::Program {
    let _cwd = CwdGuard::enter(dir);
    let c = pipec_check::check(Path::new("."), &pipec_tests::fs(Path::new("."))).expect("readable");
    c.program.unwrap_or_else(|| {
        panic!(
            "{}",
            pipec_diagnostics::render::human(&c.diagnostics, &c.sources, Default::default())
        )
    })
}

/// The tag of a commit's image, as the example's publish rule names it.
fn commit_tag(plan: &Plan, sha: &str) -> String {
    if plan.example == "archon-agent" {
        format!("{}-{}", plan.branch, short(sha))
    } else {
        format!("sha-{}", short(sha))
    }
}

fn walk(plan: Plan) {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    assert!(plan.example.contains('/') || examples().contains(&plan.example.to_string()));
    let name = plan.example.rsplit('/').next().unwrap();
    let mut w = Walk::new(name, plan, &kubectl, |t| t.to_string());
    let branch = w.plan.branch;
    let gated = w.plan.gated;
    let gate = format!("deploy_{gated}");

    // A push deploys what it built (where no one approves), and waits for an
    // approval of the next environment.
    let c1 = w.change(1);
    let r1 = w.push(&format!("HEAD:refs/heads/{branch}"))[0];
    let d1 = w
        .digest(&commit_tag(&w.plan, &c1))
        .expect("the commit's image is published");
    if let Some(auto) = w.plan.automatic {
        w.expect(r1, &format!("deploy_{auto}"), JobState::Success);
        assert_eq!(w.running(auto), w.image(&commit_tag(&w.plan, &c1), &d1));
    }
    w.expect(r1, &gate, JobState::Waiting);

    // Two more pushes while that approval is pending: both get their CI and
    // their automatic deployment; of their gated deployments, the newer waits
    // in the environment's group and the older one is superseded.
    let c2 = w.change(2);
    let r2 = w.push(&format!("HEAD:refs/heads/{branch}"))[0];
    let c3 = w.change(3);
    let r3 = w.push(&format!("HEAD:refs/heads/{branch}"))[0];
    for (r, c) in [(r2, &c2), (r3, &c3)] {
        let image = w.sim.runs[r].workflow.doc["jobs"]
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.starts_with("publish_"))
            .unwrap()
            .clone();
        w.expect(r, &image, JobState::Success);
        assert!(w.digest(&commit_tag(&w.plan, c)).is_some());
    }
    let d3 = w.digest(&commit_tag(&w.plan, &c3)).unwrap();
    if let Some(auto) = w.plan.automatic {
        w.expect(r3, &format!("deploy_{auto}"), JobState::Success);
        assert_eq!(w.running(auto), w.image(&commit_tag(&w.plan, &c3), &d3));
    }
    w.expect(r2, &gate, JobState::Cancelled);
    w.expect(r3, &gate, JobState::Pending);

    // The approval ships the digest the first push built (and, where there is
    // one, the automatic environment ran); then the newest waits for its own.
    w.approve(r1, &gate);
    assert_eq!(w.running(gated), w.image(&commit_tag(&w.plan, &c1), &d1));
    w.expect(r3, &gate, JobState::Waiting);
    w.approve(r3, &gate);
    assert_eq!(w.running(gated), w.image(&commit_tag(&w.plan, &c3), &d3));

    // A release tag promotes that digest: nothing is built or pushed again,
    // production runs what staging ran, and `latest` moves once it does.
    let blobs = w.blobs();
    let r4 = w.tag("v1.0.0")[0];
    assert_eq!(w.blobs(), blobs, "the release pushed a new image");
    assert_eq!(w.digest("1.0.0").as_deref(), Some(d3.as_str()));
    assert_eq!(
        w.digest(&commit_tag(&w.plan, &c3)).as_deref(),
        Some(d3.as_str())
    );
    assert_eq!(w.digest("latest"), None, "latest moved before production");
    w.approve_all(r4);
    let prod = w.plan.production;
    w.expect(r4, &format!("deploy_{prod}"), JobState::Success);
    assert_eq!(w.running(prod), w.image("1.0.0", &d3));
    assert_eq!(w.digest("latest").as_deref(), Some(d3.as_str()));

    // A pre-release reaches production only by approval and never moves
    // `latest`.
    let c4 = w.change(4);
    let r5 = w.push(&format!("HEAD:refs/heads/{branch}"))[0];
    let d4 = w.digest(&commit_tag(&w.plan, &c4)).unwrap();
    let r6 = w.tag("v1.1.0-rc.1")[0];
    assert_eq!(w.digest("1.1.0-rc.1").as_deref(), Some(d4.as_str()));
    w.approve_all(r6);
    assert_eq!(w.running(prod), w.image("1.1.0-rc.1", &d4));
    assert_eq!(w.digest("latest").as_deref(), Some(d3.as_str()));
    // Its own gated deployment is left unapproved, and holds the
    // environment's group until a reviewer rejects it.
    w.expect(r5, &gate, JobState::Waiting);

    // A configuration change in the program reaches each environment's tree
    // as a commit that has it is deployed there — and not before.
    let (file, old, new, rendered) = w.plan.config;
    if w.plan.kubectl.is_none() {
        let path = w.work.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(old), "{file} has no `{old}`");
        std::fs::write(&path, text.replacen(old, new, 1)).unwrap();
        w.generate();
        w.commit("Change the configuration");
        let r7 = w.push(&format!("HEAD:refs/heads/{branch}"))[0];
        w.expect(r7, &gate, JobState::Pending);
        w.reject(r5, &gate);
        w.expect(r7, &gate, JobState::Waiting);
        if let Some(auto) = w.plan.automatic {
            assert!(
                w.render(auto).contains(rendered),
                "{auto} did not get the change"
            );
        }
        assert!(
            !w.render(gated).contains(rendered),
            "{gated} changed before it was deployed"
        );
        assert!(
            !w.render(prod).contains(rendered),
            "{prod} changed before it was deployed"
        );
        w.approve(r7, &gate);
        assert!(w.render(gated).contains(rendered));
        let r8 = w.tag("v1.1.0")[0];
        w.approve_all(r8);
        assert!(w.render(prod).contains(rendered));
        let d5 = w.digest("1.1.0").unwrap();
        assert_eq!(w.digest("latest").as_deref(), Some(d5.as_str()));

        // One run of the deploy workflow rolls production back to v1.0.0: its
        // image and its configuration.
        let rb = w.dispatch("v1.0.0", prod);
        w.approve_all(rb);
        assert_eq!(w.running(prod), w.image("1.0.0", &d3));
        assert!(
            !w.render(prod).contains(rendered),
            "the rollback kept the new configuration"
        );
        assert_eq!(w.digest("latest").as_deref(), Some(d3.as_str()));

        // Deploying what an environment runs once more is green and commits
        // nothing.
        let pushes = w.deployment_pushes.len();
        let again = w.dispatch("v1.0.0", prod);
        w.approve_all(again);
        w.expect(again, &format!("deploy_{prod}"), JobState::Success);
        assert_eq!(
            w.deployment_pushes.len(),
            pushes,
            "a deployment of what runs committed"
        );
        assert_eq!(w.running(prod), w.image("1.0.0", &d3));
    } else {
        let rb = w.dispatch("v1.0.0", prod);
        w.approve_all(rb);
        assert_eq!(w.running(prod), w.image("1.0.0", &d3));
        assert_eq!(w.digest("latest").as_deref(), Some(d3.as_str()));
    }

    // The deploy workflow refuses a ref production does not accept.
    if w.plan.kubectl.is_none() {
        let bad = w.dispatch(branch, prod);
        w.approve_all(bad);
        w.expect(bad, &format!("deploy_{prod}"), JobState::Failure);
        assert_eq!(w.running(prod), w.image("1.0.0", &d3));
    }

    // Deployment commits started no pipeline.
    if w.plan.kubectl.is_none() {
        assert!(
            !w.deployment_pushes.is_empty(),
            "no deployment pushed anything"
        );
    }
    assert!(
        w.started_by_deployments.is_empty(),
        "deployment commits started runs {:?}",
        w.started_by_deployments
    );
}

fn flask() -> Plan {
    Plan {
        example: "flask-api",
        app: "acme/flask-api",
        gitops: Some("acme/flask-gitops"),
        branch: "develop",
        image: "ghcr.io/acme/flask-api",
        automatic: Some("dev"),
        gated: "staging",
        production: "prod",
        kubectl: None,
        config: (
            "deploy.pipe",
            "WORKERS: \"4\"",
            "WORKERS: \"8\"",
            "WORKERS: \"8\"",
        ),
    }
}

#[test]
fn flask_api() {
    walk(flask());
}

fn archon() -> Plan {
    Plan {
        example: "archon-agent",
        app: "archon-ai/archon-agent",
        gitops: None,
        branch: "main",
        image: "ghcr.io/archon-ai/archon-agent",
        automatic: None,
        gated: "staging",
        production: "production",
        kubectl: None,
        config: (
            "pipeline.pipe",
            "MAX_WORKERS: \"4\"",
            "MAX_WORKERS: \"8\"",
            "MAX_WORKERS: \"8\"",
        ),
    }
}

#[test]
fn archon_agent() {
    walk(archon());
}

/// A service deployed from a Helm chart moves through the environments as
/// one deployed from generated manifests does: each deployment sets the image
/// in the environment's values file, and Argo CD renders the chart with it.
#[test]
fn helm_service() {
    if tool("helm-template").is_none() {
        return;
    }
    walk(Plan {
        example: "tests/fixtures/helm/shop",
        app: "acme/shop",
        gitops: Some("acme/shop-gitops"),
        branch: "main",
        image: "ghcr.io/acme/shop",
        automatic: Some("dev"),
        gated: "staging",
        production: "prod",
        kubectl: None,
        config: (
            "deploy.pipe",
            "WORKERS: \"4\"",
            "WORKERS: \"8\"",
            "value: \"8\"",
        ),
    });
}

#[test]
fn mts_deploy_ai() {
    walk(Plan {
        example: "mts-deploy-ai",
        app: "mts/mts-deploy-ai",
        gitops: None,
        branch: "develop",
        image: "registry.mts.ru/telecom/mts-deploy-ai",
        automatic: None,
        gated: "staging",
        production: "production",
        kubectl: Some(("mts-deploy-ai", "telecom-staging", "telecom")),
        config: ("pipeline.pipe", "", "", ""),
    });
}

/// Deployment commits to the branch CI runs on start no pipeline: their
/// paths are ignored by the push trigger, and their message says `[skip
/// ci]` — each of the two is enough on its own.
#[test]
fn deployment_commits_to_the_ci_branch_start_no_pipeline() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let mut w = Walk::new("same-branch", archon(), &kubectl, |t| {
        t.replace("branch \"deploy\"", "branch \"main\"")
    });
    let c1 = w.change(1);
    let r1 = w.push("HEAD:refs/heads/main")[0];
    w.approve(r1, "deploy_staging");
    let d1 = w.digest(&format!("main-{}", short(&c1))).unwrap();
    assert_eq!(
        w.running("staging"),
        w.image(&format!("main-{}", short(&c1)), &d1)
    );
    assert!(w.started_by_deployments.is_empty());
    let (repo, ev) = w
        .deployment_pushes
        .last()
        .cloned()
        .expect("a deployment commit");
    assert_eq!(ev.git_ref(), "refs/heads/main");
    let ci = w
        .world
        .workflows(&repo, ev.sha())
        .into_iter()
        .find(|f| f.file == ".github/workflows/archon-agent.yml")
        .expect("the CI workflow");
    assert!(!github::triggered(&ci, &ev));
    // Without `[skip ci]`, the path filter still holds it back …
    let Event::Push {
        git_ref,
        sha,
        paths,
        message,
    } = ev.clone()
    else {
        unreachable!()
    };
    let unskipped = Event::Push {
        git_ref: git_ref.clone(),
        sha: sha.clone(),
        paths: paths.clone(),
        message: message.replace("[skip ci]", ""),
    };
    assert!(!github::triggered(&ci, &unskipped));
    // … and without the path filter, `[skip ci]` does.
    let mut unfiltered = ci.clone();
    unfiltered.doc["on"]["push"]
        .as_object_mut()
        .unwrap()
        .remove("paths-ignore");
    assert!(!github::triggered(&unfiltered, &ev));
    assert!(
        github::triggered(&unfiltered, &unskipped),
        "the filters were what stopped it"
    );
    // A developer's commit to the same branch (on top of the deployment
    // commit, which they pull first) still starts CI.
    w.world
        .git(&w.work, &["pull", "--quiet", "--rebase", "origin", "main"]);
    let c2 = w.change(2);
    let runs = w.push("HEAD:refs/heads/main");
    assert_eq!(runs.len(), 1, "{c2}");
}
