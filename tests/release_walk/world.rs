//! The machine the walk runs on: local bare repositories standing for the
//! GitHub repositories (reached through their `https://github.com/…` URLs by
//! `url.<base>.insteadOf`), the recording `docker` and `kubectl` stubs on
//! `PATH`, and the runner that executes a job's steps.
//!
//! Jobs that build, publish and deploy (`build_*`, `publish_*`, `deploy_*`)
//! run for real: their shell steps under `bash -eo pipefail`, as on a GitHub
//! runner, and the actions they use emulated (checkout, artifacts, login,
//! the image build). Every other job — linters, tests, scanners — is taken
//! as passing: the walk is about the release, not the checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::expr;
use crate::github::{Event, Executor, Run, RunContext, Workflow};

/// A GitHub repository, as a local bare repository.
pub struct Repo {
    pub slug: String,
    pub bare: PathBuf,
}

impl Repo {
    pub fn url(&self) -> String {
        format!("https://github.com/{}.git", self.slug)
    }
}

pub struct World {
    pub root: PathBuf,
    pub state: PathBuf,
    bin: PathBuf,
    gitconfig: PathBuf,
    pub repos: Vec<Repo>,
    /// Artifacts by run and name.
    artifacts: PathBuf,
    jobs_run: usize,
    /// Every job's log, for failures.
    pub log: String,
}

impl World {
    pub fn new(root: &Path, kubectl: &Path) -> World {
        let state = root.join("state");
        let bin = root.join("bin");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let stubs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/release_walk/stubs");
        for tool in ["docker", "kubectl"] {
            let to = bin.join(tool);
            std::fs::copy(stubs.join(tool), &to).unwrap();
        }
        std::fs::write(
            state.join("kubectl-path"),
            kubectl.to_string_lossy().as_bytes(),
        )
        .unwrap();
        let gitconfig = root.join("gitconfig");
        std::fs::write(
            &gitconfig,
            "[user]\n\tname = Mona\n\temail = mona@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        World {
            root: root.to_path_buf(),
            state,
            bin,
            gitconfig,
            repos: Vec::new(),
            artifacts: root.join("artifacts"),
            jobs_run: 0,
            log: String::new(),
        }
    }

    /// The environment every command of the walk runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let kubectl = std::fs::read_to_string(self.state.join("kubectl-path")).unwrap();
        vec![
            ("PATH".into(), path),
            (
                "GIT_CONFIG_GLOBAL".into(),
                self.gitconfig.display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("HOME".into(), self.root.display().to_string()),
            ("PIPEC_WALK_STATE".into(), self.state.display().to_string()),
            ("PIPEC_WALK_KUBECTL".into(), kubectl),
            ("LC_ALL".into(), "C".into()),
        ]
    }

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .envs(self.env())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// A new, empty GitHub repository; pushes to it are recorded (a hook)
    /// so that the walk can show what they start.
    pub fn repo(&mut self, slug: &str) -> usize {
        let bare = self.root.join("github").join(format!("{slug}.git"));
        std::fs::create_dir_all(&bare).unwrap();
        self.git(&bare, &["init", "--quiet", "--bare"]);
        let hook = bare.join("hooks/post-receive");
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\nwhile read -r old new ref; do echo \"{slug} $old $new $ref\" >> \"$PIPEC_WALK_STATE/pushes\"; done\n"
            ),
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
        let url = format!("https://github.com/{slug}.git");
        let mut config = std::fs::read_to_string(&self.gitconfig).unwrap();
        config.push_str(&format!(
            "[url \"{}\"]\n\tinsteadOf = {url}\n",
            bare.display()
        ));
        std::fs::write(&self.gitconfig, config).unwrap();
        self.repos.push(Repo {
            slug: slug.to_string(),
            bare,
        });
        self.repos.len() - 1
    }

    /// Pushes recorded since the last call: `(repository, old, new, ref)`.
    pub fn take_pushes(&self) -> Vec<(String, String, String, String)> {
        let file = self.state.join("pushes");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_file(&file);
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f[0].into(), f[1].into(), f[2].into(), f[3].into())
            })
            .collect()
    }

    /// The push event for a pushed ref, with the paths it changed.
    pub fn push_event(&self, repo: &str, old: &str, new: &str, git_ref: &str) -> Event {
        let bare = &self.repos.iter().find(|r| r.slug == repo).unwrap().bare;
        let zero = old.chars().all(|c| c == '0');
        let paths = if zero {
            self.git(bare, &["ls-tree", "-r", "--name-only", new])
        } else {
            self.git(bare, &["diff", "--name-only", old, new])
        };
        let message = self.git(bare, &["log", "-1", "--format=%B", new]);
        Event::Push {
            git_ref: git_ref.to_string(),
            sha: self.git(bare, &["rev-parse", &format!("{new}^{{commit}}")]),
            paths: paths.lines().map(String::from).collect(),
            message,
        }
    }

    /// The workflows of a repository at a commit.
    pub fn workflows(&self, repo: &str, sha: &str) -> Vec<Workflow> {
        let bare = &self.repos.iter().find(|r| r.slug == repo).unwrap().bare;
        let files = self.git(bare, &["ls-tree", "--name-only", sha, ".github/workflows/"]);
        files
            .lines()
            .filter(|f| f.ends_with(".yml") || f.ends_with(".yaml"))
            .map(|f| Workflow::parse(f, &self.git(bare, &["show", &format!("{sha}:{f}")])))
            .collect()
    }

    /// The repository runs belong to: the application's (the walk's only
    /// workflows are there).
    fn app(&self) -> &Repo {
        &self.repos[0]
    }

    fn step(
        &mut self,
        run: &Run,
        job: &str,
        step: &Json,
        ws: &Path,
        temp: &Path,
        cx: &mut RunContext,
    ) -> bool {
        let name = step["name"].as_str().unwrap_or("step").to_string();
        if let Some(cond) = step["if"].as_str()
            && !expr::condition(cond, cx)
        {
            return true;
        }
        let with = |k: &str| -> Option<String> {
            step["with"][k]
                .as_str()
                .map(|v| {
                    expr::interpolate(v, cx).replace("${RUNNER_TEMP}", &temp.display().to_string())
                })
                .or_else(|| step["with"][k].as_bool().map(|b| b.to_string()))
                .or_else(|| step["with"][k].as_i64().map(|n| n.to_string()))
        };
        if let Some(uses) = step["uses"].as_str() {
            let action = uses.split('@').next().unwrap();
            match action {
                "actions/checkout" => {
                    let repo = self.app();
                    let url = repo.url();
                    self.git(
                        &self.root,
                        &["clone", "--quiet", &url, &ws.display().to_string()],
                    );
                    self.git(ws, &["checkout", "--quiet", "--detach", run.event.sha()]);
                }
                "docker/login-action" => {
                    self.shell(
                        ws,
                        temp,
                        "docker login --password-stdin < /dev/null",
                        &[],
                        None,
                    );
                }
                "docker/build-push-action" => {
                    let outputs = with("outputs").unwrap_or_default();
                    if let Some(dest) = outputs.strip_prefix("type=docker,dest=") {
                        let n = std::fs::read_to_string(self.state.join("builds"))
                            .ok()
                            .and_then(|s| s.trim().parse::<u32>().ok())
                            .unwrap_or(0)
                            + 1;
                        std::fs::write(self.state.join("builds"), n.to_string()).unwrap();
                        std::fs::write(
                            dest,
                            format!(
                                "ref={}\ncontent=image of commit {}, build {n}\n",
                                with("tags").unwrap(),
                                run.event.sha()
                            ),
                        )
                        .unwrap();
                        self.log.push_str(&format!("  built {dest} (build {n})\n"));
                    }
                }
                "actions/upload-artifact" => {
                    let dir = self
                        .artifacts
                        .join(run.id.to_string())
                        .join(with("name").unwrap());
                    std::fs::create_dir_all(&dir).unwrap();
                    for p in with("path").unwrap().lines() {
                        let from = ws.join(p);
                        if from.is_file() {
                            std::fs::copy(&from, dir.join(from.file_name().unwrap())).unwrap();
                        }
                    }
                }
                "actions/download-artifact" => {
                    let dir = self
                        .artifacts
                        .join(run.id.to_string())
                        .join(with("name").unwrap());
                    let to = with("path").map_or(ws.to_path_buf(), |p| ws.join(p));
                    std::fs::create_dir_all(&to).unwrap();
                    for e in std::fs::read_dir(&dir).unwrap() {
                        let e = e.unwrap();
                        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
                    }
                }
                "docker/setup-buildx-action" | "actions/setup-python" | "actions/cache" => {}
                other => panic!("{job}: action {other} is not modelled"),
            }
            return true;
        }
        let script = step["run"].as_str().expect("run or uses");
        let mut env: Vec<(String, String)> = Vec::new();
        for scope in [
            &run.workflow.doc["env"],
            &run.workflow.doc["jobs"][job]["env"],
            &step["env"],
        ] {
            if let Some(m) = scope.as_object() {
                for (k, v) in m {
                    let v = v
                        .as_str()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| v.to_string());
                    env.push((k.clone(), expr::interpolate(&v, cx)));
                }
            }
        }
        let output = temp.join(format!("output-{}", self.jobs_run));
        std::fs::write(&output, "").unwrap();
        self.log.push_str(&format!("  step {name}\n"));
        let ok = self.shell(ws, temp, script, &env, Some(&output));
        if let Some(id) = step["id"].as_str() {
            let text = std::fs::read_to_string(&output).unwrap();
            let outputs = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            cx.steps.insert(id.to_string(), outputs);
        }
        ok
    }

    /// Runs a script as a GitHub runner's `bash` step does.
    fn shell(
        &mut self,
        ws: &Path,
        temp: &Path,
        script: &str,
        env: &[(String, String)],
        output: Option<&Path>,
    ) -> bool {
        let file = temp.join("step.sh");
        std::fs::write(&file, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(ws)
            .envs(self.env())
            .env("RUNNER_TEMP", temp)
            .env("GITHUB_WORKSPACE", ws)
            .env(
                "GITHUB_OUTPUT",
                output.map_or(temp.join("ignored"), Path::to_path_buf),
            )
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let out = cmd.output().expect("bash runs");
        self.log.push_str(&String::from_utf8_lossy(&out.stdout));
        self.log.push_str(&String::from_utf8_lossy(&out.stderr));
        out.status.success()
    }
}

/// Whether a job is part of the release (and so run for real).
fn releases(job: &str) -> bool {
    ["build_", "publish_", "deploy_"]
        .iter()
        .any(|p| job.starts_with(p))
}

impl Executor for World {
    fn execute(&mut self, run: &Run, job: &str) -> (bool, BTreeMap<String, String>) {
        self.log.push_str(&format!(
            "run {} ({}) job {job}\n",
            run.id, run.workflow.file
        ));
        if !releases(job) {
            return (true, BTreeMap::new());
        }
        self.jobs_run += 1;
        let base = self.root.join("runners").join(self.jobs_run.to_string());
        let ws = base.join("work");
        let temp = base.join("temp");
        std::fs::create_dir_all(&temp).unwrap();
        let doc = &run.workflow.doc["jobs"][job];
        let mut cx = RunContext {
            run,
            job: Some(job.to_string()),
            steps: BTreeMap::new(),
        };
        let mut ok = true;
        for step in doc["steps"].as_array().expect("steps") {
            if !ws.exists() {
                std::fs::create_dir_all(&ws).unwrap();
            }
            if !self.step(run, job, step, &ws, &temp, &mut cx) {
                ok = false;
                break;
            }
        }
        let mut outputs = BTreeMap::new();
        if let Some(m) = doc["outputs"].as_object() {
            for (k, v) in m {
                outputs.insert(k.clone(), expr::interpolate(v.as_str().unwrap(), &cx));
            }
        }
        (ok, outputs)
    }
}
