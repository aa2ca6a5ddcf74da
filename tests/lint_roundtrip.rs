//! Round trip: the YAML pipec generates for every example — workflows,
//! Kustomize bases and overlays, Argo CD Applications and AppProjects — lints
//! clean, as the programs themselves do (`lint_output.rs`).

use pipec_lint::{Config, Session, report};

#[test]
fn generated_yaml_of_every_example_lints_clean() {
    for e in pipec_tests::examples() {
        let tree = pipec_tests::render(&e, &[]);
        let mut s = Session::new(Default::default(), Config::default());
        let mut inputs = Vec::new();
        for f in tree.files() {
            if !(f.path.ends_with(".yml") || f.path.ends_with(".yaml")) {
                continue;
            }
            let text = pipec_emit::header::wrap(&f.body, &f.source);
            inputs.extend(s.add_yaml(&f.path, &text));
        }
        inputs.sort();
        inputs.dedup();
        assert!(
            inputs.len() >= 2,
            "{e}: expected a workflow and manifests, linted {inputs:?}"
        );
        let batch = s.finish();
        let shown = report::human(std::slice::from_ref(&batch), Default::default(), usize::MAX);
        assert!(batch.findings.is_empty(), "{e}:\n{shown}");
    }
}
