//! Every example checks clean, and renders the same bytes twice.

#[test]
fn every_example_checks_clean() {
    let examples = pipec_tests::examples();
    assert!(examples.len() >= 3, "{examples:?}");
    for e in examples {
        pipec_tests::program(&e);
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for e in pipec_tests::examples() {
        let a = pipec_tests::render(&e, &[]).render();
        let b = pipec_tests::render(&e, &[]).render();
        assert_eq!(a, b, "{e}");
    }
}
