//! Hostile lint input: what a file that costs little to write must not cost
//! to lint, and how many findings a report lists. Speed is measured by
//! `benches/lint_bounds.rs`; these tests check the behaviour the bounds
//! give (refusals, caps, exact counts).

use std::process::Command;

use pipec_lint::{Batch, Config, Session, report};

fn lint(name: &str, text: &str) -> Batch {
    let mut s = Session::new(Default::default(), Config::default());
    s.add_yaml(name, text);
    s.finish()
}

fn codes(b: &Batch, code: &str) -> usize {
    b.findings.iter().filter(|f| f.code == code).count()
}

/// A workflow of 10,000 jobs, each with a template injection (PIPE203) and
/// default permissions (PIPE202): 20,000 findings.
fn many_findings() -> String {
    let mut t = String::from("on: push\njobs:\n");
    for i in 0..10_000 {
        t.push_str(&format!(
            "  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{{{ github.event.issue.title }}}}\n"
        ));
    }
    t
}

#[test]
fn an_alias_bomb_in_bytes_is_refused() {
    let big = "x".repeat(300_000);
    let text = format!("a: &a \"{big}\"\nb: [{}]\n", vec!["*a"; 3000].join(", "));
    let b = lint("bomb.yaml", &text);
    assert_eq!(codes(&b, "PIPE001"), 1);
}

#[test]
fn duplicate_keys_are_reported_at_most_21_times_a_file() {
    let b = lint("dups.yaml", &"k: v\n".repeat(10_000));
    assert_eq!(codes(&b, "PIPE002"), 21);
}

#[test]
fn gitlab_extends_are_resolved_once_and_within_a_budget() {
    // Each template extends the one before eight times over: 8^11 merges
    // when every path is followed.
    let mut t = String::from(".t0:\n  script:\n    - echo hi\n");
    for i in 1..12 {
        let parents = vec![format!(".t{}", i - 1); 8].join(", ");
        t.push_str(&format!(".t{i}:\n  extends: [{parents}]\n"));
    }
    t.push_str("job:\n  extends: .t11\n  stage: deploy\n  script: [make]\n");
    let b = lint(".gitlab-ci.yml", &t);
    assert!(b.findings.iter().all(|f| f.code != "PIPE001"));
    // One large template extended by many jobs: only as many copies as the
    // budget allows, the rest read without it.
    let mut t = String::from(".big:\n  script:\n");
    for _ in 0..4000 {
        t.push_str(&format!("    - echo {}\n", "x".repeat(60)));
    }
    for i in 0..20_000 {
        t.push_str(&format!("j{i}:\n  extends: .big\n"));
    }
    let b = lint(".gitlab-ci.yml", &t);
    // More than 1,000 jobs: said once, the rest not checked.
    assert_eq!(codes(&b, "PIPE007"), 1);
}

#[test]
fn every_format_lists_at_most_the_limit_and_counts_all() {
    let batches = [lint(".github/workflows/big.yml", &many_findings())];
    let total = batches[0].findings.len();
    assert_eq!(total, 20_000);
    let limit = report::SHOWN;

    let v: serde_json::Value = serde_json::from_str(&report::json(&batches, limit)).expect("json");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(limit));
    assert_eq!(v["omitted"], total - limit);
    assert_eq!(v["summary"]["errors"], 10_000);
    assert_eq!(v["summary"]["warnings"], 10_000);

    let v: serde_json::Value =
        serde_json::from_str(&report::sarif::sarif(&batches, limit)).expect("sarif");
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().map(Vec::len), Some(limit));
    assert_eq!(run["properties"]["omittedResults"], total - limit);
    let note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .expect("notification");
    assert!(note.contains(&format!("{} more", total - limit)));

    let gh = report::github(&batches, limit);
    assert_eq!(gh.lines().count(), limit + 1);
    assert!(
        gh.lines()
            .last()
            .is_some_and(|l| l.starts_with("::notice "))
    );

    let human = report::human(&batches, Default::default(), limit);
    assert!(human.contains(&format!("… and {} more finding(s)", total - limit)));
    assert_eq!(human.matches("PIPE20").count(), limit);

    // Without a limit, everything.
    let v: serde_json::Value =
        serde_json::from_str(&report::json(&batches, usize::MAX)).expect("json");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(total));
    assert_eq!(v["omitted"], 0);
}

#[test]
fn security_findings_come_before_policy_findings() {
    // Policy findings (PIPE103/104 on a push of `latest`) early in the file,
    // a security finding (PIPE203) at its end.
    let text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: docker push app:latest\n  b:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n";
    let batches = [lint(".github/workflows/x.yml", text)];
    let (shown, _) = report::shown(&batches, usize::MAX);
    let groups: Vec<_> = shown
        .iter()
        .map(|(_, f)| report::group_of(f.code))
        .collect();
    let mut sorted = groups.clone();
    sorted.sort();
    assert_eq!(
        groups,
        sorted,
        "{:?}",
        shown.iter().map(|(_, f)| f.code).collect::<Vec<_>>()
    );
    assert_eq!(shown.first().map(|(_, f)| f.code), Some("PIPE203"));
}

/// The `pipec` binary next to this test's executable, built if needed.
#[test]
fn check_lists_at_most_the_limit_in_both_formats() {
    let dir = pipec_tests::scratch("many-errors");
    let mut text = String::from("environment staging {\n  namespace \"app-staging\"\n");
    for _ in 0..10_000 {
        text.push_str("  replicas \"2\"\n");
    }
    text.push_str("}\n");
    let file = dir.join("errors.pipe");
    std::fs::write(&file, text).expect("write");
    let run = |args: &[&str]| {
        Command::new(pipec_tests::pipec_exe())
            .args(args)
            .arg(&file)
            .output()
            .expect("pipec")
    };
    let o = run(&["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["errors"], 10_000);
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(100));
    assert_eq!(v["omitted"], 9_900);
    let o = run(&["check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("… and 9900 more diagnostic(s) not shown"),
        "{err}"
    );
    assert!(err.contains("10000 error(s)"));
    assert!(err.lines().count() < 3_000, "{} lines", err.lines().count());
    let o = run(&["check", "--max-diagnostics", "0", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(10_000));
}
