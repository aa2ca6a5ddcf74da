//! Image tags as templates (`main-<sha:7>`), so that the tag a deployment
//! uses can be compared with the tags pushed in the same run.

use super::when::Run;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagPart {
    Lit(String),
    /// The commit SHA, cut to `len` characters.
    Sha {
        len: usize,
    },
    /// The branch (or tag) name of the run.
    Ref,
}

/// Variables and expressions CI systems fill in, and what they stand for.
const KNOWN: &[(&str, TagPart)] = &[
    ("${{ github.sha }}", TagPart::Sha { len: 40 }),
    ("${GITHUB_SHA::7}", TagPart::Sha { len: 7 }),
    ("${GITHUB_SHA}", TagPart::Sha { len: 40 }),
    ("$GITHUB_SHA", TagPart::Sha { len: 40 }),
    ("${{ github.ref_name }}", TagPart::Ref),
    ("${GITHUB_REF_NAME}", TagPart::Ref),
    ("$GITHUB_REF_NAME", TagPart::Ref),
    ("${CI_COMMIT_SHORT_SHA}", TagPart::Sha { len: 8 }),
    ("$CI_COMMIT_SHORT_SHA", TagPart::Sha { len: 8 }),
    ("${CI_COMMIT_SHA}", TagPart::Sha { len: 40 }),
    ("$CI_COMMIT_SHA", TagPart::Sha { len: 40 }),
    ("${CI_COMMIT_REF_NAME}", TagPart::Ref),
    ("$CI_COMMIT_REF_NAME", TagPart::Ref),
    ("${CI_COMMIT_BRANCH}", TagPart::Ref),
    ("$CI_COMMIT_BRANCH", TagPart::Ref),
    ("{{branch}}", TagPart::Ref),
    ("{{sha}}", TagPart::Sha { len: 7 }),
];

/// The template of a tag's text; `None` when it depends on something else
/// known only at run time.
pub fn template(text: &str) -> Option<Vec<TagPart>> {
    let text = text.trim_matches(|c| c == '"' || c == '\'');
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (k, part) in KNOWN {
            if let Some(r) = rest.strip_prefix(k) {
                if !lit.is_empty() {
                    out.push(TagPart::Lit(std::mem::take(&mut lit)));
                }
                out.push(part.clone());
                rest = r;
                continue 'outer;
            }
        }
        if rest.starts_with('$') || rest.starts_with("{{") || rest.starts_with('`') {
            return None;
        }
        let c = rest.chars().next()?;
        lit.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !lit.is_empty() {
        out.push(TagPart::Lit(lit));
    }
    Some(out)
}

/// The SHA runs are evaluated with.
const SHA: &str = "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ff";

/// The tag in a run; `None` when the run has no branch or tag name.
pub fn concrete(parts: &[TagPart], run: &Run) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            TagPart::Lit(s) => out.push_str(s),
            TagPart::Sha { len } => out.push_str(&SHA[..(*len).min(SHA.len())]),
            TagPart::Ref => out.push_str(run.own_branch().or(run.tag.as_deref())?),
        }
    }
    Some(out)
}

/// `main-<sha:7>`, for messages.
pub fn shown(parts: &[TagPart], run: &Run) -> String {
    parts
        .iter()
        .map(|p| match p {
            TagPart::Lit(s) => s.clone(),
            TagPart::Sha { len: 40 } => "<sha>".into(),
            TagPart::Sha { len } => format!("<sha:{len}>"),
            TagPart::Ref => run
                .own_branch()
                .or(run.tag.as_deref())
                .unwrap_or("<ref>")
                .to_string(),
        })
        .collect()
}

/// `${{ github.sha }}` → `${{github.sha}}`, so that commands can be split
/// into words without breaking expressions apart.
pub fn compact(text: &str) -> String {
    map_expressions(text, |inner| inner.split_whitespace().collect())
}

/// Undoes [`compact`]: `${{x}}` → `${{ x }}`.
pub fn expand(text: &str) -> String {
    map_expressions(text, |inner| format!(" {} ", inner.trim()))
}

/// `text` with the inside of every `${{ … }}` replaced by `f` of it; an
/// unclosed `${{` and what follows are kept as they are.
fn map_expressions(text: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        match rest[i..].find("}}") {
            Some(j) => {
                out.push_str("${{");
                out.push_str(&f(&rest[i + 3..i + j]));
                out.push_str("}}");
                rest = &rest[i + j + 2..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An image reference split into its name and its tag (`latest` when none).
pub fn split(reference: &str) -> (String, String) {
    let r = reference
        .split('@')
        .next()
        .unwrap_or(reference)
        .trim_matches(|c| c == '"' || c == '\'');
    let slash = r.rfind('/').map_or(0, |i| i + 1);
    match r[slash..].rfind(':') {
        Some(i) => (r[..slash + i].to_string(), r[slash + i + 1..].to_string()),
        // `$IMG` may hold a whole reference, tag included: the tag is not
        // known, rather than `latest`.
        None if r[slash..].contains('$') => (r.to_string(), "$".into()),
        None => (r.to_string(), "latest".into()),
    }
}

/// Image references a command rolls out (`kubectl set image … c=REF`,
/// `kustomize edit set image NAME=REF`).
pub fn deployed_refs(cmd: &str) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let Some(at) = words
        .windows(2)
        .position(|w| w[0] == "set" && w[1] == "image")
    else {
        return Vec::new();
    };
    let is_tool = words[..at]
        .iter()
        .any(|w| matches!(w.rsplit('/').next(), Some("kubectl" | "kustomize" | "oc")));
    if !is_tool {
        return Vec::new();
    }
    words[at + 2..]
        .iter()
        .filter(|w| !w.starts_with('-'))
        .filter_map(|w| w.split_once('=').map(|(_, r)| r.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::RunEvent;

    #[test]
    fn templates_compare_in_a_run() {
        let run = Run {
            event: RunEvent::Push,
            branch: Some("main".into()),
            tag: None,
        };
        let deployed = template("main-${{ github.sha }}").expect("known");
        let pushed = template("{{branch}}-{{sha}}").expect("known");
        assert_ne!(concrete(&deployed, &run), concrete(&pushed, &run));
        assert_eq!(shown(&pushed, &run), "main-<sha:7>");
        assert_eq!(template("$TAG"), None);
        assert_eq!(
            split("registry:5000/a/b:1.2"),
            ("registry:5000/a/b".into(), "1.2".into())
        );
        assert_eq!(
            deployed_refs("kubectl set image deployment/a a=r/a:$CI_COMMIT_SHA -n x"),
            vec!["r/a:$CI_COMMIT_SHA".to_string()]
        );
    }
}
