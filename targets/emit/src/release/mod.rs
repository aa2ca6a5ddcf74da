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
    CiVar, Cond, Deploy, DeployMethod, Glob, Part, Program, Publish, RegistryKind, ServiceId,
    TagKind, Text,
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
const HELPERS: [(&str, &str); 4] = [
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
        out.push_str(&version_of(program, p));
        out.push_str(&tags_function(p));
        out.push_str(&deploy_tag_function(p));
    }
    with_helpers(&out)
}

/// The tag patterns of the pipeline that builds the published image: the
/// `on tag` patterns a version is read from.
pub fn release_patterns(program: &Program, p: &Publish) -> Vec<Glob> {
    program
        .images
        .get(p.image.index())
        .and_then(|i| program.pipelines.get(i.pipeline.index()))
        .map(|pl| pl.release_tags())
        .unwrap_or_default()
}

fn has_semver(p: &Publish) -> bool {
    p.tags.iter().any(|t| t.kind == TagKind::Semver)
}

/// [`version_function`] of a publish rule that pushes `semver` tags; nothing
/// for one that does not.
fn version_of(program: &Program, p: &Publish) -> String {
    if has_semver(p) {
        version_function(p, &release_patterns(program, p))
    } else {
        String::new()
    }
}

/// SemVer `X.Y.Z`, with an optional pre-release.
const SEMVER: &str = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$";

/// `pipec_version_N`: the SemVer version a release tag of publish rule `N`
/// carries, or a failure. The tag loses the literal start of the `on tag`
/// pattern it matches (`users-v` of `users-v*`: `users-v1.2.3` is `1.2.3`),
/// else nothing, and then a leading `v`.
fn version_function(p: &Publish, release: &[Glob]) -> String {
    let mut words: Vec<String> = Vec::new();
    for g in release {
        if let Some(prefix) = prefix_pattern(g) {
            let word = format!("\"${{PIPEC_REF_NAME#{prefix}}}\"");
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words.push("\"$PIPEC_REF_NAME\"".to_string());
    format!(
        "pipec_version_{id}() {{\n  for v in {words}; do\n    v=\"${{v#v}}\"\n    if printf '%s' \"$v\" | grep -Eq '{SEMVER}'; then printf '%s' \"$v\"; return 0; fi\n  done\n  return 1\n}}\n",
        id = p.id.0,
        words = words.join(" "),
    )
}

/// The start of a tag pattern that ends in `*`, as a shell pattern for
/// `${NAME#…}`: literal text quoted, `*` and `?` left to match. `None` for
/// patterns that do not end in `*`, or are nothing else.
fn prefix_pattern(g: &Glob) -> Option<String> {
    let prefix = g.as_str().strip_suffix('*')?.trim_end_matches('*');
    if prefix.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut String| {
        if !literal.is_empty() {
            out.push('"');
            for c in literal.chars() {
                if matches!(c, '"' | '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            literal.clear();
        }
    };
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                flush(&mut literal, &mut out);
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push('*');
            }
            '?' => {
                flush(&mut literal, &mut out);
                out.push('?');
            }
            c => literal.push(c),
        }
    }
    flush(&mut literal, &mut out);
    Some(out)
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
            TagKind::Semver => format!(
                "if [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{}); then echo \"$v\"; \
                 case \"$v\" in *-*) ;; *) echo \"${{v%.*}}\"; echo \"${{v%%.*}}\" ;; esac; fi",
                p.id.0
            ),
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
                TagKind::Semver => format!(
                    "[ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{}) && {{ echo \"$v\"; return; }}",
                    p.id.0
                ),
                TagKind::GitTag => {
                    "[ \"$PIPEC_REF_TYPE\" = tag ] && { pipec_tags_git_tag; return; }".to_string()
                }
                TagKind::Sha => "{ echo \"sha-$(pipec_short_sha)\"; return; }".to_string(),
                _ => {
                    "[ \"$PIPEC_REF_TYPE\" = branch ] && { echo \"$(pipec_branch_tag)-$(pipec_short_sha)\"; return; }".to_string()
                }
            };
            body.push_str(&format!("  if {guard}; then {emit}; fi\n"));
        }
    }
    body.push_str("  echo 'pipec: no immutable tag applies to this run' >&2; return 1\n");
    format!("pipec_deploy_tag_{}() {{\n{body}}}\n", p.id.0)
}

/// The script of a deployment job: set the new image tags in the
/// environment's overlays, then for Argo CD commit them, for kubectl apply the
/// overlays and wait for the Deployments to roll out.
pub fn deploy_script(program: &Program, d: &Deploy) -> String {
    let env = program.environment(d.env);
    let mut s = String::from("set -eu\n");
    let mut functions = String::new();
    let mut seen = Vec::new();
    for (_, publish) in &d.services {
        if !seen.contains(publish) {
            seen.push(*publish);
            let p = program.publish(*publish);
            functions.push_str(&version_of(program, p));
            functions.push_str(&deploy_tag_function(p));
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
    for (service, var) in set_image_tags(program, d, env, s) {
        summary.push(format!(
            "{} ${{{var}}}",
            layout::k8s_name(program.service(service))
        ));
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

/// Sets the image tag of each service of the deployment in its overlay of
/// `env` (the line the Kustomize target marks as CI's), failing when the line
/// is missing. Returns each service with the variable holding its tag.
fn set_image_tags(
    program: &Program,
    d: &Deploy,
    env: &pipec_graph::Environment,
    s: &mut String,
) -> Vec<(ServiceId, String)> {
    let mut out = Vec::new();
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
        out.push((*service, var));
    }
    out
}

/// Applies the environment's overlays of the deployed services, with the new
/// image tags: a server-side dry run of every overlay first, so that nothing
/// is applied when the cluster would refuse any of them, then the apply, then
/// each Deployment's rollout.
fn kubectl_rollout(program: &Program, d: &Deploy, env: &pipec_graph::Environment, s: &mut String) {
    s.push_str("KUBECONFIG=\"$(mktemp)\"\nexport KUBECONFIG\nprintf '%s\\n' \"$PIPEC_KUBECONFIG\" > \"$KUBECONFIG\"\nchmod 600 \"$KUBECONFIG\"\n");
    set_image_tags(program, d, env, s);
    let overlays: Vec<String> = d
        .services
        .iter()
        .map(|(service, _)| {
            sh_quote(&layout::overlay_dir(
                program,
                program.service(*service),
                env,
            ))
        })
        .collect();
    for dir in &overlays {
        s.push_str(&format!("kubectl apply --dry-run=server -k {dir}\n"));
    }
    for dir in &overlays {
        s.push_str(&format!("kubectl apply -k {dir}\n"));
    }
    let ns = sh_quote(&env.namespace);
    for (service, _) in &d.services {
        let name = layout::k8s_name(program.service(*service));
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
/// `local_ref`: tag it with every tag of this run and push each. `release`:
/// the `on tag` patterns of its pipeline ([`release_patterns`]).
pub fn push_script(p: &Publish, local_ref: &str, release: &[Glob]) -> String {
    let version = if has_semver(p) {
        version_function(p, release)
    } else {
        String::new()
    };
    format!(
        "set -eu\n{version}{}tags=\"$(pipec_tags_{id})\"\n[ -n \"$tags\" ] || {{ echo 'pipec: no tag applies to this run' >&2; exit 1; }}\nfor t in $tags; do\n  docker tag {local} {image}:\"$t\"\n  docker push {image}:\"$t\"\ndone\n",
        with_helpers(&tags_function(p)),
        id = p.id.0,
        local = sh_quote(local_ref),
        image = image_ref(p),
    )
}

#[cfg(test)]
mod tests;
