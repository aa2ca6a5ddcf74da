//! Building blocks of a job's `steps:`: pinned actions, shell steps, and the
//! steps every kind of job shares (checkout, artifacts).

use pipec_emit::Map;

use crate::pins::{self, Pin};

/// A step that runs a pinned action.
pub fn uses(name: &str, pin: &Pin, with: Map) -> Map {
    uses_when(name, None, pin, with)
}

/// A step that runs a pinned action when `cond` holds.
pub fn uses_when(name: &str, cond: Option<&str>, pin: &Pin, with: Map) -> Map {
    let mut s = Map::new();
    s.insert("name", name);
    s.insert_opt("if", cond.map(crate::expr::if_value));
    s.insert_noted("uses", pin.uses(), pin.version);
    if !with.is_empty() {
        s.insert("with", with);
    }
    s
}

/// A shell step. `env` is how every run-time value reaches the script.
pub fn run(name: &str, script: impl Into<String>, env: &[(String, String)]) -> Map {
    run_when(name, None, script, env)
}

/// A shell step that runs when `cond` holds.
pub fn run_when(
    name: &str,
    cond: Option<&str>,
    script: impl Into<String>,
    env: &[(String, String)],
) -> Map {
    run_with_id(name, None, cond, script, env)
}

/// A shell step with an `id:`, whose outputs later steps and jobs read.
pub fn run_with_id(
    name: &str,
    id: Option<&str>,
    cond: Option<&str>,
    script: impl Into<String>,
    env: &[(String, String)],
) -> Map {
    let mut s = Map::new();
    s.insert("name", name);
    s.insert_opt("id", id);
    s.insert_opt("if", cond.map(crate::expr::if_value));
    if !env.is_empty() {
        s.insert("env", env_map(env));
    }
    let mut script: String = script.into();
    if !script.ends_with('\n') {
        script.push('\n');
    }
    s.insert("run", script);
    s
}

pub fn env_map(env: &[(String, String)]) -> Map {
    let mut m = Map::new();
    for (k, v) in env {
        m.insert(k.clone(), v.clone());
    }
    m
}

/// `actions/checkout`. Credentials stay in the checkout only for a job that
/// pushes commits with them.
pub fn checkout(full_history: bool, keep_credentials: bool) -> Map {
    checkout_when(None, full_history, keep_credentials)
}

/// [`checkout`] when `cond` holds.
pub fn checkout_when(cond: Option<&str>, full_history: bool, keep_credentials: bool) -> Map {
    let mut with = Map::new();
    if full_history {
        with.insert("fetch-depth", 0i64);
    }
    with.insert("persist-credentials", keep_credentials);
    uses_when("Check out the repository", cond, &pins::CHECKOUT, with)
}

/// A path pattern at the root of the workspace that matches no file.
/// `actions/upload-artifact` stores files relative to the deepest directory
/// all its patterns share; with this one among them that is the workspace,
/// so an artifact downloaded into the workspace lands at the paths it was
/// uploaded from, as on GitLab.
pub const WORKSPACE_ROOT: &str = ".pipec-workspace-root";

/// `actions/upload-artifact` of `paths` (relative to the workspace) under
/// `name`, kept at the same paths when downloaded into a workspace.
pub fn upload_in_place(
    step: &str,
    name: &str,
    paths: &[String],
    retention_days: Option<u64>,
) -> Map {
    let mut all = paths.to_vec();
    all.push(WORKSPACE_ROOT.to_string());
    upload(step, None, name, &all, retention_days)
}

/// `actions/download-artifact` of every artifact whose name starts with
/// `prefix` (each matrix instance's), into the workspace.
pub fn download_all(step: &str, prefix: &str) -> Map {
    let mut with = Map::new();
    with.insert("pattern", format!("{prefix}*"));
    with.insert("merge-multiple", true);
    uses(step, &pins::DOWNLOAD_ARTIFACT, with)
}

/// `actions/upload-artifact` of `paths` under `name`, when `cond` holds.
pub fn upload(
    step: &str,
    cond: Option<&str>,
    name: &str,
    paths: &[String],
    retention_days: Option<u64>,
) -> Map {
    let mut with = Map::new();
    with.insert("name", name);
    with.insert("path", paths.join("\n"));
    with.insert("if-no-files-found", "error");
    if let Some(days) = retention_days {
        with.insert("retention-days", days);
    }
    uses_when(step, cond, &pins::UPLOAD_ARTIFACT, with)
}

/// `actions/download-artifact` of the artifact `name` into `path` (the
/// workspace when `None`).
pub fn download(step: &str, name: &str, path: Option<&str>) -> Map {
    download_when(step, None, name, path)
}

/// [`download`] when `cond` holds.
pub fn download_when(step: &str, cond: Option<&str>, name: &str, path: Option<&str>) -> Map {
    let mut with = Map::new();
    with.insert("name", name);
    if let Some(p) = path {
        with.insert("path", p);
    }
    uses_when(step, cond, &pins::DOWNLOAD_ARTIFACT, with)
}
