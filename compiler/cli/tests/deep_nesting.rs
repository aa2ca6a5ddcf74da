//! `pipec check` on programs nested 10,000 levels deep exits with a diagnostic
//! (exit code 1), never with a crash. The same shapes are checked through the
//! library in the repository's `tests/deep_nesting.rs`.

use std::process::Command;

#[path = "../../../tests/support/deep.rs"]
mod deep;

#[test]
fn pipec_check_reports_deep_programs() {
    let dir = std::env::temp_dir().join(format!("pipec-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, text, code) in deep::cases() {
        let file = dir.join(format!("{}.pipe", name.replace(' ', "_")));
        std::fs::write(&file, text).expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_pipec"))
            .args(["check", "--format", "json"])
            .arg(&file)
            .output()
            .expect("run pipec");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(code), "{name}: expected {code} in {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
