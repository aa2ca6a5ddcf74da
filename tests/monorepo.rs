//! The generated monorepo the benchmark checks is a clean program: no errors
//! and no warnings from the checker or from the targets it builds to, so the
//! benchmark measures a real check, not an error path.

use std::path::Path;

use pipec_check::{MemoryFs, check};
use pipec_tests::monorepo;

fn diagnostics(services: usize) -> (Vec<String>, usize) {
    let repo = monorepo::generate(services);
    let fs = MemoryFs(
        repo.files
            .iter()
            .map(|(p, t)| (Path::new("repo").join(p), t.clone()))
            .collect(),
    );
    let checked = check(Path::new("repo"), &fs).expect("readable");
    let mut diags = checked.diagnostics.clone();
    if let Some(p) = &checked.program {
        let (_, d) = pipec::render(p, monorepo::TARGETS).expect("disjoint files");
        diags.extend(d);
    }
    let rendered = diags
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
