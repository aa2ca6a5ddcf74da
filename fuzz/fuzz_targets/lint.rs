//! Lint any YAML input, as `pipec lint` does, and render the findings in
//! every format: none of it may panic, overflow the stack, hang or grow
//! without bound (libFuzzer's memory limit catches an alias or `extends`
//! expansion that escapes its budget).
//!
//! The first byte chooses what the file is taken for (a GitHub workflow,
//! a GitLab CI file, or Kubernetes and Argo CD manifests), the rest is its
//! text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pipec_lint::{Config, Session, report};

const NAMES: [&str; 3] = [".github/workflows/ci.yml", ".gitlab-ci.yml", "deploy.yaml"];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut session = Session::new(Default::default(), Config::default());
    session.add_yaml(NAMES[usize::from(*first) % NAMES.len()], text);
    let batches = [session.finish()];
    let _ = report::human(&batches, Default::default(), report::SHOWN);
    let _ = report::json(&batches, report::SHOWN);
    let _ = report::sarif::sarif(&batches, report::SHOWN);
    let _ = report::github(&batches, report::SHOWN);
});
