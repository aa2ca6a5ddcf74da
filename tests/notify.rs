//! Notifications (`std.notify`): the generated jobs run only on the branches
//! and deployments the program names, and their scripts — taken from the
//! generated GitHub workflow and `.gitlab-ci.yml`, with the values the CI
//! system would put in their variables — are run for real against a local
//! HTTP listener standing in for Slack: with the webhook they post the
//! outcome, the commit and a link; without it (fork and Dependabot pull
//! requests) they post nothing and succeed; a webhook that answers with an
//! error fails the job.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use pipec_graph::{Event, Role, Run};
use pipec_tests::{program, render, scratch, tool};
use serde_json::Value;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const RUN_LINK: &str = "https://github.com/acme/app/actions/runs/42";

/// A stand-in for Slack's webhook: records each POST body as one JSON line,
/// answers 200, or 500 on `/broken`.
const LISTENER: &str = r#"
import http.server, sys
log = sys.argv[1]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(log, "ab") as f:
            f.write(body + b"\n")
        self.send_response(500 if self.path == "/broken" else 200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

struct Listener {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Listener {
    fn start(python: &Path, dir: &Path) -> Listener {
        let log = dir.join("posts.jsonl");
        let mut child = Command::new(python)
            .args(["-c", LISTENER, &log.to_string_lossy()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the listener");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the listener prints its port");
        let port = line.trim().parse().expect("a port");
        Listener { child, port, log }
    }

    /// The bodies posted since the last call.
    fn take(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        text.lines()
            .map(|l| serde_json::from_str(l).expect("JSON body"))
            .collect()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A notification job as one target wrote it: its variables (with CI
/// expressions still in them), its script and the shell it runs in.
struct Written {
    what: String,
    vars: Vec<(String, String)>,
    script: String,
    shell: &'static str,
}

fn github_jobs(example: &str, names: &[String]) -> Vec<Written> {
    let tree = render(example, &["github"]);
    // The CI workflow, not the deploy workflow beside it.
    let file = tree
        .files()
        .find(|f| f.path.starts_with(".github/workflows/") && !f.path.ends_with("-deploy.yml"))
        .expect("a workflow");
    let doc: Value = yaml_serde::from_str(&file.body).expect("workflow YAML");
    names
        .iter()
        .map(|name| {
            let job = &doc["jobs"][name];
            let vars = job["env"]
                .as_object()
                .expect("env")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_string()))
                .collect();
            let step = job["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .find(|s| s["name"] == "Notify Slack")
                .expect("the Notify Slack step");
            Written {
                what: format!("{example} github {name}"),
                vars,
                script: step["run"].as_str().expect("run").to_string(),
                shell: "bash",
            }
        })
        .collect()
}

fn gitlab_jobs(example: &str, names: &[String]) -> Vec<Written> {
    let tree = render(example, &["gitlab"]);
    let file = tree.get(".gitlab-ci.yml").expect(".gitlab-ci.yml");
    let doc: Value = yaml_serde::from_str(&file.body).expect("GitLab YAML");
    let mut out = Vec::new();
    for name in names {
        let variants: Vec<&str> = doc
            .as_object()
            .expect("mapping")
            .keys()
            .map(String::as_str)
            .filter(|k| *k == name || k.strip_prefix(name.as_str()) == Some(":failure"))
            .collect();
        assert!(!variants.is_empty(), "{example}: no GitLab job {name}");
        for v in variants {
            let job = &doc[v];
            let vars = job["variables"]
                .as_object()
                .expect("variables")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_string()))
                .collect();
            let script: Vec<&str> = job["script"]
                .as_array()
                .expect("script")
                .iter()
                .map(|s| s.as_str().expect("string"))
                .collect();
            out.push(Written {
                what: format!("{example} gitlab {v}"),
                vars,
                script: script.join("\n"),
                shell: "sh",
            });
        }
    }
    out
}

/// Replaces the CI system's expressions in a variable's value by what it
/// would put there. Any expression the table does not know fails the test,
/// so a change in what the jobs read is noticed here.
fn resolve(value: &str, webhook: &str, status: &str) -> String {
    // The webhook goes in last: the value of a missing secret may itself
    // look like a reference.
    const WEBHOOK: &str = "\u{1}webhook\u{1}";
    let table = [
        ("${{ secrets.SLACK_WEBHOOK }}", WEBHOOK),
        ("${{ github.head_ref || github.ref_name }}", "main"),
        ("${{ github.sha }}", SHA),
        ("${{ github.server_url }}", "https://github.com"),
        ("${{ github.repository }}", "acme/app"),
        ("${{ github.run_id }}", "42"),
        (
            "${{ contains(needs.*.result, 'failure') && 'failure' || contains(needs.*.result, 'cancelled') && 'cancelled' || 'success' }}",
            status,
        ),
        ("${SLACK_WEBHOOK}", WEBHOOK),
        ("${CI_COMMIT_REF_NAME}", "main"),
        ("${CI_COMMIT_SHA}", SHA),
        ("${CI_PIPELINE_URL}", RUN_LINK),
        ("${CI_PROJECT_PATH}", "acme/app"),
    ];
    let mut out = value.to_string();
    for (from, to) in table {
        out = out.replace(from, to);
    }
    assert!(
        !out.contains("${"),
        "an expression the test does not know: {value}"
    );
    out.replace(WEBHOOK, webhook)
}

/// Runs a job's script with its variables resolved; returns (success, output).
fn run_script(w: &Written, bin: &Path, webhook: &str, status: &str) -> (bool, String) {
    let dir = scratch("notify-run");
    let mut cmd = Command::new(w.shell);
    cmd.args(["-e", "-c", &w.script])
        .current_dir(&dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    for (k, v) in &w.vars {
        // GitLab sets the status itself; the status of a GitHub job comes
        // from the results of the jobs it waited for.
        cmd.env(k, resolve(v, webhook, status));
    }
    let out = cmd.output().expect("run the script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The notification jobs of an example, by name.
fn notify_jobs(example: &str) -> Vec<String> {
    program(example)
        .pipelines
        .iter()
        .flat_map(|p| &p.jobs)
        .filter(|j| j.role == Role::Notify)
        .map(|j| j.name.clone())
        .collect()
}

#[test]
fn notifications_post_status_commit_and_link_and_skip_without_the_webhook() {
    let Some(python) = tool("python") else {
        return;
    };
    let dir = scratch("notify");
    // The scripts call `python`, as on the runners.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::os::unix::fs::symlink(&python, bin.join("python")).expect("symlink");
    let listener = Listener::start(&python, &dir);
    let hook = format!("http://127.0.0.1:{}/hook", listener.port);
    let mut checked = 0;
    for example in ["archon-agent", "flask-api"] {
        let names = notify_jobs(example);
        assert!(!names.is_empty(), "{example} notifies");
        let mut jobs = github_jobs(example, &names);
        jobs.extend(gitlab_jobs(example, &names));
        for w in &jobs {
            let vars: BTreeMap<&str, &str> = w
                .vars
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // GitLab knows the outcome from the job's own `when`.
            let status = match vars.get("PIPEC_STATUS") {
                Some(s) if !s.contains("${{") => s.to_string(),
                Some(_) => "failure".to_string(),
                None => panic!("{}: no PIPEC_STATUS", w.what),
            };

            let (ok, out) = run_script(w, &bin, &hook, &status);
            assert!(ok, "{}: the notification failed:\n{out}", w.what);
            let posts = listener.take();
            assert_eq!(posts.len(), 1, "{}: {posts:?}\n{out}", w.what);
            let text = posts[0]["text"].as_str().expect("text");
            assert!(text.contains(&format!("{status}:")), "{}: {text}", w.what);
            assert!(text.contains(&SHA[..12]), "{}: no commit in {text}", w.what);
            assert!(text.contains(RUN_LINK), "{}: no link in {text}", w.what);
            assert!(text.contains("main"), "{}: no branch in {text}", w.what);

            // No secret: GitHub leaves it empty; GitLab may leave the
            // reference as written.
            for missing in ["", "${SLACK_WEBHOOK}"] {
                let (ok, out) = run_script(w, &bin, missing, &status);
                assert!(ok, "{}: failed without a webhook:\n{out}", w.what);
                assert!(out.contains("nothing sent"), "{}: {out}", w.what);
                assert!(listener.take().is_empty(), "{}: posted", w.what);
            }

            // A webhook that answers with an error is a failed notification.
            let broken = format!("http://127.0.0.1:{}/broken", listener.port);
            let (ok, _) = run_script(w, &bin, &broken, &status);
            assert!(!ok, "{}: a 500 from the webhook went unnoticed", w.what);
            listener.take();
            checked += 1;
        }
    }
    // archon-agent notifies in any case: two GitLab jobs; flask-api one.
    assert_eq!(checked, 5);
}

#[test]
fn notifications_run_on_named_branches_and_deployments_never_for_pull_requests() {
    let run = |event, branch: Option<&str>, tag: Option<&str>| Run {
        event,
        branch: branch.map(String::from),
        tag: tag.map(String::from),
        inputs: Vec::new(),
    };
    // (example, runs that notify, runs that do not)
    let cases = [
        (
            "archon-agent",
            vec![
                run(Event::Push, Some("main"), None),
                run(Event::Tag, None, Some("v1.0.0")),
            ],
            vec![
                run(Event::PullRequest, Some("main"), None),
                run(Event::Push, Some("develop"), None),
                run(Event::Push, Some("dependabot/pip/requests-2.32.0"), None),
            ],
        ),
        (
            "flask-api",
            vec![
                run(Event::Push, Some("main"), None),
                run(Event::Push, Some("develop"), None),
                run(Event::Tag, None, Some("v1.2.3")),
            ],
            vec![
                run(Event::PullRequest, Some("develop"), None),
                run(Event::Push, Some("feature/x"), None),
            ],
        ),
    ];
    for (example, notify, quiet) in cases {
        let p = program(example);
        let job = p
            .pipelines
            .iter()
            .flat_map(|p| &p.jobs)
            .find(|j| j.role == Role::Notify)
            .expect("a notification");
        for r in &notify {
            assert!(job.when.eval(r), "{example}: no notification for {r:?}");
        }
        for r in &quiet {
            assert!(!job.when.eval(r), "{example}: a notification for {r:?}");
        }
    }
}
