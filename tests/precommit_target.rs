//! The pre-commit target on every example: the whole generated
//! `.pre-commit-config.yaml`, and `pre-commit validate-config` accepts it.

use pipec_tests::{examples, render, run, scratch, tool, write_tree};

#[test]
fn every_example_has_a_valid_pre_commit_config() {
    for e in examples() {
        let tree = render(&e, &["pre-commit"]);
        assert_eq!(tree.len(), 1, "{e}");
        insta::assert_snapshot!(format!("precommit-{e}"), tree.render());
        let Some(pc) = tool("pre-commit") else {
            continue;
        };
        let dir = scratch(&format!("precommit-{e}"));
        write_tree(&tree, &dir);
        let out = run(&pc, &["validate-config", ".pre-commit-config.yaml"], &dir);
        assert!(
            out.status.success(),
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
