//! Programs nested 10,000 levels deep — brackets, blocks, operator chains and
//! string templates — get a diagnostic, never a stack overflow. They are
//! checked on the test thread, whose stack (2 MiB) is smaller than the main
//! thread's, through the public `pipec_check::check`; the same programs go
//! through the `pipec` binary in `compiler/cli/tests/deep_nesting.rs`.

use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};

#[path = "support/deep.rs"]
mod deep;

use deep::cases;

#[test]
fn deep_programs_get_a_diagnostic() {
    for (name, text, code) in cases() {
        let fs = MemoryFs([(PathBuf::from("deep.pipe"), text)].into_iter().collect());
        let checked = check(Path::new("deep.pipe"), &fs).expect("readable");
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(checked.has_errors(), "{name}: no error");
        assert!(
            codes.contains(&code),
            "{name}: expected {code}, got {codes:?}"
        );
        // Rendering walks the spans of the deep source too.
        let rendered = pipec_diagnostics::render::human(
            &checked.diagnostics,
            &checked.sources,
            Default::default(),
        );
        assert!(rendered.contains(code), "{name}: {rendered}");
    }
}
