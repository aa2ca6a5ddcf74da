//! Shell shared by the CI targets, so that GitHub Actions and GitLab CI
//! publish, promote and deploy in the same way. The release model it
//! implements is described in `docs/targets/github.md` ("Release model"):
//!
//! - an image is built once per commit and published under the commit's
//!   immutable tag (`sha-…` or `<branch>-…`); every other tag of a run —
//!   branch, version, `latest` — is made to name that same digest
//!   (`docker buildx imagetools create`), and an immutable tag that exists is
//!   never moved ([`publish`]);
//! - a deployment resolves the version it ships to a tag *and* digest,
//!   copies the service's Kustomize tree from the commit being deployed into
//!   the environment's tree of the GitOps repository with both set, commits
//!   (`[skip ci]`), waits for Argo CD, and, in production, moves `latest`
//!   ([`deploy`]).
//!
//! Every script reads the run from environment variables the target sets on
//! the step — never from an inline expression:
//!
//! | variable | value |
//! | --- | --- |
//! | `PIPEC_REF_TYPE` | `branch` or `tag` |
//! | `PIPEC_REF_NAME` | the branch or tag name |
//! | `PIPEC_SHA` | the full commit SHA |
//! | `PIPEC_EVENT` | `push`, `pull_request`, `tag`, `schedule` or `dispatch` |
//! | `PIPEC_INPUT_<NAME>` | a dispatch input (upper-case name) |
//! | `PIPEC_RELEASE_<N>` | `<tag>@<digest>` publish rule `N` pushed in this run, when the target hands it over |
//! | `PIPEC_GITOPS_TOKEN` | a token that can push to the GitOps repository, when one is declared |
//! | `PIPEC_ARGOCD_KUBECONFIG` | a kubeconfig for the cluster Argo CD runs in, when one is declared |
//! | `PIPEC_KUBECONFIG` | kubeconfig contents, for `via kubectl` deployments |
//!
//! A tag written with values of the run (`"nightly-{{ ci.run_id }}"`) reads
//! each from the variable [`run_var`] names, which the target sets on the
//! publish step.

mod deploy;
mod publish;

use std::sync::{LazyLock, OnceLock};

use memchr::memmem;

use pipec_graph::{CiVar, Cond, Glob, Part, Program, Publish, RegistryKind, TagKind, Text};

pub use deploy::{deploy_script, dispatchable, latest_script};
pub use publish::{
    Source, commit_image_script, commit_list_script, hand_over_script, publish_script,
    resolve_script,
};

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
        Part::Image(i) => format!("PIPEC_IMAGE_{}", i.to_ascii_uppercase()),
        Part::ImageSource(_) => return None,
    })
}

/// A tag the program names, as a command printing it with its kind (a named
/// tag is moved to each new image): each value of the run has the characters
/// a tag cannot hold replaced by `-`, and the tag is cut to the 128
/// characters registries take.
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
        format!(
            "echo {}",
            sh_quote(&format!("{} moving", t.as_literal().unwrap_or_default()))
        )
    } else {
        format!("echo \"$(printf '%s' {word} | cut -c1-128) moving\"")
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

fn name_matches(globs: &[Glob]) -> String {
    let re: Vec<String> = globs.iter().map(|g| g.to_regex()).collect();
    format!(
        "printf '%s' \"$PIPEC_REF_NAME\" | grep -Eq {}",
        sh_quote(&re.join("|"))
    )
}

/// Helper functions of the release shell, each defined only where it is used
/// (shellcheck reports functions nothing calls, SC2317), in an order where
/// every helper comes after the helpers it calls.
const HELPERS: [(&str, &str); 10] = [
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
        "pipec_stable",
        // A version without a pre-release part: `1.2.3`, not `1.2.3-rc.1`.
        r#"pipec_stable() { case "$1" in *-*) return 1 ;; esac; }"#,
    ),
    (
        "pipec_tags_git_tag",
        r#"pipec_tags_git_tag() { printf '%s\n' "$PIPEC_REF_NAME" | tr -c 'A-Za-z0-9_.\n-' '-'; }"#,
    ),
    (
        "pipec_digest",
        // The digest a reference names in the registry, nothing when it does
        // not exist; any other failure (no access, no network) stops the
        // script rather than being read as "not published yet".
        concat!(
            "pipec_digest() {\n",
            "  if out=\"$(docker buildx imagetools inspect \"$1\" --format '{{json .Manifest.Digest}}' 2>&1)\"; then\n",
            "    d=\"$(printf '%s' \"$out\" | tr -d '\"[:space:]')\"\n",
            "    case \"$d\" in\n",
            "      sha256:*) printf '%s\\n' \"$d\" ;;\n",
            "      *) printf 'pipec: no digest for %s: %s\\n' \"$1\" \"$out\" >&2; return 1 ;;\n",
            "    esac\n",
            "  else\n",
            "    case \"$out\" in\n",
            "      *\"not found\"* | *\"manifest unknown\"* | *MANIFEST_UNKNOWN* | *NAME_UNKNOWN*) ;;\n",
            "      *) printf '%s\\n' \"$out\" >&2; return 1 ;;\n",
            "    esac\n",
            "  fi\n",
            "}",
        ),
    ),
    (
        "pipec_point",
        // Makes IMAGE:TAG name DIGEST by copying the manifest in the
        // registry (`--prefer-index=false` keeps the digest of a
        // single-platform image). An immutable tag that names another digest
        // is never moved.
        concat!(
            "pipec_point() {\n",
            "  current=\"$(pipec_digest \"$1:$2\")\"\n",
            "  if [ \"$current\" = \"$3\" ]; then\n",
            "    return 0\n",
            "  fi\n",
            "  if [ -n \"$current\" ] && [ \"$4\" = fixed ]; then\n",
            "    printf 'pipec: %s:%s already names %s and is immutable: it is not moved to %s\\n' \"$1\" \"$2\" \"$current\" \"$3\" >&2\n",
            "    return 1\n",
            "  fi\n",
            "  docker buildx imagetools create --prefer-index=false --tag \"$1:$2\" \"$1@$3\"\n",
            "}",
        ),
    ),
    (
        "pipec_set_image",
        // Sets the image tag and digest of an overlay's `images:` entry: the
        // `newTag` line pipec writes (marked as set by CI), followed by a
        // `digest` line, so that the cluster pulls exactly that image and
        // people still read which version it is.
        concat!(
            "pipec_set_image() {\n",
            "  awk -v q=\"'\" -v tag=\"$2\" -v digest=\"$3\" '\n",
            "    /^    newTag: .* # pipec: set by CI$/ { print \"    newTag: \" q tag q \" # pipec: set by CI\"; print \"    digest: \" q digest q \" # pipec: set by CI\"; n++; next }\n",
            "    /^    digest: .* # pipec: set by CI$/ { next }\n",
            "    { print }\n",
            "    END { if (n != 1) exit 1 }' \"$1\" > \"$1.pipec\" || { echo \"pipec: no image tag line in $1\" >&2; exit 1; }\n",
            "  mv \"$1.pipec\" \"$1\"\n",
            "}",
        ),
    ),
    (
        "pipec_set_values_image",
        // Sets the image of a Helm values file: the one `tag:` line pipec
        // writes (marked as set by CI), at whatever depth the program put
        // the image, to TAG@DIGEST, which a chart's `repository:tag` turns
        // into a reference that pulls exactly that image.
        concat!(
            "pipec_set_values_image() {\n",
            "  awk -v q=\"'\" -v image=\"$2@$3\" '\n",
            "    /^ *tag: .* # pipec: set by CI$/ { print substr($0, 1, index($0, \"tag: \") - 1) \"tag: \" q image q \" # pipec: set by CI\"; n++; next }\n",
            "    { print }\n",
            "    END { if (n != 1) exit 1 }' \"$1\" > \"$1.pipec\" || { echo \"pipec: no image tag line in $1\" >&2; exit 1; }\n",
            "  mv \"$1.pipec\" \"$1\"\n",
            "}",
        ),
    ),
    (
        "pipec_output",
        // Hands a value to later jobs: a step output on GitHub Actions, a
        // dotenv report on GitLab CI.
        concat!(
            "pipec_output() {\n",
            "  if [ -n \"${GITHUB_OUTPUT:-}\" ]; then\n",
            "    printf '%s=%s\\n' \"$1\" \"$2\" >> \"$GITHUB_OUTPUT\"\n",
            "  else\n",
            "    printf 'PIPEC_%s=%s\\n' \"$(printf '%s' \"$1\" | tr '[:lower:]' '[:upper:]')\" \"$2\" >> pipec-release.env\n",
            "  fi\n",
            "}",
        ),
    ),
];

/// The dotenv report the GitLab publish job leaves for the deployments.
pub const DOTENV_REPORT: &str = "pipec-release.env";

/// The helpers `text` calls (and the helpers they call), in definition order.
pub fn helpers_for(text: &str) -> String {
    const _: () = assert!(HELPERS.len() <= 32, "the sets below are 32 bits wide");
    // Which helpers each helper's definition calls, as a set of positions
    // in `HELPERS`: found once, so that `text` is searched once per name.
    static CALLS: OnceLock<[u32; HELPERS.len()]> = OnceLock::new();
    let calls = CALLS.get_or_init(|| HELPERS.map(|(_, def)| mentioned(def)));
    let mut needed = mentioned(text);
    // Helpers call each other: add what the needed ones call until nothing
    // new is needed.
    loop {
        let more = (0..HELPERS.len())
            .filter(|i| needed & (1 << i) != 0)
            .fold(needed, |set, i| set | calls[i]);
        if more == needed {
            break;
        }
        needed = more;
    }
    let mut out = String::new();
    for (i, (_, def)) in HELPERS.iter().enumerate() {
        if needed & (1 << i) != 0 {
            out.push_str(def);
            out.push('\n');
        }
    }
    out
}

/// The helpers whose names `text` contains, as a set of positions in
/// `HELPERS`.
fn mentioned(text: &str) -> u32 {
    // Every name starts with `pipec_`: the text is searched once for that,
    // and the names are compared where it is found.
    const _: () = {
        let mut i = 0;
        while i < HELPERS.len() {
            assert!(
                starts_with_prefix(HELPERS[i].0.as_bytes()),
                "a helper's name starts with `pipec_`"
            );
            i += 1;
        }
    };
    static PREFIX: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(HELPER_PREFIX));
    let mut set = 0;
    for at in PREFIX.find_iter(text.as_bytes()) {
        let rest = &text.as_bytes()[at..];
        for (i, (name, _)) in HELPERS.iter().enumerate() {
            if rest.starts_with(name.as_bytes()) {
                set |= 1 << i;
            }
        }
    }
    set
}

/// How the name of every helper starts.
const HELPER_PREFIX: &str = "pipec_";

/// Whether `name` starts with [`HELPER_PREFIX`] (at compile time).
const fn starts_with_prefix(name: &[u8]) -> bool {
    let prefix = HELPER_PREFIX.as_bytes();
    if name.len() < prefix.len() {
        return false;
    }
    let mut j = 0;
    while j < prefix.len() {
        if name[j] != prefix[j] {
            return false;
        }
        j += 1;
    }
    true
}

/// `functions` preceded by the helpers they (and the helpers) call.
fn with_helpers(functions: &str) -> String {
    format!("{}{functions}", helpers_for(functions))
}

/// The image name (without tag) as a shell word. GitLab's own registry has no
/// name before the pipeline runs: the job reads it from `CI_REGISTRY_IMAGE`.
pub fn image_ref(p: &Publish) -> String {
    match p.registry.kind {
        RegistryKind::GitLab => "\"$CI_REGISTRY_IMAGE\"".to_string(),
        _ => sh_quote(&p.image_name()),
    }
}

/// Whether `latest` is moved by a deployment of the image to production
/// rather than by the publish job: then it always names what production
/// runs.
pub fn latest_moves_on_deploy(program: &Program, p: &Publish) -> bool {
    p.tags.iter().any(|t| t.kind == TagKind::Latest) && program.deployed_to_production(p.id)
}

/// A branch name as `pipec_branch_tag` turns it into an image tag.
fn branch_tag(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(100)
        .collect()
}

/// Branches a publish condition names literally (no wildcard).
fn literal_branches(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::Branch(globs) => out.extend(
            globs
                .iter()
                .filter(|g| g.is_literal())
                .map(|g| g.as_str().to_string()),
        ),
        Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| literal_branches(c, out)),
        _ => {}
    }
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

/// `pipec_tags_N`: every tag this run gives the image of publish rule `N`,
/// one per line with `fixed` (never moved once it exists) or `moving`.
/// `latest` only for a stable SemVer release, and not here at all when a
/// production deployment moves it.
fn tags_function(program: &Program, p: &Publish) -> String {
    let latest_here = !latest_moves_on_deploy(program, p);
    let mut body = String::new();
    for rule in &p.tags {
        let guard = cond_to_shell(&rule.when);
        // Each line prints its tags or nothing, and never fails: `if`, not
        // `a && b || true`, which shellcheck rightly reads as a trap (SC2015).
        let emit = match &rule.kind {
            TagKind::Sha => "echo \"sha-$(pipec_short_sha) fixed\"".to_string(),
            TagKind::Branch => {
                "if [ \"$PIPEC_REF_TYPE\" = branch ]; then echo \"$(pipec_branch_tag) moving\"; fi".to_string()
            }
            TagKind::BranchSha => {
                "if [ \"$PIPEC_REF_TYPE\" = branch ]; then echo \"$(pipec_branch_tag)-$(pipec_short_sha) fixed\"; fi".to_string()
            }
            TagKind::Semver => format!(
                "if [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{}); then echo \"$v fixed\"; \
                 case \"$v\" in *-*) ;; *) echo \"${{v%.*}} moving\"; echo \"${{v%%.*}} moving\" ;; esac; fi",
                p.id.0
            ),
            TagKind::GitTag => "if [ \"$PIPEC_REF_TYPE\" = tag ]; then echo \"$(pipec_tags_git_tag) fixed\"; fi".to_string(),
            TagKind::Latest if latest_here => format!(
                "if [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{}) && pipec_stable \"$v\"; then echo 'latest moving'; fi",
                p.id.0
            ),
            TagKind::Latest => continue,
            TagKind::Literal(t) => literal_tag(t),
        };
        body.push_str(&format!("  if {guard}; then {emit}; fi\n"));
    }
    if body.is_empty() {
        body.push_str("  :\n");
    }
    format!("pipec_tags_{}() {{\n{body}}}\n", p.id.0)
}

/// `pipec_commit_tags_N`: the tags a build of this commit is published
/// under by a branch run — how a release, a re-run or a deployment finds the
/// image that was built (once) for the commit.
fn commit_tags_function(p: &Publish) -> String {
    let mut body = String::new();
    if p.tags.iter().any(|t| t.kind == TagKind::Sha) {
        body.push_str("  echo \"sha-$(pipec_short_sha)\"\n");
    }
    if p.tags.iter().any(|t| t.kind == TagKind::BranchSha) {
        body.push_str("  if [ \"$PIPEC_REF_TYPE\" = branch ]; then echo \"$(pipec_branch_tag)-$(pipec_short_sha)\"; fi\n");
        let mut branches = Vec::new();
        literal_branches(&p.when, &mut branches);
        for b in branches {
            body.push_str(&format!(
                "  echo {}\"-$(pipec_short_sha)\"\n",
                sh_quote(&branch_tag(&b))
            ));
        }
    }
    if body.is_empty() {
        body.push_str("  :\n");
    }
    format!("pipec_commit_tags_{}() {{\n{body}}}\n", p.id.0)
}

/// `pipec_release_N`: `<tag> <digest>` of the version this run ships, from
/// the registry — the release's own tag in a release run, else the commit's.
fn release_function(p: &Publish) -> String {
    let mut candidates = String::new();
    if p.tags.iter().any(|t| t.kind == TagKind::Semver) {
        candidates.push_str(&format!(
            "  if [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{}); then echo \"$v\"; fi\n",
            p.id.0
        ));
    }
    if p.tags.iter().any(|t| t.kind == TagKind::GitTag) {
        candidates.push_str("  if [ \"$PIPEC_REF_TYPE\" = tag ]; then pipec_tags_git_tag; fi\n");
    }
    format!(
        "pipec_candidates_{id}() {{\n{candidates}  pipec_commit_tags_{id}\n}}\n\
         pipec_release_{id}() {{\n  for t in $(pipec_candidates_{id}); do\n    d=\"$(pipec_digest {image}:\"$t\")\"\n    if [ -n \"$d\" ]; then echo \"$t $d\"; return 0; fi\n  done\n  printf 'pipec: %s has no image of commit %s\\n' {image} \"$PIPEC_SHA\" >&2\n  return 1\n}}\n",
        id = p.id.0,
        image = image_ref(p),
    )
}

/// The shell functions of publish rule `N` (`pipec_version_N`,
/// `pipec_tags_N`, `pipec_commit_tags_N`, `pipec_release_N`), with the
/// helpers they use.
pub fn publish_functions(program: &Program, p: &Publish) -> String {
    with_helpers(&format!(
        "{}{}{}{}",
        version_of(program, p),
        tags_function(program, p),
        commit_tags_function(p),
        release_function(p)
    ))
}

/// The functions of every publish rule, with their helpers.
pub fn tag_functions(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.publishes {
        out.push_str(&version_of(program, p));
        out.push_str(&tags_function(program, p));
        out.push_str(&commit_tags_function(p));
        out.push_str(&release_function(p));
    }
    with_helpers(&out)
}

#[cfg(test)]
mod tests;
