//! What the GitHub actions the linter knows do: checkouts, scanners, caches,
//! `github-script`, image builds and pushes with the tags
//! `docker/metadata-action` computes, and deployments.

use pipec_graph::Role;

use super::expr::{self, github_when};
use super::github::{Cx, pushed_tag, resolve};
use super::script::classify_tag;
use super::tags::{self, TagPart};
use super::when::When;
use super::{Checkout, Job, Pattern, Push, PushedTag, RunEvent, Scan, Script, Tag};
use crate::loc::Loc;
use crate::yaml::{Node, YamlPath};

#[allow(clippy::too_many_arguments)]
pub(super) fn action_facts(
    cx: &Cx,
    job: &mut Job,
    action: &str,
    sp: &YamlPath,
    step: usize,
    tolerant: bool,
    env: &[(String, String)],
    when: &When,
    metadata: &mut Vec<(String, Vec<PushedTag>)>,
    node: &Node,
) {
    let with = node.get("with");
    let input = |k: &str| with_input(with, k);
    let at = cx.at(&sp.key("uses"));
    let blocking = !tolerant && job.allow_failure.is_none();
    let scan = |job: &mut Job, role: Role, tool: &str, blocks: bool| {
        job.add_role(role);
        job.scans.push(Scan {
            role,
            tool: tool.into(),
            blocking: blocks && blocking,
            loc: at.clone(),
            step,
        });
    };
    match action {
        "actions/checkout" => {
            let pr_head = input("ref")
                .into_iter()
                .chain(input("repository"))
                .any(|r| {
                    r.contains("pull_request.head")
                        || r.contains("github.head_ref")
                        || r.contains("refs/pull/")
                        // The run that triggered a `workflow_run`: a pull
                        // request's code when that run was one.
                        || r.contains("workflow_run.head_sha")
                        || r.contains("workflow_run.head_branch")
                        || r.contains("workflow_run.head_repository")
                })
                .then(|| cx.at(&sp.key("with").key("ref")));
            job.checkouts.push(Checkout {
                loc: at.clone(),
                // Only the default: `persist-credentials: true` written out
                // says the token is wanted there (a later `git push`).
                persist: node
                    .at(&["with", "persist-credentials"])
                    .is_none_or(Node::is_null),
                pr_head,
                step,
            });
        }
        "aquasecurity/trivy-action" => {
            let exit = input("exit-code").is_some_and(|v| v.trim() != "0");
            match input("scan-type").unwrap_or("image") {
                "image" => scan(job, Role::ImageScan, "trivy", exit),
                _ if input("scanners") == Some("secret") => {
                    scan(job, Role::SecretScan, "trivy", exit)
                }
                _ => scan(job, Role::DependencyAudit, "trivy", exit),
            }
        }
        "anchore/scan-action" => scan(
            job,
            Role::ImageScan,
            "grype",
            input("fail-build") != Some("false"),
        ),
        "docker/scout-action" => scan(
            job,
            Role::ImageScan,
            "docker scout",
            input("exit-code") == Some("true"),
        ),
        "snyk/actions/docker" => scan(job, Role::ImageScan, "snyk", true),
        "pypa/gh-action-pip-audit" => scan(job, Role::DependencyAudit, "pip-audit", true),
        "actions/dependency-review-action" => {
            scan(job, Role::DependencyAudit, "dependency-review", true)
        }
        "github/codeql-action/analyze" => scan(job, Role::Sast, "codeql", false),
        "returntocorp/semgrep-action" | "semgrep/semgrep-action" => {
            scan(job, Role::Sast, "semgrep", true)
        }
        "pycqa/bandit-action" | "mdegis/bandit-action" | "jpetrucciani/bandit-check" => {
            scan(job, Role::Sast, "bandit", true)
        }
        "gitleaks/gitleaks-action" | "zricethezav/gitleaks-action" => {
            scan(job, Role::SecretScan, "gitleaks", true)
        }
        "trufflesecurity/trufflehog" => scan(job, Role::SecretScan, "trufflehog", true),
        a if a.starts_with("snyk/actions/") => scan(job, Role::DependencyAudit, "snyk", true),
        "actions/cache" | "actions/cache/restore" | "swatinem/rust-cache" => {
            job.caches.push(at.clone())
        }
        "actions/setup-python" | "actions/setup-node" | "actions/setup-java"
            if input("cache").is_some_and(|c| !c.is_empty() && c != "false") =>
        {
            job.caches.push(at.clone())
        }
        "actions/setup-go" if input("cache") != Some("false") => job.caches.push(at.clone()),
        "actions/github-script" => {
            if let Some(s) = input("script") {
                job.scripts.push(Script {
                    text: s.to_string(),
                    loc: cx.at(&sp.key("with").key("script")),
                    env: env.to_vec(),
                    javascript: true,
                });
            }
        }
        "docker/metadata-action" | "crazy-max/ghaction-docker-meta" => {
            if let Some(id) = node.get("id").and_then(Node::text) {
                let image = input("images")
                    .and_then(|i| i.split(['\n', ',']).map(str::trim).find(|l| !l.is_empty()))
                    .map(|i| resolve(i, env));
                let mut tags = metadata_tags(input("tags"), input("flavor"), &at);
                for t in &mut tags {
                    t.image = image.clone();
                }
                metadata.push((id.to_string(), tags));
            }
        }
        "docker/build-push-action" => {
            if input("cache-to").is_some_and(|c| c.contains("type=registry")) {
                job.writes_registry_cache = true;
            }
            let push_when = match input("push") {
                None => When::Never,
                Some(v) => match v.trim() {
                    "true" => When::Always,
                    "false" => When::Never,
                    e => expr::parse(e).map_or(When::Unknown, |x| github_when(&x)),
                },
            };
            let registry_output = input("outputs").is_some_and(|o| o.contains("type=registry"));
            let push_when = if registry_output {
                When::Always
            } else {
                push_when
            };
            if push_when != When::Never {
                let mut tags = Vec::new();
                let tag_at = cx.at(&sp.key("with").key("tags"));
                for t in input("tags").unwrap_or_default().split(['\n', ',']) {
                    let t = t.trim();
                    if t.is_empty() {
                        continue;
                    }
                    match metadata
                        .iter()
                        .find(|(id, _)| t.contains(&format!("steps.{id}.outputs.tags")))
                    {
                        Some((_, m)) => tags.extend(m.iter().cloned()),
                        None => tags.push(pushed_tag(&resolve(t, env), tag_at.text(t))),
                    }
                }
                // It builds the image it pushes: a release, not a promotion of
                // an image built and scanned elsewhere.
                job.add_role(Role::Build);
                job.add_role(Role::Publish);
                job.pushes.push(Push {
                    image: None,
                    tags,
                    when: when.clone().and(push_when),
                    loc: at.clone(),
                    step,
                });
            }
        }
        "azure/k8s-deploy"
        | "aws-actions/amazon-ecs-deploy-task-definition"
        | "google-github-actions/deploy-cloudrun"
        | "azure/webapps-deploy" => {
            job.add_role(Role::Deploy);
            job.deploy_step.get_or_insert(step);
        }
        _ => {}
    }
}

fn with_input<'a>(with: Option<&'a Node>, k: &str) -> Option<&'a str> {
    with.and_then(|w| w.get(k)).and_then(Node::text)
}

fn latest_tag() -> Option<Vec<TagPart>> {
    Some(vec![TagPart::Lit("latest".into())])
}

/// The tags `docker/metadata-action` produces, each with the runs it
/// appears in.
fn metadata_tags(tags: Option<&str>, flavor: Option<&str>, at: &Loc) -> Vec<PushedTag> {
    let default = "type=schedule\ntype=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr";
    let mut out = Vec::new();
    let mut latest_auto = false;
    let t = |tag: Tag, when: When, template: Option<Vec<TagPart>>| PushedTag {
        tag,
        when,
        loc: at.clone(),
        image: None,
        template,
    };
    for line in tags.unwrap_or(default).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let attrs: Vec<(&str, &str)> = line
            .split(',')
            .filter_map(|a| a.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let get = |k: &str| attrs.iter().find(|(a, _)| *a == k).map(|(_, v)| *v);
        let enable = match get("enable") {
            None | Some("true") => When::Always,
            Some("false") => When::Never,
            Some("{{is_default_branch}}") => When::branch("main"),
            Some(e) => expr::parse(e).map_or(When::Unknown, |x| github_when(&x)),
        };
        // The tag between its prefix and suffix, as a template.
        let framed = |middle: Vec<TagPart>| -> Option<Vec<TagPart>> {
            let mut out = tags::template(get("prefix").unwrap_or(""))?;
            out.extend(middle);
            out.extend(tags::template(get("suffix").unwrap_or(""))?);
            Some(out)
        };
        let branch_when = When::Branch(vec![Pattern::Glob(pipec_graph::Glob("**".into()))]);
        let (tag, when, template) = match (get("type").unwrap_or("raw"), get("event")) {
            ("ref", Some("branch")) => (Tag::Branch, branch_when, framed(vec![TagPart::Ref])),
            ("ref", Some("tag")) => {
                latest_auto = true;
                (
                    Tag::Version,
                    When::Tag(Vec::new()),
                    framed(vec![TagPart::Ref]),
                )
            }
            ("ref", Some("pr")) => (
                Tag::Literal("pr".into()),
                When::Event(RunEvent::PullRequest).or(When::Event(RunEvent::PullRequestTarget)),
                None,
            ),
            ("semver" | "pep440" | "match", _) => {
                latest_auto = true;
                (Tag::Version, When::Tag(Vec::new()), None)
            }
            ("sha", _) => {
                let len = if get("format") == Some("long") { 40 } else { 7 };
                (Tag::Sha, When::Always, framed(vec![TagPart::Sha { len }]))
            }
            ("schedule", _) => (
                Tag::Literal("schedule".into()),
                When::Event(RunEvent::Schedule),
                None,
            ),
            ("edge", _) => (
                Tag::Literal("edge".into()),
                When::branch("main"),
                framed(vec![TagPart::Lit("edge".into())]),
            ),
            ("raw", _) => {
                let v = get("value").unwrap_or("");
                (classify_tag(v), When::Always, tags::template(v))
            }
            _ => (Tag::Unknown, When::Unknown, None),
        };
        out.push(t(tag, when.and(enable), template));
    }
    let latest = flavor
        .unwrap_or("")
        .lines()
        .find_map(|l| l.trim().strip_prefix("latest="))
        .unwrap_or("auto");
    match latest {
        "auto" if latest_auto => out.push(t(Tag::Latest, When::Tag(Vec::new()), latest_tag())),
        "auto" | "false" => {}
        "true" => out.push(t(Tag::Latest, When::Always, latest_tag())),
        e => out.push(t(
            Tag::Latest,
            expr::parse(e).map_or(When::Unknown, |x| github_when(&x)),
            latest_tag(),
        )),
    }
    out
}
