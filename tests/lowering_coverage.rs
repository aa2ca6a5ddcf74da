//! Lowering coverage: every statement of the language reaches every target
//! that can express it, or is refused with a code.
//!
//! [`CASES`] holds, for each statement of each kind of block, a program using
//! it with a literal value and one using it with a value known only when the
//! pipeline runs (`{{ matrix.* }}`, `{{ inputs.* }}`, `{{ ci.* }}`), and what
//! each target must make of them: show a given text in its files, report a
//! code, or — for targets that do not read that kind of block — show nothing
//! of the value. The table is checked against the statements the checker
//! accepts (`pipec_check::vocabularies`) and the statement tables of
//! docs/language.md, so a statement added to either without a row here fails
//! the test, as does a target that stops carrying a value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};

/// The targets, in the order of [`Case::lit`] and [`Case::rt`].
const TARGETS: [&str; 5] = ["github", "gitlab", "kustomize", "argocd", "pre-commit"];

/// What a target makes of a statement.
///
/// - `has:TEXT` — the target's files contain TEXT (several joined by ` && `);
/// - `lacks:TEXT` — they do not contain it (what an `exclude` removes);
/// - `err:CODE` — building the target reports CODE;
/// - `-` — the target does not read this kind of block: none of its files
///   shows the value's marker `zq1`.
type Expect = &'static str;

/// A statement, with a literal and a run-time value.
struct Case {
    /// The block it is written in, as `pipec_check::vocabularies` names it.
    block: &'static str,
    head: &'static str,
    /// The statement with a literal value holding the marker `zq1`.
    literal: &'static str,
    lit: [Expect; 5],
    /// The statement with a run-time value.
    runtime: &'static str,
    /// What the targets make of it, or `Refused(CODE)` when the checker
    /// refuses it (a value that must be known before the run, or a
    /// statement whose value is not text).
    rt: Runtime,
}

enum Runtime {
    Targets([Expect; 5]),
    Refused(&'static str),
}

use Runtime::{Refused, Targets};

/// Blocks that hold only declarations and blocks of their own, each
/// covered by the cases of that block.
const BLOCKS: &[(&str, &str)] = &[
    ("a file", "use"),
    ("a file", "pipeline"),
    ("a file", "template"),
    ("a file", "environment"),
    ("a file", "service"),
    ("a file", "policy"),
    ("a file", "gitops"),
    ("a pipeline", "job"),
    ("a pipeline", "image"),
    ("a pipeline", "publish"),
];

const NONE: [Expect; 5] = ["-", "-", "-", "-", "-"];

const CASES: &[Case] = &[
    // ---- a pipeline ----
    Case {
        block: "a pipeline",
        head: "on",
        literal: r#"on push to ["zq1-branch"]"#,
        lit: ["has:zq1-branch", "has:^zq1-branch$", "-", "-", "-"],
        runtime: r#"on push to ["{{ ci.sha }}"]"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a pipeline",
        head: "on",
        literal: r#"on schedule "17 3 * * *""#,
        lit: ["has:cron: '17 3 * * *'", "has:schedule", "-", "-", "-"],
        runtime: r#"on schedule "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a pipeline",
        head: "on",
        literal: r#"on dispatch(zqin: string = "zq1-default")"#,
        lit: [
            "has:default: zq1-default",
            "has:value: zq1-default",
            "-",
            "-",
            "-",
        ],
        runtime: r#"on dispatch(zqin: string = "{{ ci.sha }}")"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a pipeline",
        head: "env",
        literal: r#"env { ZQV: "zq1-env" }"#,
        lit: ["has:ZQV: zq1-env", "has:ZQV: zq1-env", "-", "-", "-"],
        runtime: r#"env { ZQV: "zq1-{{ inputs.who }}" }"#,
        rt: Targets([
            "has:ZQV: zq1-${{ inputs.who }}",
            "has:ZQV: zq1-${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    // ---- a job ----
    Case {
        block: "a job",
        head: "after",
        literal: "after prepper",
        // GitLab: `prepper` (stage `other`) before `t` (stage `lint`).
        lit: [
            "has:needs:\n      - prepper",
            "has:stages:\n  - other\n  - lint",
            "-",
            "-",
            "-",
        ],
        runtime: r#"after "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a job",
        head: "when",
        literal: r#"when branch "zq1-branch""#,
        lit: [
            "has:refs/heads/zq1-branch",
            "has:^zq1-branch$",
            "-",
            "-",
            "-",
        ],
        runtime: r#"when branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a job",
        head: "timeout",
        literal: "timeout 17m",
        lit: [
            "has:timeout-minutes: 17",
            "has:timeout: '17m'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"timeout "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a job",
        head: "duration",
        // A planning figure for the critical-path budget, which the policy
        // rules read; no CI system has a field for it.
        literal: "duration 17m",
        lit: NONE,
        runtime: r#"duration "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a job",
        head: "runs_on",
        literal: r#"runs_on "zq1-runner""#,
        lit: ["has:runs-on: zq1-runner", "has:- zq1-runner", "-", "-", "-"],
        runtime: r#"runs_on "zq1-{{ matrix.os }}""#,
        rt: Targets([
            "has:runs-on: zq1-${{ matrix.os }}",
            "has:- zq1-${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "title",
        literal: r#"title "zq1 title""#,
        lit: ["has:name: zq1 title", "has:# zq1 title", "-", "-", "-"],
        runtime: r#"title "zq1 {{ matrix.os }}""#,
        rt: Targets([
            "has:name: zq1 ${{ matrix.os }}",
            "has:# zq1 ${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "allow_failure",
        literal: "allow_failure",
        lit: [
            "has:continue-on-error: true",
            "has:allow_failure: true",
            "-",
            "-",
            "-",
        ],
        runtime: r#"allow_failure "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a job",
        head: "tool",
        literal: r#"tool node "17.1""#,
        lit: ["has:node-version: '17.1'", "has:node:17.1", "-", "-", "-"],
        runtime: r#"tool node "{{ inputs.who }}""#,
        rt: Targets([
            "has:node-version: ${{ inputs.who }}",
            "has:node:${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "container",
        literal: r#"container "zq1/img:1""#,
        lit: [
            "has:container: zq1/img:1",
            "has:image: zq1/img:1",
            "-",
            "-",
            "-",
        ],
        runtime: r#"container "zq1/img:{{ matrix.os }}""#,
        rt: Targets([
            "has:container: zq1/img:${{ matrix.os }}",
            "has:image: zq1/img:${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "service",
        literal: r#"service db "zq1/db:1" { env { ZQV: "zq1-env" }, port 5432 }"#,
        lit: [
            "has:image: zq1/db:1 && ZQV: zq1-env && 5432",
            "has:name: zq1/db:1 && ZQV: zq1-env",
            "-",
            "-",
            "-",
        ],
        runtime: r#"service db "zq1/db:{{ matrix.os }}" { env { ZQV: "zq1-{{ matrix.os }}" }, port 5432 }"#,
        rt: Targets([
            "has:image: zq1/db:${{ matrix.os }} && ZQV: zq1-${{ matrix.os }}",
            "has:name: zq1/db:${PIPEC_MATRIX_OS} && ZQV: zq1-${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "env",
        literal: r#"env { ZQV: "zq1-env" }"#,
        lit: ["has:ZQV: zq1-env", "has:ZQV: zq1-env", "-", "-", "-"],
        runtime: r#"env { ZQV: "zq1-{{ matrix.os }}" }"#,
        rt: Targets([
            "has:ZQV: zq1-${{ matrix.os }}",
            "has:ZQV: zq1-${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "cache",
        literal: r#"cache npm keyed "zq1.lock""#,
        lit: ["has:'zq1.lock'", "has:- zq1.lock", "-", "-", "-"],
        runtime: r#"cache npm keyed "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a job",
        head: "step",
        literal: r#"step "zq1 step" run "echo zq1-script""#,
        lit: [
            "has:name: zq1 step && echo zq1-script",
            "has:# zq1 step && echo zq1-script",
            "-",
            "-",
            "has:zq1 step && echo zq1-script",
        ],
        runtime: r#"step "zq1 {{ matrix.os }}" run "echo zq1-{{ matrix.os }}""#,
        // A hook runs on a developer's machine, outside any run: steps that
        // need a value of the run stay in CI (docs/targets/pre-commit.md).
        rt: Targets([
            "has:name: zq1 ${{ matrix.os }} && echo zq1-\"${PIPEC_MATRIX_OS}\"",
            "has:# zq1 ${PIPEC_MATRIX_OS} && echo zq1-\"${PIPEC_MATRIX_OS:-}\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "run",
        literal: r#"run "echo zq1-run""#,
        lit: [
            "has:echo zq1-run",
            "has:echo zq1-run",
            "-",
            "-",
            "has:echo zq1-run",
        ],
        runtime: r#"run "echo zq1-{{ inputs.who }}""#,
        rt: Targets([
            "has:echo zq1-\"${PIPEC_INPUT_WHO}\" && PIPEC_INPUT_WHO: ${{ inputs.who }}",
            "has:echo zq1-\"${PIPEC_INPUT_WHO:-}\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "artifact",
        literal: r#"artifact "zq1-dist/" expire 3d"#,
        lit: [
            "has:path: zq1-dist/ && retention-days: 3",
            "has:- zq1-dist/ && expire_in: '72h'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"artifact "zq1-{{ matrix.os }}/""#,
        rt: Targets([
            "has:path: zq1-${{ matrix.os }}/",
            "has:- zq1-${PIPEC_MATRIX_OS}/",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "report",
        literal: r#"report coverage "zq1-cov.xml" min 81%"#,
        lit: [
            "has:path: zq1-cov.xml",
            "has:path: zq1-cov.xml",
            "-",
            "-",
            "-",
        ],
        runtime: r#"report coverage "zq1-{{ inputs.who }}.xml" min 81%"#,
        rt: Targets([
            "has:path: zq1-${{ inputs.who }}.xml",
            "has:path: zq1-${PIPEC_INPUT_WHO}.xml",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job",
        head: "matrix",
        literal: r#"matrix { zqaxis: ["zq1-a", "zq1-b"] }"#,
        lit: [
            "has:- zq1-a && - zq1-b",
            "has:- zq1-a && - zq1-b",
            "-",
            "-",
            "-",
        ],
        runtime: r#"matrix { zqaxis: ["{{ ci.sha }}"] }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a job",
        head: "include",
        literal: r#"include { os: "zq1-os" }"#,
        lit: [
            "has:os: zq1-os",
            "has:PIPEC_MATRIX_OS: zq1-os",
            "-",
            "-",
            "-",
        ],
        runtime: r#"include { os: "{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a job",
        head: "exclude",
        // GitLab's `parallel: matrix` has no exclude: pipec lists the
        // combinations that are left.
        literal: r#"exclude { os: "mac" }"#,
        lit: [
            "has:exclude:\n          - os: mac",
            "lacks:- mac",
            "-",
            "-",
            "-",
        ],
        runtime: r#"exclude { os: "{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a job",
        head: "role",
        // GitHub Actions has no kinds of jobs; the role decides the GitLab
        // stage, the pre-commit hooks and the policy rules.
        literal: "role image_scan",
        lit: ["-", "has:stage: security", "-", "-", "-"],
        runtime: r#"role "{{ inputs.who }}""#,
        rt: Refused("E0208"),
    },
    Case {
        block: "a job",
        head: "run_if",
        literal: "run_if always",
        lit: ["has:!cancelled()", "has:when: always", "-", "-", "-"],
        runtime: r#"run_if "{{ inputs.who }}""#,
        rt: Refused("E0208"),
    },
    Case {
        block: "a job",
        head: "load",
        literal: "load loadme",
        lit: [
            "has:docker load --input loadme.tar",
            "has:loadme.tar",
            "-",
            "-",
            "-",
        ],
        runtime: r#"load "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a job",
        head: "history",
        literal: "history full",
        lit: ["has:fetch-depth: 0", "has:GIT_DEPTH: '0'", "-", "-", "-"],
        runtime: r#"history "{{ inputs.who }}""#,
        rt: Refused("E0208"),
    },
    // ---- a job service ----
    Case {
        block: "a job service",
        head: "env",
        literal: r#"env { ZQS: "zq1-service" }"#,
        lit: [
            "has:ZQS: zq1-service",
            "has:ZQS: zq1-service",
            "-",
            "-",
            "-",
        ],
        runtime: r#"env { ZQS: "zq1-{{ matrix.os }}" }"#,
        rt: Targets([
            "has:ZQS: zq1-${{ matrix.os }}",
            "has:ZQS: zq1-${PIPEC_MATRIX_OS}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a job service",
        head: "port",
        literal: "port 17017",
        lit: ["has:17017:17017", "has:alias: zqdb", "-", "-", "-"],
        runtime: r#"port "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    // ---- an image ----
    Case {
        block: "an image",
        head: "dockerfile",
        literal: r#"dockerfile "zq1/Dockerfile""#,
        lit: [
            "has:file: zq1/Dockerfile",
            "has:--file 'zq1/Dockerfile'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"dockerfile "zq1/{{ inputs.who }}/Dockerfile""#,
        rt: Targets([
            "has:file: zq1/${{ inputs.who }}/Dockerfile",
            "has:--file \"zq1/${PIPEC_INPUT_WHO:-}/Dockerfile\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "context",
        literal: r#"context "zq1-dir""#,
        lit: ["has:context: zq1-dir", "has:'zq1-dir'", "-", "-", "-"],
        runtime: r#"context "zq1-{{ inputs.who }}""#,
        rt: Targets([
            "has:context: zq1-${{ inputs.who }}",
            "has:\"zq1-${PIPEC_INPUT_WHO:-}\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "target",
        literal: r#"target "zq1-stage""#,
        lit: [
            "has:target: zq1-stage",
            "has:--target 'zq1-stage'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"target "zq1-{{ ci.ref_name }}""#,
        rt: Targets([
            "has:target: zq1-${{ github.head_ref || github.ref_name }}",
            "has:--target \"zq1-${CI_COMMIT_REF_NAME:-}\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "build_args",
        literal: r#"build_args { ZQARG: "zq1-arg" }"#,
        lit: ["has:ZQARG=zq1-arg", "has:ZQARG=zq1-arg", "-", "-", "-"],
        runtime: r#"build_args { ZQARG: "zq1-{{ ci.sha }}" }"#,
        rt: Targets([
            "has:ZQARG=zq1-${{ github.sha }}",
            "has:\"ZQARG=zq1-${CI_COMMIT_SHA:-}\"",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "platforms",
        literal: r#"platforms ["linux/zq1"]"#,
        lit: [
            "has:platforms: linux/zq1",
            "has:--platform 'linux/zq1'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"platforms ["linux/{{ inputs.who }}"]"#,
        rt: Refused("E0213"),
    },
    // ---- a publish rule ----
    Case {
        block: "a publish rule",
        head: "tags",
        literal: r#"tags [sha, "zq1-tag"]"#,
        lit: ["has:echo 'zq1-tag'", "has:echo 'zq1-tag'", "-", "-", "-"],
        runtime: r#"tags [sha, "zq1-{{ ci.run_id }}"]"#,
        rt: Targets([
            "has:zq1-$(pipec_tag_value \"${PIPEC_RUN_ID:-}\") && PIPEC_RUN_ID: ${{ github.run_id }}",
            "has:zq1-$(pipec_tag_value \"${PIPEC_RUN_ID:-}\") && PIPEC_RUN_ID: ${CI_PIPELINE_ID}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a publish rule",
        head: "cache",
        // The layer cache kept in the registry, under `buildcache`.
        literal: "cache registry\n    tags [sha, branch]",
        lit: ["has:buildcache", "has:--cache-from", "-", "-", "-"],
        runtime: r#"cache "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an image",
        head: "after",
        literal: r#"after prep"#,
        lit: ["has:- prep", "has:stages:", "-", "-", "-"],
        runtime: r#"after "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an image",
        head: "when",
        literal: r#"when branch "zq1-branch""#,
        lit: [
            "has:refs/heads/zq1-branch",
            "has:^zq1-branch$",
            "-",
            "-",
            "-",
        ],
        runtime: r#"when branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an image",
        head: "timeout",
        literal: r#"timeout 17m"#,
        lit: [
            "has:timeout-minutes: 17",
            "has:timeout: '17m'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"timeout "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an image",
        head: "duration",
        literal: r#"duration 17m"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"duration "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an image",
        head: "runs_on",
        literal: r#"runs_on "zq1-runner""#,
        lit: ["has:runs-on: zq1-runner", "has:- zq1-runner", "-", "-", "-"],
        runtime: r#"runs_on "zq1-{{ inputs.who }}""#,
        rt: Targets([
            "has:runs-on: zq1-${{ inputs.who }}",
            "has:- zq1-${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "title",
        literal: r#"title "zq1 title""#,
        lit: ["has:name: zq1 title", "has:# zq1 title", "-", "-", "-"],
        runtime: r#"title "zq1 {{ inputs.who }}""#,
        rt: Targets([
            "has:name: zq1 ${{ inputs.who }}",
            "has:# zq1 ${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "an image",
        head: "allow_failure",
        literal: r#"allow_failure"#,
        lit: [
            "has:continue-on-error: true",
            "has:allow_failure: true",
            "-",
            "-",
            "-",
        ],
        runtime: r#"allow_failure "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a publish rule",
        head: "after",
        literal: r#"after prep"#,
        lit: ["has:- prep", "has:stages:", "-", "-", "-"],
        runtime: r#"after "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a publish rule",
        head: "when",
        literal: r#"when branch "zq1-branch""#,
        lit: [
            "has:refs/heads/zq1-branch",
            "has:^zq1-branch$",
            "-",
            "-",
            "-",
        ],
        runtime: r#"when branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a publish rule",
        head: "timeout",
        literal: r#"timeout 17m"#,
        lit: [
            "has:timeout-minutes: 17",
            "has:timeout: '17m'",
            "-",
            "-",
            "-",
        ],
        runtime: r#"timeout "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a publish rule",
        head: "duration",
        literal: r#"duration 17m"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"duration "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a publish rule",
        head: "runs_on",
        literal: r#"runs_on "zq1-runner""#,
        lit: ["has:runs-on: zq1-runner", "has:- zq1-runner", "-", "-", "-"],
        runtime: r#"runs_on "zq1-{{ inputs.who }}""#,
        rt: Targets([
            "has:runs-on: zq1-${{ inputs.who }}",
            "has:- zq1-${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a publish rule",
        head: "title",
        literal: r#"title "zq1 title""#,
        lit: ["has:name: zq1 title", "has:# zq1 title", "-", "-", "-"],
        runtime: r#"title "zq1 {{ inputs.who }}""#,
        rt: Targets([
            "has:name: zq1 ${{ inputs.who }}",
            "has:# zq1 ${PIPEC_INPUT_WHO}",
            "-",
            "-",
            "-",
        ]),
    },
    Case {
        block: "a publish rule",
        head: "allow_failure",
        literal: r#"allow_failure"#,
        lit: [
            "has:continue-on-error: true",
            "has:allow_failure: true",
            "-",
            "-",
            "-",
        ],
        runtime: r#"allow_failure "{{ inputs.who }}""#,
        rt: Refused("E0201"),
    },
    // ---- an environment ----
    Case {
        block: "an environment",
        head: "namespace",
        literal: r#"namespace "zq1-ns""#,
        lit: [
            "-",
            "-",
            "has:namespace: zq1-ns",
            "has:namespace: zq1-ns",
            "-",
        ],
        runtime: r#"namespace "zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "url",
        literal: r#"url "https://zq1.example.com""#,
        lit: [
            "has:url: https://zq1.example.com",
            "has:url: https://zq1.example.com",
            "-",
            "has:https://zq1.example.com",
            "-",
        ],
        runtime: r#"url "https://zq1-{{ ci.sha }}.example.com""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "tier",
        literal: r#"tier testing"#,
        lit: ["-", "has:deployment_tier: testing", "-", "-", "-"],
        runtime: r#"tier "{{ ci.sha }}""#,
        rt: Refused("E0208"),
    },
    Case {
        block: "an environment",
        head: "replicas",
        literal: r#"replicas 17"#,
        lit: ["-", "-", "has:count: 17", "-", "-"],
        runtime: r#"replicas "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an environment",
        head: "resources",
        literal: r#"resources { cpu 170m..340m, memory 170Mi..340Mi }"#,
        lit: [
            "-",
            "-",
            "has:cpu: '170m' && cpu: '340m' && memory: '170Mi' && memory: '340Mi'",
            "-",
            "-",
        ],
        runtime: r#"resources { cpu "{{ ci.sha }}" }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an environment",
        head: "autoscale",
        literal: r#"autoscale { replicas 2..17, cpu 71% }"#,
        lit: [
            "-",
            "-",
            "has:maxReplicas: 17 && averageUtilization: 71",
            "-",
            "-",
        ],
        runtime: r#"autoscale { replicas "{{ ci.sha }}", cpu 71% }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an environment",
        head: "config",
        literal: r#"config { ZQCFG: "zq1-cfg" }"#,
        lit: ["-", "-", "has:ZQCFG=zq1-cfg", "-", "-"],
        runtime: r#"config { ZQCFG: "zq1-{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "approvals",
        literal: r#"approvals 2"#,
        lit: [
            "has:Approval 1 of 2 && 2 approvals",
            "has:when: manual",
            "-",
            "-",
            "-",
        ],
        runtime: r#"approvals "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an environment",
        head: "promote",
        literal: r#"promote from qa"#,
        lit: ["has:- deploy_qa", "has:deploy_qa", "-", "-", "-"],
        runtime: r#"promote from "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "an environment",
        head: "deploy",
        literal: r#"deploy on branch "zq1-branch""#,
        lit: [
            "has:refs/heads/zq1-branch",
            "has:^zq1-branch$",
            "-",
            "-",
            "-",
        ],
        runtime: r#"deploy on branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "on",
        literal: r#"on branch "zq1-branch""#,
        lit: [
            "has:refs/heads/zq1-branch",
            "has:^zq1-branch$",
            "-",
            "-",
            "-",
        ],
        runtime: r#"on branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "sync",
        literal: r#"sync automatic { prune }"#,
        lit: ["-", "-", "-", "has:prune: true", "-"],
        runtime: r#"sync "{{ ci.sha }}""#,
        rt: Refused("E0112"),
    },
    Case {
        block: "an environment",
        head: "revision",
        literal: r#"revision "zq1-rev""#,
        lit: ["-", "-", "-", "has:targetRevision: zq1-rev", "-"],
        runtime: r#"revision "zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "an environment",
        head: "notify",
        literal: r##"notify slack "#zq1-chan""##,
        lit: ["-", "-", "-", "has:slack: zq1-chan", "-"],
        runtime: r##"notify slack "#{{ ci.sha }}""##,
        rt: Refused("E0213"),
    },
    // ---- a service ----
    Case {
        block: "a service",
        head: "image",
        literal: r#"image app"#,
        lit: ["-", "-", "has:ghcr.io/acme/app", "-", "-"],
        runtime: r#"image "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "port",
        literal: r#"port 8017"#,
        lit: ["-", "-", "has:containerPort: 8017", "-", "-"],
        runtime: r#"port "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "metrics",
        literal: r#"metrics "/zq1-metrics" port 9017"#,
        lit: ["-", "-", "has:/zq1-metrics && 9017", "-", "-"],
        runtime: r#"metrics "/zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a service",
        head: "probes",
        literal: r#"probes { live "/zq1-live", ready "/zq1-ready", startup "/zq1-start" }"#,
        lit: [
            "-",
            "-",
            "has:/zq1-live && /zq1-ready && /zq1-start",
            "-",
            "-",
        ],
        runtime: r#"probes { live "/zq1-{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a service",
        head: "resources",
        literal: r#"resources { cpu 170m..340m, memory 170Mi..340Mi }"#,
        lit: [
            "-",
            "-",
            "has:cpu: '170m' && cpu: '340m' && memory: '170Mi' && memory: '340Mi'",
            "-",
            "-",
        ],
        runtime: r#"resources { cpu "{{ ci.sha }}" }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "replicas",
        literal: r#"replicas 17"#,
        lit: ["-", "-", "has:replicas: 17", "-", "-"],
        runtime: r#"replicas "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "autoscale",
        literal: r#"autoscale { replicas 2..17, cpu 71% }"#,
        lit: [
            "-",
            "-",
            "has:maxReplicas: 17 && averageUtilization: 71",
            "-",
            "-",
        ],
        runtime: r#"autoscale { replicas "{{ ci.sha }}", cpu 71% }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "min_available",
        literal: r#"min_available 1"#,
        lit: ["-", "-", "has:minAvailable: 1", "-", "-"],
        runtime: r#"min_available "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "config",
        literal: r#"config { ZQSVC: "zq1-svc" }"#,
        lit: ["-", "-", "has:ZQSVC=zq1-svc", "-", "-"],
        runtime: r#"config { ZQSVC: "zq1-{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a service",
        head: "secrets",
        literal: r#"secrets { ZQSEC: secret("zq1-secret/key") }"#,
        lit: ["-", "-", "has:name: zq1-secret && key: key", "-", "-"],
        runtime: r#"secrets { ZQSEC: "{{ ci.sha }}" }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "ingress",
        literal: r#"ingress { host "zq1.example.com", path "/zq1", class "zq1-class", tls "zq1-tls" }"#,
        lit: [
            "-",
            "-",
            "has:host: zq1.example.com && path: /zq1 && ingressClassName: zq1-class && secretName: zq1-tls",
            "-",
            "-",
        ],
        runtime: r#"ingress { host "zq1-{{ ci.sha }}.example.com" }"#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a service",
        head: "deploy",
        literal: r#"deploy to [dev] via argocd"#,
        lit: [
            "has:deploy_dev",
            "has:deploy_dev",
            "-",
            "has:overlays/dev",
            "-",
        ],
        runtime: r#"deploy to "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "user",
        literal: r#"user 1717"#,
        lit: ["-", "-", "has:runAsUser: 1717", "-", "-"],
        runtime: r#"user "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a service",
        head: "migrate",
        literal: r#"migrate "echo zq1-migrate""#,
        lit: ["-", "-", "has:echo zq1-migrate", "-", "-"],
        runtime: r#"migrate "echo zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a service",
        head: "smoke_test",
        literal: r#"smoke_test "echo zq1-smoke""#,
        lit: ["-", "-", "has:echo zq1-smoke", "-", "-"],
        runtime: r#"smoke_test "echo zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    // ---- gitops ----
    Case {
        block: "gitops",
        head: "repo",
        literal: r#"repo "https://github.com/acme/zq1-deploy.git""#,
        lit: [
            "has:github.com/acme/zq1-deploy.git",
            "has:github.com/acme/zq1-deploy.git",
            "-",
            "has:repoURL: https://github.com/acme/zq1-deploy.git",
            "-",
        ],
        runtime: r#"repo "https://github.com/acme/{{ ci.sha }}.git""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "gitops",
        head: "branch",
        literal: r#"branch "zq1-branch""#,
        lit: [
            "has:zq1-branch",
            "has:zq1-branch",
            "-",
            "has:targetRevision: zq1-branch",
            "-",
        ],
        runtime: r#"branch "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "gitops",
        head: "path",
        literal: r#"path "zq1-path""#,
        lit: [
            "has:zq1-path/app/overlays",
            "has:zq1-path/app/overlays",
            "has:=== zq1-path/app/base",
            "has:path: zq1-path/app/overlays",
            "-",
        ],
        runtime: r#"path "zq1-{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "gitops",
        head: "token",
        literal: r#"token secret("ZQ1_TOKEN")"#,
        lit: ["has:secrets.ZQ1_TOKEN", "has:${ZQ1_TOKEN}", "-", "-", "-"],
        runtime: r#"token "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    // ---- policy: settings of the policy rules, which no target reads ----
    Case {
        block: "policy",
        head: "min_coverage",
        literal: r#"min_coverage 81%"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"min_coverage "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "policy",
        head: "prod_approvals",
        literal: r#"prod_approvals 2"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"prod_approvals "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "policy",
        head: "max_duration",
        literal: r#"max_duration 17m"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"max_duration "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "policy",
        head: "rule",
        literal: r#"rule PIPE104 warning"#,
        lit: ["-", "-", "-", "-", "-"],
        runtime: r#"rule PIPE104 "{{ ci.sha }}""#,
        rt: Refused("E0208"),
    },
];

/// A program with the statement `stmt` in a block of kind `block`.
fn program(block: &str, head: &str, stmt: &str) -> String {
    match block {
        "a pipeline" => {
            let base = if head == "on" {
                "on pull_request"
            } else {
                "on push\n  on dispatch(who: string = \"x\")"
            };
            format!("pipeline p {{\n  {base}\n  {stmt}\n  job t {{ run \"make test\" }}\n}}\n")
        }
        "a job" => {
            let matrix = if head == "matrix" {
                ""
            } else {
                "matrix { os: [\"linux\", \"mac\"] }\n    "
            };
            // A lint job: pre-commit reads the steps of local checks.
            let role = if head == "role" {
                ""
            } else {
                "role lint\n    "
            };
            format!(
                "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prepper {{ run \"make prep\" }}\n  image loadme {{ dockerfile \"Dockerfile\" }}\n  job t {{\n    {matrix}{role}{stmt}\n    run \"make check\"\n  }}\n}}\n"
            )
        }
        "a job service" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job t {{\n    matrix {{ os: [\"linux\"] }}\n    service zqdb \"postgres:16\" {{\n      {stmt}\n      {}\n    }}\n    run \"make check\"\n  }}\n}}\n",
            if head == "port" { "" } else { "port 5432" }
        ),
        "an image" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prep {{ run \"make prep\" }}\n  image app {{\n    {stmt}\n  }}\n  publish app to ghcr(\"acme/app\") {{ tags [sha] }}\n}}\n"
        ),
        "a publish rule" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prep {{ run \"make prep\" }}\n  image app {{ dockerfile \"Dockerfile\" }}\n  publish app to ghcr(\"acme/app\") {{\n    {stmt}\n  }}\n}}\n"
        ),
        "an environment" => {
            let mut dev = String::new();
            if head != "namespace" {
                dev.push_str("  namespace \"app-dev\"\n");
            }
            if !matches!(head, "promote" | "deploy" | "on") {
                dev.push_str("  promote from qa\n");
            }
            format!(
                "{DEPLOYED}environment qa {{\n  namespace \"app-qa\"\n  deploy on branch main\n}}\nenvironment dev {{\n{dev}  {stmt}\n}}\nservice app {{\n  image app\n  port 8000\n  resources {{ cpu 100m..200m, memory 100Mi..200Mi }}\n  deploy to [qa, dev] via argocd\n}}\n{GITOPS}"
            )
        }
        "a service" => {
            let mut body = String::new();
            for (h, s) in [
                ("image", "image app"),
                ("port", "port 8000"),
                // Autoscaling needs requests of the resource it scales on.
                ("resources", "resources { cpu 100m..200m }"),
                ("deploy", "deploy to [dev] via argocd"),
            ] {
                if head != h {
                    body.push_str(&format!("  {s}\n"));
                }
            }
            format!(
                "{DEPLOYED}environment dev {{\n  namespace \"app-dev\"\n  deploy on branch main\n}}\nservice app {{\n{body}  {stmt}\n}}\n{GITOPS}"
            )
        }
        "gitops" => {
            let mut body = String::new();
            for (h, s) in [
                ("repo", "repo \"https://github.com/acme/deploy.git\""),
                ("token", "token secret(\"GITOPS_TOKEN\")"),
            ] {
                if head != h {
                    body.push_str(&format!("  {s}\n"));
                }
            }
            format!(
                "{DEPLOYED}environment dev {{\n  namespace \"app-dev\"\n  deploy on branch main\n}}\nservice app {{\n  image app\n  port 8000\n  deploy to [dev] via argocd\n}}\ngitops {{\n{body}  {stmt}\n}}\n"
            )
        }
        "policy" => format!(
            "pipeline p {{\n  on push\n  job t {{ run \"make test\" }}\n}}\npolicy {{\n  {stmt}\n}}\n"
        ),
        other => panic!("no program for {other}"),
    }
}

/// A pipeline that builds and publishes the image services deploy.
const DEPLOYED: &str = "pipeline p {\n  on push\n  image app { dockerfile \"Dockerfile\" }\n  publish app to ghcr(\"acme/app\") { tags [sha] }\n}\n";

/// The GitOps repository Argo CD deployments need.
const GITOPS: &str = "gitops {\n  repo  \"https://github.com/acme/deploy.git\"\n  token secret(\"GITOPS_TOKEN\")\n}\n";

/// The root of the repository.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What building `source` gives: the checker's codes, and per target its
/// codes and the text of its files.
struct Built {
    checker: Vec<String>,
    targets: BTreeMap<&'static str, (Vec<String>, String)>,
}

fn build(source: &str) -> Built {
    let dir = Path::new("case");
    let fs = MemoryFs(BTreeMap::from([(
        dir.join("main.pipe"),
        source.to_string(),
    )]));
    let checked = check(dir, &fs).expect("the case is readable");
    let checker: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.to_string())
        .collect();
    let mut targets = BTreeMap::new();
    if let Some(program) = &checked.program {
        for t in TARGETS {
            let entry = match pipec::emit(program, &[t]) {
                Ok(tree) => (
                    Vec::new(),
                    tree.files()
                        .map(|f| format!("=== {}\n{}", f.path, f.body))
                        .collect::<String>(),
                ),
                Err(d) => (
                    d.iter().map(|d| d.code.to_string()).collect(),
                    String::new(),
                ),
            };
            targets.insert(t, entry);
        }
    }
    Built { checker, targets }
}

/// Checks one target against its expectation; the problem, if any.
fn expect(target: &str, want: Expect, got: &(Vec<String>, String)) -> Option<String> {
    let (codes, text) = got;
    if let Some(code) = want.strip_prefix("err:") {
        return (!codes.iter().any(|c| c == code))
            .then(|| format!("{target}: expected {code}, got {codes:?}"));
    }
    if !codes.is_empty() {
        return Some(format!("{target}: reported {codes:?}"));
    }
    if want == "-" {
        return text.contains("zq1").then(|| {
            format!("{target}: listed as not reading the statement, but shows it:\n{text}")
        });
    }
    if let Some(absent) = want.strip_prefix("lacks:") {
        return text
            .contains(absent)
            .then(|| format!("{target}: shows `{absent}`:\n{text}"));
    }
    let wanted = want.strip_prefix("has:").expect("has:, lacks:, err: or -");
    let missing: Vec<&str> = wanted.split(" && ").filter(|w| !text.contains(w)).collect();
    (!missing.is_empty()).then(|| format!("{target}: lacks {missing:?}:\n{text}"))
}

#[test]
fn every_statement_reaches_every_target_or_is_refused() {
    let mut problems = Vec::new();
    for case in CASES {
        let what = format!("{} `{}`", case.block, case.head);
        for (label, stmt, outcome) in [
            ("literal", case.literal, Targets(case.lit)),
            (
                "run-time",
                case.runtime,
                match &case.rt {
                    Targets(t) => Targets(*t),
                    Refused(c) => Refused(c),
                },
            ),
        ] {
            let built = build(&program(case.block, case.head, stmt));
            match outcome {
                Refused(code) => {
                    if !built.checker.iter().any(|c| c == code) {
                        problems.push(format!(
                            "{what}, {label} `{stmt}`: the checker should report {code}, reported {:?}",
                            built.checker
                        ));
                    }
                }
                Targets(expected) => {
                    if !built.checker.is_empty() {
                        problems.push(format!(
                            "{what}, {label} `{stmt}`: the checker reported {:?}",
                            built.checker
                        ));
                        continue;
                    }
                    for (i, t) in TARGETS.iter().enumerate() {
                        if let Some(p) = expect(t, expected[i], &built.targets[t]) {
                            problems.push(format!("{what}, {label} `{stmt}`: {p}"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The statements the table covers, by block.
fn covered() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in CASES {
        out.entry(c.block).or_default().insert(c.head);
    }
    for (block, head) in BLOCKS {
        out.entry(block).or_default().insert(head);
    }
    out
}

#[test]
fn the_table_covers_every_statement_the_checker_accepts() {
    let covered = covered();
    let mut missing = Vec::new();
    for (block, heads) in pipec_check::vocabularies() {
        for head in heads {
            if !covered.get(block).is_some_and(|c| c.contains(head)) {
                missing.push(format!("{block}: `{head}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "statements with no row in tests/lowering_coverage.rs: {}",
        missing.join(", ")
    );
}

/// The statement heads of the `| statement | … |` tables of
/// docs/language.md, by the block their section describes.
fn documented() -> BTreeMap<&'static str, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("docs/language.md")).expect("read docs");
    let sections = [
        ("## `pipeline`", "a pipeline"),
        ("## Jobs", "a job"),
        ("## Images", "an image"),
        ("## `environment`", "an environment"),
        ("## `service`", "a service"),
    ];
    let mut out: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut block = None;
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            block = sections.iter().find(|(h, _)| line == *h).map(|(_, b)| *b);
        }
        if line.starts_with("| statement |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let (Some(block), true) = (block, in_table) else {
            continue;
        };
        let first = line
            .split(" | ")
            .next()
            .unwrap_or("")
            .trim_start_matches("| ");
        for item in first.split("`, `") {
            let word: String = item
                .trim_matches('`')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                out.entry(block).or_default().insert(word);
            }
        }
    }
    out
}

#[test]
fn the_table_covers_every_statement_the_reference_documents() {
    let covered = covered();
    let documented = documented();
    assert!(
        documented.len() >= 5,
        "statement tables found: {documented:?}"
    );
    let mut missing = Vec::new();
    for (block, heads) in &documented {
        for head in heads {
            if !covered
                .get(block)
                .is_some_and(|c| c.contains(head.as_str()))
            {
                missing.push(format!("{block}: `{head}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "documented statements with no row in tests/lowering_coverage.rs: {}",
        missing.join(", ")
    );
}

#[test]
fn a_coverage_gate_stays_whatever_its_path_holds() {
    for path in [
        "coverage.xml",
        "cov-{{ inputs.who }}.xml",
        "cov-{{ matrix.os }}.xml",
    ] {
        let source = program(
            "a job",
            "report",
            &format!("report coverage \"{path}\" min 81%"),
        );
        let dir = Path::new("case");
        let fs = MemoryFs(BTreeMap::from([(dir.join("main.pipe"), source)]));
        let program = check(dir, &fs)
            .expect("readable")
            .program
            .expect("the program checks");
        let job = program.pipelines[0].job_named("t").expect("job t");
        let gate = job.run().and_then(|r| r.coverage_gate());
        assert_eq!(
            gate.map(|p| p.to_string()),
            Some("81".to_string()),
            "{path}"
        );
    }
}
