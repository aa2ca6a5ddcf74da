//! The shell that creates the release of a pushed tag (`release` in a job),
//! the same way on both forges: the notes from the forge, the tag's message
//! or the tag's section of a changelog, the files attached by name, a
//! pre-release for a version with a pre-release part (`1.2.0-rc.1`), and a
//! re-run that finds the release there attaching its files again instead
//! of failing.
//!
//! Every script reads the tag from `PIPEC_TAG`, which the target sets.

use pipec_graph::{Release, ReleaseNotes};

use crate::release::sh_quote;

/// The file the notes are written to, beside the checkout.
pub const NOTES_FILE: &str = "pipec-release-notes.md";

/// The version a tag names: `v1.2.3` and `api-v1.2.3` name `1.2.3`; a tag
/// without a `v` before its first digit is its own version.
const VERSION: &str =
    r#"pipec_tag_version() { printf '%s' "$1" | sed -E 's/^(.*[^0-9A-Za-z])?v([0-9])/\2/'; }"#;

/// The section of a changelog whose heading names the tag or its version
/// (`## [1.2.3] - 2026-01-31`, `## v1.2.3`), up to the next heading of the
/// same or a higher level; fails when there is none, so that a release
/// never goes out with empty notes.
const CHANGELOG: &str = concat!(
    "pipec_changelog() {\n",
    "  [ -f \"$1\" ] || { printf 'pipec: no changelog %s\\n' \"$1\" >&2; return 1; }\n",
    "  awk -v tag=\"$2\" -v version=\"$(pipec_tag_version \"$2\")\" '\n",
    "    /^#+[ \\t]/ {\n",
    "      level = index($0, \" \") - 1\n",
    "      name = $0; sub(/^#+[ \\t]+/, \"\", name); gsub(/[][]/, \"\", name); split(name, w, /[ \\t]/)\n",
    "      if (found && level <= at) exit\n",
    "      if (!found && (w[1] == tag || w[1] == version || w[1] == \"v\" version)) { found = 1; at = level; next }\n",
    "    }\n",
    "    found { print }\n",
    "  ' \"$1\" > \"$3\"\n",
    "  if [ -z \"$(tr -d '[:space:]' < \"$3\")\" ]; then\n",
    "    printf 'pipec: %s has no section for %s\\n' \"$1\" \"$2\" >&2\n",
    "    return 1\n",
    "  fi\n",
    "}",
);

/// A file pattern as a shell word that still expands: the literal runs
/// quoted, `*` and `?` left to the shell.
pub fn glob_word(pattern: &str) -> String {
    let mut out = String::new();
    let mut lit = String::new();
    for c in pattern.chars() {
        if c == '*' || c == '?' {
            if !lit.is_empty() {
                out.push_str(&sh_quote(&lit));
                lit.clear();
            }
            out.push(c);
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        out.push_str(&sh_quote(&lit));
    }
    out
}

/// Goes through the files of a release, failing on a pattern that matches
/// nothing (the shell leaves it as it is); `each` runs for each file `$f`.
fn files(r: &Release, each: &str) -> String {
    let mut out = String::from("set --\n");
    for f in &r.files {
        out.push_str(&format!(
            "for f in {}; do\n  [ -e \"$f\" ] || {{ printf 'pipec: no file matches %s\\n' {} >&2; exit 1; }}\n  {each}\ndone\n",
            glob_word(f),
            sh_quote(f)
        ));
    }
    out
}

/// The helpers, the tag, and the changelog's section in `notes` when the
/// notes come from a changelog.
fn prelude(r: &Release, notes: &str, version: bool) -> String {
    let mut out = String::from("set -eu\n");
    let changelog = matches!(r.notes, ReleaseNotes::Changelog(_));
    if version || changelog {
        out.push_str(VERSION);
        out.push('\n');
    }
    if changelog {
        out.push_str(CHANGELOG);
        out.push('\n');
    }
    out.push_str("tag=\"$PIPEC_TAG\"\n");
    if let ReleaseNotes::Changelog(path) = &r.notes {
        out.push_str(&format!(
            "pipec_changelog {} \"$tag\" {notes}\n",
            sh_quote(path)
        ));
    }
    out
}

/// The GitHub step: `gh release create` with the job's token (`GH_TOKEN`),
/// or, when the tag has a release already (a re-run), `gh release upload
/// --clobber` of its files.
pub fn github_script(r: &Release) -> String {
    let notes_file = format!("\"$RUNNER_TEMP\"/{NOTES_FILE}");
    let notes = match &r.notes {
        ReleaseNotes::Generated => "--generate-notes".to_string(),
        ReleaseNotes::Message => "--notes-from-tag".to_string(),
        ReleaseNotes::Changelog(_) => format!("--notes-file {notes_file}"),
    };
    format!(
        "{}pre=''\n\
         case \"$(pipec_tag_version \"$tag\")\" in *-*) pre=1 ;; esac\n\
         {}\
         if gh release view \"$tag\" > /dev/null 2>&1; then\n\
         \x20 echo \"pipec: $tag has a release already: its files are attached again\"\n\
         \x20 if [ $# -gt 0 ]; then gh release upload \"$tag\" --clobber \"$@\"; fi\n\
         else\n\
         \x20 gh release create \"$tag\" --verify-tag --title \"$tag\" {notes} ${{pre:+--prerelease}} \"$@\"\n\
         fi\n",
        prelude(r, &notes_file, true),
        files(r, "set -- \"$@\" \"$f\"")
    )
}

/// What the GitLab job with `release` adds to its script: each file must be
/// there (it keeps them, for good, as artifacts the release links to), and
/// its job ID goes to the release job in a dotenv report.
pub fn gitlab_keep_script(r: &Release) -> String {
    format!(
        "set -eu\n{}echo \"PIPEC_RELEASE_JOB=$CI_JOB_ID\" > {GITLAB_REPORT}\n",
        files(
            r,
            "echo \"pipec: $f is kept for the release of $CI_COMMIT_TAG\""
        )
    )
}

/// The dotenv report that hands the keeping job's ID to the release job.
pub const GITLAB_REPORT: &str = "pipec-release-job.env";

/// The GitLab release job, in the `release-cli` image with the job token:
/// the notes (the changelog's section, or the tag's message), and each file
/// linked from the release by its URL among the artifacts of the job
/// `PIPEC_RELEASE_JOB`, which kept them.
pub fn gitlab_script(r: &Release) -> String {
    let notes = sh_quote(NOTES_FILE);
    let mut out = prelude(r, &notes, false);
    out.push_str(
        "if release-cli get --tag-name \"$tag\" > /dev/null 2>&1; then\n\
         \x20 echo \"pipec: $tag has a release already\"\n\
         \x20 exit 0\n\
         fi\n",
    );
    if !matches!(r.notes, ReleaseNotes::Changelog(_)) {
        // GitLab writes no notes of its own: the tag's message, if it has one.
        out.push_str(&format!(
            "printf '%s\\n' \"${{CI_COMMIT_TAG_MESSAGE:-Release $tag}}\" > {notes}\n"
        ));
    }
    out.push_str(&files(
        r,
        "case \"$f\" in *'\"'* | *\\\\*) printf 'pipec: %s: a release link cannot name it\\n' \"$f\" >&2; exit 1 ;; esac\n  \
         set -- \"$@\" --assets-link \"{\\\"name\\\":\\\"${f##*/}\\\",\\\"url\\\":\\\"$CI_PROJECT_URL/-/jobs/$PIPEC_RELEASE_JOB/artifacts/raw/$f\\\",\\\"link_type\\\":\\\"package\\\"}\"",
    ));
    out.push_str(&format!(
        "release-cli create --name \"$tag\" --tag-name \"$tag\" --description {notes} \"$@\"\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_stay_globs_and_the_rest_is_quoted() {
        assert_eq!(glob_word("dist/*.whl"), "'dist/'*'.whl'");
        assert_eq!(glob_word("my file"), "'my file'");
        assert_eq!(glob_word("a?b"), "'a'?'b'");
    }
}
