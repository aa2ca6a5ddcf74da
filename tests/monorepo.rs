//! The generated monorepo the benchmark checks is a clean program: no errors
//! and no warnings, so the benchmark measures a real check, not an error path.

use std::path::Path;

use pipec_check::{MemoryFs, check};
use pipec_tests::monorepo;

/// The monorepo of `services` services, checked.
fn checked(services: usize) -> pipec_check::Checked {
    let repo = monorepo::generate(services);
    let fs = MemoryFs(
        repo.files
            .iter()
            .map(|(p, t)| (Path::new("repo").join(p), t.clone()))
            .collect(),
    );
    check(Path::new("repo"), &fs).expect("readable")
}

fn diagnostics(services: usize) -> (Vec<String>, usize) {
    let checked = checked(services);
    let rendered = checked
        .diagnostics
        .iter()
        .map(|d| {
            pipec_diagnostics::render::short(d, &checked.sources)
                .trim_end()
                .to_string()
        })
        .collect();
    let services = checked.program.map_or(0, |p| p.services.len());
    (rendered, services)
}

#[test]
fn a_small_monorepo_checks_clean() {
    let (diags, services) = diagnostics(60);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(services, 60);
}

#[test]
fn the_benchmark_monorepo_has_the_promised_size() {
    let repo = monorepo::generate(1000);
    let lines = repo.lines();
    assert!((45_000..=60_000).contains(&lines), "{lines} lines");
}

#[test]
fn a_small_monorepo_builds_with_every_target_it_uses() {
    let program = checked(60).program.expect("no errors");
    let tree = pipec::emit(&program, &["github", "kustomize", "argocd", "pre-commit"])
        .unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(tree.files().count() > 60 * 10);
}
