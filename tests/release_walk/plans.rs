//! Approvals that a plan does not enforce are said so where they are set up:
//! every GitHub environment with required reviewers says they need GitHub
//! Enterprise on private repositories, every GitLab deployment behind
//! approvals says they need Premium, and the documentation sections these
//! comments send the reader to exist.

use pipec_tests::{examples, render, root};

/// The comment blocks of a file (runs of comment lines), each as one line,
/// so that a reference wrapped over two lines reads as one.
fn comments(body: &str) -> Vec<String> {
    let mut blocks = vec![String::new()];
    for l in body.lines() {
        match l.trim_start().strip_prefix('#') {
            Some(c) => {
                let b = blocks.last_mut().expect("a block");
                b.push_str(c.trim());
                b.push(' ');
            }
            None if !blocks.last().expect("a block").is_empty() => blocks.push(String::new()),
            None => {}
        }
    }
    blocks
}

/// `docs/targets/NAME.md, "Heading"` references in `text`.
fn references(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("docs/targets/") {
        rest = &rest[at..];
        let Some(md) = rest.find(".md, \"") else {
            break;
        };
        let file = rest[..md + 3].to_string();
        let title = &rest[md + 6..];
        let end = title.find('"').expect("a closing quote");
        out.push((file, title[..end].to_string()));
        rest = &title[end..];
    }
    out
}

#[test]
fn approvals_name_the_plan_that_enforces_them_and_its_fallback() {
    let mut referenced = 0;
    let mut gated = 0;
    for example in examples() {
        let tree = render(&example, &["github", "gitlab"]);
        for f in tree.files() {
            let blocks = comments(&f.body);
            let (sets_up, plan) = if f.path.starts_with(".github/") {
                ("\"reviewers\":[", "GitHub Enterprise")
            } else {
                ("required approvals", "GitLab Premium")
            };
            for b in blocks.iter().filter(|b| b.contains(sets_up)) {
                assert!(b.contains(plan), "{example}: {}: {b}", f.path);
                gated += 1;
            }
            let text = blocks.join(" ");
            for (file, title) in references(&text) {
                let doc = std::fs::read_to_string(root().join(&file))
                    .unwrap_or_else(|e| panic!("{example}: {file}: {e}"));
                assert!(
                    doc.lines()
                        .any(|l| l.trim_start_matches('#').trim() == title && l.starts_with('#')),
                    "{example}: {} refers to {file}, \"{title}\", which has no such section",
                    f.path
                );
                referenced += 1;
            }
        }
    }
    assert!(referenced > 0, "no comment refers to the documentation");
    assert!(gated > 0, "no approvals are set up");
}
