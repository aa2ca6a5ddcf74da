//! `release` in a job on GitLab CI: the job keeps the release's files as
//! artifacts, for good — the release links to them — and hands its job ID
//! on in a dotenv report; a job of its own, `<job>_create`, in the pinned
//! `release-cli` image and with the job token, creates the release of the
//! tag with a link to each file (`pipec_emit::tag_release`). It runs when
//! the job ran, in the same stage, right after it.

use pipec_emit::tag_release::{GITLAB_REPORT, gitlab_keep_script, gitlab_script};
use pipec_emit::{Map, Yaml};
use pipec_graph::Release;

use crate::body::Body;
use crate::images;

/// The image the release job runs in (release-cli, with a shell).
pub const RELEASE_CLI: &str = "registry.gitlab.com/gitlab-org/release-cli:v0.24.0";

/// Adds what the job with `release` does: checks its files are there, keeps
/// them for good, and reports its job ID.
pub fn keep(r: &Release, body: &mut Body) {
    body.script.push(Yaml::Str(gitlab_keep_script(r)));
    let mut a = body.artifacts.take().unwrap_or_default();
    let mut paths: Vec<Yaml> = match a.get("paths") {
        Some(Yaml::Seq(p)) => p.clone(),
        _ => Vec::new(),
    };
    for f in &r.files {
        if !paths.iter().any(|p| matches!(p, Yaml::Str(s) if s == f)) {
            paths.push(Yaml::from(f.as_str()));
        }
    }
    if !paths.is_empty() {
        a.insert("paths", Yaml::Seq(paths));
    }
    let mut reports = match a.get("reports") {
        Some(Yaml::Map(m)) => m.clone(),
        _ => Map::new(),
    };
    reports.insert("dotenv", GITLAB_REPORT);
    a.insert("reports", reports);
    // The release links to these files: they are never deleted. The job
    // runs only for tags (E0470), so branch pipelines keep nothing longer.
    a.insert("expire_in", "never");
    body.artifacts = Some(a);
}

/// The release job after `job` (its key), which runs when `rules` let the
/// job run.
pub fn job(name: &str, stage: &str, rules: Option<&Yaml>, r: &Release) -> (String, Map, String) {
    let mut m = Map::new();
    m.insert("stage", stage);
    m.insert("image", images::image(RELEASE_CLI.to_string(), false));
    let mut vars = Map::new();
    vars.insert("PIPEC_TAG", "${CI_COMMIT_TAG}");
    m.insert("variables", vars);
    let mut need = Map::new();
    need.insert("job", name);
    need.insert("artifacts", true);
    m.insert("needs", vec![Yaml::Map(need)]);
    if let Some(rules) = rules {
        m.insert("rules", rules.clone());
    }
    m.insert("script", vec![gitlab_script(r)]);
    (
        format!("{name}_create"),
        m,
        format!(
            "The release of the tag, with the files `{name}` keeps linked from it; the\njob token creates it."
        ),
    )
}
