//! Finding the validators `scripts/install-tools.sh` installs. Shared by the
//! root test package (`tests/support/lib.rs`) and the `pipec` package's binary
//! tests (`compiler/cli/tests/support/mod.rs`).

use std::path::{Path, PathBuf};

/// The path of an installed validator, or `None` (with a note) when it is not
/// installed. With `PIPEC_REQUIRE_TOOLS=1` (as `scripts/test.sh` sets) a
/// missing tool fails the test instead.
pub fn find(root: &Path, name: &str) -> Option<PathBuf> {
    let local = root.join(".tools/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("PIPEC_REQUIRE_TOOLS").is_some() {
            panic!("validator `{name}` is not installed; run scripts/install-tools.sh");
        }
        eprintln!("skipping: validator `{name}` not installed (scripts/install-tools.sh)");
    }
    found
}
