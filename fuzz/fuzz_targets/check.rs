//! Parse and check any input, then render its diagnostics, as `pipec check`
//! does: none of it may panic, overflow the stack or hang.
//!
//! The input is one program directory. A line `//@file` splits it into several
//! files (`app/f0.pipe`, `app/f1.pipe`, …), so that `use "f1.pipe"` imports,
//! import cycles and declarations spread over files are reached too.

#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use pipec_check::MemoryFs;
use pipec_diagnostics::render;

const FILE_SEPARATOR: &str = "\n//@file\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fs = MemoryFs(
        text.split(FILE_SEPARATOR)
            .enumerate()
            .map(|(i, part)| (PathBuf::from(format!("app/f{i}.pipe")), part.to_string()))
            .collect(),
    );
    let Ok(checked) = pipec_check::check(Path::new("app"), &fs) else {
        return;
    };
    let options = render::HumanOptions::default();
    let _ = render::human(&checked.diagnostics, &checked.sources, options);
    let _ = render::json(&checked.diagnostics, &checked.sources);
});
