//! Package publishing by trusted publishing (`upload pypi|npm`): what the
//! GitHub and GitLab jobs ask for (an OIDC token, nothing stored), zizmor's
//! `use-trusted-publishing` audit on the library example (and on a workflow
//! that uploads with a token, so the audit is known to look), and the
//! generated shell run against stub `python` and `npm` commands; releases of
//! pushed tags (`release`) in `publishing/releases.rs`.

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{emitted, program, program_from, run, scratch, tool};
use yaml_serde::Value;

const NPM: &str = r#"
use std.node

pipeline package {
  on push to main
  on tag "v*"

  job pack = node.pack()
  job publish = node.publish() {
    after pack
    when  release
  }
}
"#;

#[test]
fn pypi_on_github_is_pypas_action_with_an_oidc_token_and_no_password() {
    let p = program("python-library");
    let workflow = emitted(&p, &["github"], ".github/workflows/library.yml");
    let doc: Value = yaml_serde::from_str(&workflow).expect("YAML");
    let job = &doc["jobs"]["publish"];
    assert_eq!(job["permissions"]["id-token"], "write", "{workflow}");
    assert_eq!(job["permissions"]["contents"], "read", "{workflow}");
    let steps = job["steps"].as_sequence().expect("steps");
    let publish = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("pypa/gh-action-pypi-publish@"))
        })
        .expect("PyPA's action");
    let with = publish["with"].as_mapping().expect("with");
    assert_eq!(with.len(), 1, "only the folder, no password: {with:?}");
    assert_eq!(publish["with"]["packages-dir"], "dist/");
    // It publishes what `dist` built, downloaded into the same folder.
    assert!(
        steps
            .iter()
            .any(|s| s["with"]["pattern"] == "dist-artifacts*"),
        "{workflow}"
    );
    // Only release tags publish.
    assert!(
        job["if"]
            .as_str()
            .is_some_and(|c| c.contains("refs/tags/v")),
        "{workflow}"
    );
}

#[test]
fn zizmor_finds_no_use_for_trusted_publishing_in_the_library_example() {
    let Some(zizmor) = tool("zizmor") else {
        return;
    };
    let dir = scratch("publishing-zizmor");
    let p = program("python-library");
    let ours = emitted(&p, &["github"], ".github/workflows/library.yml");
    std::fs::write(dir.join("library.yml"), ours).expect("write");
    // The control: the same upload with a stored token.
    std::fs::write(
        dir.join("token.yml"),
        "on: push\npermissions: {}\njobs:\n  upload:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: twine upload dist/*\n        env:\n          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}\n",
    )
    .expect("write");
    let findings = |file: &str| -> Vec<String> {
        let out = run(
            &zizmor,
            &[
                "--offline",
                "--no-config",
                "--persona",
                "pedantic",
                "--format",
                "json",
                "-q",
                file,
            ],
            &dir,
        );
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        v.as_array()
            .expect("a list")
            .iter()
            .filter_map(|f| f["ident"].as_str().map(str::to_string))
            .collect()
    };
    assert!(
        findings("token.yml").contains(&"use-trusted-publishing".to_string()),
        "the audit looks at uploads"
    );
    let ours = findings("library.yml");
    assert!(ours.is_empty(), "{ours:?}");
}

#[test]
fn pypi_on_gitlab_exchanges_the_id_token_for_an_upload_token() {
    let p = program("python-library");
    let ci = emitted(&p, &["gitlab"], ".gitlab-ci.yml");
    let doc: Value = yaml_serde::from_str(&ci).expect("YAML");
    assert_eq!(doc["publish"]["id_tokens"]["PYPI_ID_TOKEN"]["aud"], "pypi");
    assert!(
        doc["publish"].get("interruptible").is_none(),
        "a started upload finishes"
    );
    let script = gitlab_script(&ci, "publish");

    let dir = scratch("publishing-pypi-gitlab");
    let bin = dir.join("bin");
    let log = dir.join("calls.log");
    std::fs::create_dir_all(dir.join("dist")).expect("dist");
    std::fs::write(dir.join("dist/lib-1.0.0.tar.gz"), "").expect("sdist");
    std::fs::write(dir.join("dist/lib-1.0.0-py3-none-any.whl"), "").expect("wheel");
    // `python -` reads the minting program from the script; the stub checks
    // it sends the ID token to PyPI's exchange and answers a token.
    stub(
        &bin,
        "python",
        &format!(
            "case \"$1 $2\" in\n\
             '-m pip') exit 0 ;;\n\
             '-m twine') echo \"twine $TWINE_USERNAME $TWINE_PASSWORD $*\" >> '{log}' ;;\n\
             *) program=$(cat); case \"$program\" in *mint-token*PYPI_ID_TOKEN*) echo short-lived ;; *) exit 9 ;; esac ;;\n\
             esac\n",
            log = log.display()
        ),
    );
    let out = run_sh(
        &script,
        &[("PYPI_ID_TOKEN", "oidc"), ("LC_ALL", "C")],
        &bin,
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out));
    let calls = std::fs::read_to_string(&log).expect("twine ran");
    assert_eq!(
        calls.trim(),
        "twine __token__ short-lived -m twine upload --non-interactive dist/lib-1.0.0-py3-none-any.whl dist/lib-1.0.0.tar.gz"
    );
}

#[test]
fn npm_publishes_every_tarball_with_provenance_on_both_targets() {
    let p = program_from(NPM);
    let workflow = emitted(&p, &["github"], ".github/workflows/package.yml");
    let doc: Value = yaml_serde::from_str(&workflow).expect("YAML");
    assert_eq!(doc["jobs"]["publish"]["permissions"]["id-token"], "write");
    let ci = emitted(&p, &["gitlab"], ".gitlab-ci.yml");
    let gl: Value = yaml_serde::from_str(&ci).expect("YAML");
    assert_eq!(
        gl["publish"]["id_tokens"]["NPM_ID_TOKEN"]["aud"],
        "npm:registry.npmjs.org"
    );
    assert_eq!(
        gl["publish"]["id_tokens"]["SIGSTORE_ID_TOKEN"]["aud"],
        "sigstore"
    );
    for (target, script) in [
        (
            "github",
            github_step(&workflow, "publish", "Publish to npm"),
        ),
        ("gitlab", gitlab_script(&ci, "publish")),
    ] {
        let dir = scratch(&format!("publishing-npm-{target}"));
        let bin = dir.join("bin");
        let log = dir.join("calls.log");
        stub(
            &bin,
            "npm",
            &format!("echo \"npm $*\" >> '{}'\n", log.display()),
        );
        // No tarball: the job fails rather than publish nothing.
        let out = run_sh(&script, &[], &bin, &dir);
        assert!(!out.status.success(), "{target}: {}", text(&out));
        assert!(text(&out).contains("no package tarball"), "{}", text(&out));

        std::fs::create_dir_all(dir.join("dist")).expect("dist");
        std::fs::write(dir.join("dist/a-1.0.0.tgz"), "").expect("tarball");
        std::fs::write(dir.join("dist/b-1.0.0.tgz"), "").expect("tarball");
        std::fs::remove_file(&log).ok();
        let out = run_sh(&script, &[], &bin, &dir);
        assert!(out.status.success(), "{target}: {}", text(&out));
        let calls = std::fs::read_to_string(&log).expect("npm ran");
        let calls: Vec<&str> = calls.lines().collect();
        assert_eq!(
            calls,
            [
                format!(
                    "npm install --global npm@{}",
                    pipec_emit::upload::NPM_VERSION
                )
                .as_str(),
                "npm publish --provenance --access public dist/a-1.0.0.tgz",
                "npm publish --provenance --access public dist/b-1.0.0.tgz",
            ],
            "{target}"
        );
    }
}

#[path = "publishing/releases.rs"]
mod releases;
