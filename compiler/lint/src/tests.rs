//! The registry cannot drift: ids sorted and unique, names match file names,
//! every page is complete, and `docs/rules/` holds exactly the pages the
//! registry renders (`PIPEC_BLESS=1` rewrites them).

use crate::rules;

#[test]
fn ids_are_sorted_unique_and_named_after_their_files() {
    let all = rules::all();
    for w in all.windows(2) {
        assert!(w[0].id < w[1].id, "{} before {}", w[0].id, w[1].id);
    }
    for r in all {
        let stem = r.module.rsplit("::").next().unwrap_or("");
        assert_eq!(r.name, stem.replace('_', "-"), "{}", r.id);
        assert!(r.id.starts_with("PIPE") && r.id.len() == 7, "{}", r.id);
        assert!(!rules::doc(r).is_empty(), "{} has no doc", r.id);
        assert!(!r.inputs.is_empty(), "{}", r.id);
    }
    for id in [
        "PIPE001", "PIPE002", "PIPE003", "PIPE004", "PIPE005", "PIPE006",
    ] {
        assert_eq!(rules::rule(id).id, id);
    }
}

#[test]
fn docs_rules_match_the_registry() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let bless = std::env::var_os("PIPEC_BLESS").is_some();
    let mut expected: Vec<(String, String)> = rules::all()
        .iter()
        .map(|r| (format!("{}.md", r.id), rules::explanation(r)))
        .collect();
    let index_path = dir.join("index.md");
    let index = std::fs::read_to_string(&index_path).unwrap_or_default();
    expected.push(("index.md".into(), crate::report::rules_index(&index)));
    let mut stale = Vec::new();
    for (name, text) in &expected {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            if bless {
                std::fs::create_dir_all(&dir).expect("docs/rules");
                std::fs::write(&path, text).expect("write page");
            } else {
                stale.push(name.clone());
            }
        }
    }
    let mut extra: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !expected.iter().any(|(x, _)| x == n))
                .collect()
        })
        .unwrap_or_default();
    extra.sort();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "docs/rules is out of date (run with PIPEC_BLESS=1): stale {stale:?}, not in the registry {extra:?}"
    );
}

mod never_panics {
    use proptest::prelude::*;

    use crate::{Config, Session};

    /// Text made of the pieces CI files are made of, so that generated inputs
    /// reach the extractors, not only the YAML reader's error path.
    fn ci_text() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "on:",
            "jobs:",
            "  build:",
            "    steps:",
            "      - uses: a/b@v1",
            "      - run: |",
            "          docker push x:latest",
            "          echo ${{ github.event.issue.title }}",
            "    needs: [build]",
            "    if: github.ref == 'refs/heads/main'",
            "stages: [a]",
            "x:",
            "  script:",
            "    - kubectl apply -f k -n prod",
            "  rules:",
            "    - if: $CI_COMMIT_TAG =~ /^v(/",
            "  environment: production",
            "kind: Deployment",
            "apiVersion: apps/v1",
            "---",
            "&a [*a]",
            "<<: *b",
            "- \"\u{1F600}: x\"",
            "\t",
            "{",
            "]",
            "'",
            "# pipec: allow PIPE201",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|v| v.join("\n"))
    }

    proptest! {
        #[test]
        fn on_arbitrary_text(text in "\\PC{0,200}") {
            let mut s = Session::new(Default::default(), Config::default());
            s.add_yaml("x.yml", &text);
            s.add_yaml(".gitlab-ci.yml", &text);
            let _ = s.finish();
        }

        #[test]
        fn on_ci_shaped_text(text in ci_text()) {
            let mut s = Session::new(Default::default(), Config::default());
            s.add_yaml(".github/workflows/x.yml", &text);
            s.add_yaml(".gitlab-ci.yml", &text);
            s.add_yaml("k8s.yaml", &text);
            let _ = s.finish();
        }
    }
}

mod inputs {
    use crate::{Config, Session};

    fn lines(s: Session) -> Vec<(String, usize, &'static str)> {
        let b = s.finish();
        b.findings
            .iter()
            .map(|f| {
                let span = f.diagnostic.primary_span();
                let file = b.sources.get(span.source);
                (file.name.clone(), file.line_col(span.start).0, f.code)
            })
            .collect()
    }

    const WORKFLOW: &str = "on: pull_request\npermissions: {}\njobs:\n  unit:\n    runs-on: ubuntu-latest\n    permissions: {contents: read}\n    steps:\n      - run: pytest --cov=src\n";

    #[test]
    fn fail_under_in_the_repository_coverage_config_is_the_gate() {
        let mut s = Session::new(Default::default(), Config::default());
        s.add_yaml(".github/workflows/ci.yml", WORKFLOW);
        assert_eq!(
            lines(s),
            vec![(".github/workflows/ci.yml".into(), 8, "PIPE102")]
        );

        let mut s = Session::new(Default::default(), Config::default());
        s.add_yaml(".github/workflows/ci.yml", WORKFLOW);
        s.add_coverage_config(
            "pyproject.toml",
            "[tool.black]\nline-length = 99\n[tool.coverage.report]\nfail_under = 60\n",
        );
        assert_eq!(lines(s), vec![("pyproject.toml".into(), 4, "PIPE102")]);

        let mut s = Session::new(Default::default(), Config::default());
        s.add_yaml(".github/workflows/ci.yml", WORKFLOW);
        s.add_coverage_config("setup.cfg", "[coverage:report]\nfail_under = 85\n");
        assert_eq!(lines(s), vec![]);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_do_not_move_positions() {
        let text = format!("\u{FEFF}{}", WORKFLOW.replace('\n', "\r\n"));
        let mut s = Session::new(Default::default(), Config::default());
        s.add_yaml(".github/workflows/ci.yml", &text);
        let b = s.finish();
        let f = &b.findings[0];
        let span = f.diagnostic.primary_span();
        assert_eq!(b.sources.get(span.source).line_col(span.start), (8, 14));
        assert_eq!(b.sources.slice(span), "pytest --cov=src");
    }
}
