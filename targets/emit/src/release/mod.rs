//! Shell shared by the CI targets, so that GitHub Actions and GitLab CI push
//! the same tags and update the same manifests in the same way.
//!
//! Every script reads the run from a few environment variables the target
//! sets on the step — never from an inline expression:
//!
//! | variable | value |
//! | --- | --- |
//! | `PIPEC_REF_TYPE` | `branch` or `tag` |
//! | `PIPEC_REF_NAME` | the branch or tag name |
//! | `PIPEC_SHA` | the full commit SHA |
//! | `PIPEC_EVENT` | `push`, `pull_request`, `tag`, `schedule` or `dispatch` |
//! | `PIPEC_INPUT_<NAME>` | a dispatch input (upper-case name) |
//! | `PIPEC_GITOPS_TOKEN` | a token that can push to the GitOps repository, when one is declared |
//! | `PIPEC_KUBECONFIG` | kubeconfig contents, for `via kubectl` deployments |
//!
//! A tag written with values of the run (`"nightly-{{ ci.run_id }}"`) reads
//! each from the variable [`run_var`] names, which the target sets on the
//! publish step.

use pipec_graph::{
    CiVar, Cond, Deploy, DeployMethod, Part, Program, Publish, RegistryKind, TagKind, Text,
};

use crate::header::CI_OWNED;
use crate::layout;

/// The environment variable a script reads a run-time part of a text from:
/// `PIPEC_MATRIX_<AXIS>`, `PIPEC_INPUT_<NAME>`, `PIPEC_<CI VALUE>` (the
/// short SHA is cut from `PIPEC_SHA`). `None` for literal text.
pub fn run_var(part: &Part) -> Option<String> {
    Some(match part {
        Part::Lit(_) => return None,
        Part::Matrix(axis) => format!("PIPEC_MATRIX_{}", axis.to_ascii_uppercase()),
        Part::Input(name) => format!("PIPEC_INPUT_{}", name.to_ascii_uppercase()),
        Part::Ci(CiVar::ShortSha) => "PIPEC_SHA".to_string(),
        Part::Ci(v) => format!("PIPEC_{}", v.name().to_ascii_uppercase()),
    })
}

/// A tag written with values of the run, as a command printing it: each
/// value has the characters a tag cannot hold replaced by `-`, and the tag is
/// cut to the 128 characters registries take.
fn literal_tag(t: &Text) -> String {
    let mut word = String::from("\"");
    for p in &t.parts {
        match p {
            Part::Lit(s) => {
                for c in s.chars() {
                    if matches!(c, '"' | '\\' | '$' | '`') {
                        word.push('\\');
                    }
                    word.push(c);
                }
            }
            Part::Ci(CiVar::ShortSha) => word.push_str("$(pipec_short_sha)"),
            p => {
                let var = run_var(p).unwrap_or_default();
                word.push_str(&format!("$(pipec_tag_value \"${{{var}:-}}\")"));
            }
        }
    }
    word.push('"');
    if t.is_literal() {
        format!("echo {}", sh_quote(&t.as_literal().unwrap_or_default()))
    } else {
        format!("printf '%s\\n' {word} | cut -c1-128")
    }
}

/// Single-quotes a word for the shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A shell test that holds when `cond` holds for the run.
pub fn cond_to_shell(cond: &Cond) -> String {
    match cond {
        Cond::Always => "true".into(),
        Cond::Never => "false".into(),
        Cond::Branch(globs) => format!(
            "{{ [ \"$PIPEC_REF_TYPE\" = branch ] && [ \"${{PIPEC_EVENT:-push}}\" != pull_request ] && {}; }}",
            name_matches(globs)
        ),
        Cond::Tag(globs) if globs.is_empty() => "[ \"$PIPEC_REF_TYPE\" = tag ]".into(),
        Cond::Tag(globs) => format!(
            "{{ [ \"$PIPEC_REF_TYPE\" = tag ] && {}; }}",
            name_matches(globs)
        ),
        Cond::Event(e) => format!("[ \"${{PIPEC_EVENT:-}}\" = {} ]", e.name()),
        Cond::Input { name, value } => format!(
            "[ \"${{PIPEC_INPUT_{}:-}}\" = {} ]",
            name.to_ascii_uppercase(),
            sh_quote(value)
        ),
        Cond::Not(c) => format!("! {}", cond_to_shell(c)),
        Cond::All(cs) => format!(
            "{{ {}; }}",
            cs.iter()
                .map(cond_to_shell)
                .collect::<Vec<_>>()
                .join(" && ")
        ),
        Cond::Any(cs) => format!(
            "{{ {}; }}",
            cs.iter()
                .map(cond_to_shell)
                .collect::<Vec<_>>()
                .join(" || ")
        ),
    }
}

fn name_matches(globs: &[pipec_graph::Glob]) -> String {
    let re: Vec<String> = globs.iter().map(|g| g.to_regex()).collect();
    format!(
        "printf '%s' \"$PIPEC_REF_NAME\" | grep -Eq {}",
        sh_quote(&re.join("|"))
    )
}

/// Helper functions of the tag functions, each defined only where it is
/// used (shellcheck reports functions nothing calls, SC2317).
const HELPERS: [(&str, &str); 5] = [
    (
        "pipec_short_sha",
        r#"pipec_short_sha() { printf '%s' "$PIPEC_SHA" | cut -c1-7; }"#,
    ),
    (
        "pipec_tag_value",
        r#"pipec_tag_value() { printf '%s' "$1" | tr -c 'A-Za-z0-9_.-' '-'; }"#,
    ),
    (
        "pipec_branch_tag",
        r#"pipec_branch_tag() { printf '%s' "$PIPEC_REF_NAME" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-100; }"#,
    ),
    (
        "pipec_version",
        r#"pipec_version() { v="${PIPEC_REF_NAME#v}"; printf '%s' "$v" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$' && printf '%s' "$v"; }"#,
    ),
    (
        "pipec_tags_git_tag",
        r#"pipec_tags_git_tag() { printf '%s\n' "$PIPEC_REF_NAME" | tr -c 'A-Za-z0-9_.\n-' '-'; }"#,
    ),
];

/// `functions` preceded by the helpers they call.
fn with_helpers(functions: &str) -> String {
    let mut out = String::new();
    for (name, def) in HELPERS {
        if functions.contains(name) {
            out.push_str(def);
            out.push('\n');
        }
    }
    out.push_str(functions);
    out
}

/// Shell functions `pipec_tags_N` (every tag to push, one per line) and
/// `pipec_deploy_tag_N` (the immutable tag environments pin) for publish rule
/// `N`, plus the helpers they use.
pub fn tag_functions(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.publishes {
        out.push_str(&tags_function(p));
        out.push_str(&deploy_tag_function(p));
    }
    with_helpers(&out)
}

fn tags_function(p: &Publish) -> String {
    let mut body = String::new();
    for rule in &p.tags {
        let guard = cond_to_shell(&rule.when);
        // Each line prints its tags or nothing, and never fails: `if`, not
        // `a && b || true`, which shellcheck rightly reads as a trap (SC2015).
        let emit = match &rule.kind {
            TagKind::Sha => "echo \"sha-$(pipec_short_sha)\"".to_string(),
            TagKind::Branch => {
                "if [ \"$PIPEC_REF_TYPE\" = branch ]; then pipec_branch_tag; fi".to_string()
            }
            TagKind::BranchSha => {
                "if [ \"$PIPEC_REF_TYPE\" = branch ]; then echo \"$(pipec_branch_tag)-$(pipec_short_sha)\"; fi".to_string()
            }
            TagKind::Semver => concat!(
                "if [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version); then echo \"$v\"; ",
                "case \"$v\" in *-*) ;; *) echo \"${v%.*}\"; echo \"${v%%.*}\" ;; esac; fi"
            )
            .to_string(),
            TagKind::GitTag => "if [ \"$PIPEC_REF_TYPE\" = tag ]; then printf '%s\\n' \"$PIPEC_REF_NAME\" | tr -c 'A-Za-z0-9_.\\n-' '-'; fi".to_string(),
            TagKind::Latest => "echo latest".to_string(),
            TagKind::Literal(t) => literal_tag(t),
        };
        body.push_str(&format!("  if {guard}; then {emit}; fi\n"));
    }
    format!("pipec_tags_{}() {{\n{body}}}\n", p.id.0)
}

fn deploy_tag_function(p: &Publish) -> String {
    // Most specific first: a release version, the git tag, then the commit.
    let order = [
        TagKind::Semver,
        TagKind::GitTag,
        TagKind::Sha,
        TagKind::BranchSha,
    ];
    let mut body = String::new();
    for kind in order {
        for rule in p.tags.iter().filter(|r| r.kind == kind) {
            let guard = cond_to_shell(&rule.when);
            let emit = match kind {
                TagKind::Semver => {
                    "[ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version) && { echo \"$v\"; return; }"
                }
                TagKind::GitTag => {
                    "[ \"$PIPEC_REF_TYPE\" = tag ] && { pipec_tags_git_tag; return; }"
                }
                TagKind::Sha => "{ echo \"sha-$(pipec_short_sha)\"; return; }",
                _ => {
                    "[ \"$PIPEC_REF_TYPE\" = branch ] && { echo \"$(pipec_branch_tag)-$(pipec_short_sha)\"; return; }"
                }
            };
            body.push_str(&format!("  if {guard}; then {emit}; fi\n"));
        }
    }
    body.push_str("  echo 'pipec: no immutable tag applies to this run' >&2; return 1\n");
    format!("pipec_deploy_tag_{}() {{\n{body}}}\n", p.id.0)
}

/// The script of a deployment job: for Argo CD, commit the new image tags to
/// the environment's overlays; for kubectl, roll the Deployments.
pub fn deploy_script(program: &Program, d: &Deploy) -> String {
    let env = program.environment(d.env);
    let mut s = String::from("set -eu\n");
    let mut functions = String::new();
    let mut seen = Vec::new();
    for (_, publish) in &d.services {
        if !seen.contains(publish) {
            seen.push(*publish);
            functions.push_str(&deploy_tag_function(program.publish(*publish)));
        }
    }
    s.push_str(&with_helpers(&functions));
    match &d.method {
        DeployMethod::ArgoCd => gitops_update(program, d, env, &mut s),
        DeployMethod::Kubectl { .. } => kubectl_rollout(program, d, env, &mut s),
    }
    s
}

fn gitops_update(program: &Program, d: &Deploy, env: &pipec_graph::Environment, s: &mut String) {
    // The commit and a rebase after a refused push both need an identity; the
    // environment sets it for this script only, whatever the runner's config.
    s.push_str(
        "export GIT_AUTHOR_NAME=pipec GIT_AUTHOR_EMAIL=pipec@users.noreply.localhost\n\
         export GIT_COMMITTER_NAME=pipec GIT_COMMITTER_EMAIL=pipec@users.noreply.localhost\n",
    );
    let gitops = program.gitops.as_ref();
    let branch = gitops.map_or("main", |g| g.branch.as_str());
    match gitops.filter(|g| g.token.is_some()) {
        Some(g) => {
            s.push_str("workdir=\"$(mktemp -d)\"\n");
            s.push_str(
                "auth=\"$(printf 'pipec:%s' \"$PIPEC_GITOPS_TOKEN\" | base64 | tr -d '\\n')\"\n",
            );
            s.push_str(&format!(
                "git -c \"http.extraHeader=Authorization: Basic $auth\" clone --quiet --depth 1 --branch {} {} \"$workdir\"\n",
                sh_quote(branch),
                sh_quote(&g.repo)
            ));
            s.push_str("cd \"$workdir\"\n");
            s.push_str("git config http.extraHeader \"Authorization: Basic $auth\"\n");
        }
        None => {
            // The repository the pipeline runs in, checked out with push rights.
            s.push_str(&format!(
                "git fetch --quiet --depth 1 origin {b}\ngit checkout --quiet -B pipec-deploy FETCH_HEAD\n",
                b = sh_quote(branch)
            ));
        }
    }
    let mut summary = Vec::new();
    for (service, publish) in &d.services {
        let svc = program.service(*service);
        let file = format!(
            "{}/kustomization.yaml",
            layout::overlay_dir(program, svc, env)
        );
        let var = format!("tag_{}", service.0);
        s.push_str(&format!("{var}=\"$(pipec_deploy_tag_{})\"\n", publish.0));
        s.push_str(&format!(
            "sed -i -E \"s|^(    newTag: ).*({marker})\\$|\\1'${{{var}}}'\\2|\" {f}\n",
            marker = CI_OWNED,
            f = sh_quote(&file)
        ));
        s.push_str(&format!(
            "grep -q \"newTag: '${{{var}}}'\" {f} || {{ echo \"pipec: no image tag line in {file}\" >&2; exit 1; }}\n",
            f = sh_quote(&file)
        ));
        summary.push(format!("{} ${{{var}}}", layout::k8s_name(svc)));
    }
    s.push_str(&format!(
        "git add -- {}\n",
        sh_quote(layout::manifests_root(program))
    ));
    s.push_str("if git diff --cached --quiet; then echo 'already deployed'; exit 0; fi\n");
    s.push_str(&format!(
        "git commit --quiet -m \"chore(deploy): {} to {}\"\n",
        summary.join(", "),
        env.name
    ));
    s.push_str(&format!(
        "for _ in 1 2 3; do\n  if git push --quiet origin HEAD:{b}; then exit 0; fi\n  git pull --quiet --rebase origin {b}\ndone\necho 'pipec: could not push the deployment commit' >&2\nexit 1\n",
        b = sh_quote(branch)
    ));
}

fn kubectl_rollout(program: &Program, d: &Deploy, env: &pipec_graph::Environment, s: &mut String) {
    s.push_str("KUBECONFIG=\"$(mktemp)\"\nexport KUBECONFIG\nprintf '%s\\n' \"$PIPEC_KUBECONFIG\" > \"$KUBECONFIG\"\nchmod 600 \"$KUBECONFIG\"\n");
    for (service, publish) in &d.services {
        let svc = program.service(*service);
        let name = layout::k8s_name(svc);
        let image = image_ref(program.publish(*publish));
        let ns = sh_quote(&env.namespace);
        s.push_str(&format!(
            "kubectl --namespace {ns} set image deployment/{name} {name}={image}:\"$(pipec_deploy_tag_{})\"\n",
            publish.0
        ));
        s.push_str(&format!(
            "kubectl --namespace {ns} rollout status deployment/{name} --timeout=5m\n"
        ));
    }
}

/// The image name (without tag) as a shell word. GitLab's own registry has no
/// name before the pipeline runs: the job reads it from `CI_REGISTRY_IMAGE`.
pub fn image_ref(p: &Publish) -> String {
    match p.registry.kind {
        RegistryKind::GitLab => "\"$CI_REGISTRY_IMAGE\"".to_string(),
        _ => sh_quote(&p.image_name()),
    }
}

/// The script of a publish job once the image is loaded locally as
/// `local_ref`: tag it with every tag of this run and push each.
pub fn push_script(p: &Publish, local_ref: &str) -> String {
    format!(
        "set -eu\n{}tags=\"$(pipec_tags_{id})\"\n[ -n \"$tags\" ] || {{ echo 'pipec: no tag applies to this run' >&2; exit 1; }}\nfor t in $tags; do\n  docker tag {local} {image}:\"$t\"\n  docker push {image}:\"$t\"\ndone\n",
        with_helpers(&tags_function(p)),
        id = p.id.0,
        local = sh_quote(local_ref),
        image = image_ref(p),
    )
}

#[cfg(test)]
mod tests;
