#!/usr/bin/env bash
# Benchmark of `pipec lint` on hostile inputs under 1 MB: peak memory (goal
# under 100 MB) and CPU time (goal under 1 s) of each, one run each.
#
#   scripts/bench-lint-bounds.sh
#
# The inputs are written to target/bench-lint-bounds: one large scalar
# behind 3,000 aliases, mappings of 40,000 and 85,000 keys, 10,000 duplicate
# keys, a workflow of 10,000 jobs with 20,000 findings, GitLab `extends`
# eight ways eleven deep, one large template extended 20,000 times, and
# 30,000 jobs in two stages. tests/lint_bounds.rs checks what the bounds do;
# this script measures what they cost. docs/performance.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-lint-bounds
mkdir -p "$out"
python3 - "$out" <<'PY'
import sys
d = sys.argv[1]
def w(name, text):
    open(f"{d}/{name}", "w").write(text)
w("alias.yaml", 'a: &a "%s"\nb: [%s]\n' % ("x" * 300_000, ", ".join(["*a"] * 3000)))
w("keys40k.yaml", "".join(f"k{i}: v\n" for i in range(40_000)))
w("keys85k.yaml", "".join(f"key{i:06}: v\n" for i in range(85_000)))
w("dups.yaml", "k: v\n" * 10_000)
w("jobs.yml", "on: push\njobs:\n" + "".join(
    f"  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{{{ github.event.issue.title }}}}\n"
    for i in range(10_000)))
t = ".t0:\n  script:\n    - echo hi\n"
for i in range(1, 12):
    t += f".t{i}:\n  extends: [{', '.join([f'.t{i-1}'] * 8)}]\n"
w("extends.gitlab-ci.yml", t + "job:\n  extends: .t11\n  script: [make]\n")
w("wide.gitlab-ci.yml", ".big:\n  script:\n" + "".join(f"    - echo {'x' * 60}\n" for _ in range(4000))
  + "".join(f"j{i}:\n  extends: .big\n" for i in range(20_000)))
w("stages.gitlab-ci.yml", "stages: [a, b]\n" + "".join(f"a{i}: {{stage: a, script: x}}\n" for i in range(15_000))
  + "".join(f"b{i}: {{stage: b, script: x}}\n" for i in range(15_000)))
PY
cargo build --release --quiet -p pipec --bin pipec
printf '%-24s %9s %9s %9s\n' input bytes "cpu s" "peak MB"
for f in "$out"/*; do
    /usr/bin/time -o "$out.time" -f '%U %S %M' target/release/pipec lint "$f" --format json \
        > /dev/null 2>&1 || true
    read -r user sys kb <<< "$(tail -1 "$out.time")"
    printf '%-24s %9s %9.2f %9.1f\n' "$(basename "$f")" "$(wc -c < "$f")" \
        "$(echo "$user + $sys" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
done
