#!/usr/bin/env bash
# Draws N findings of `pipec lint` on the real files of tests/corpus at
# random, each with the lines around it, for judging by hand whether it is
# true (docs/lint-precision.md records a judged sample).
#
#   scripts/lint-sample.sh [N] [SEED] [RULE…]   # 100 findings, seed 1
#
# The same N and SEED draw the same findings from the same findings list.
# With RULE arguments (PIPE203 …), only their findings are drawn from.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100}"
seed="${2:-1}"
shift $(($# < 2 ? $# : 2))
cargo build --release --quiet -p pipec --bin pipec
target/release/pipec lint tests/corpus --format json --max-diagnostics 0 > target/lint-corpus.json || true
python3 - "$n" "$seed" "$@" <<'PY'
import json, random, sys
n, seed, rules = int(sys.argv[1]), int(sys.argv[2]), set(sys.argv[3:])
findings = json.load(open("target/lint-corpus.json"))["findings"]
pool = [f for f in findings if not rules or f["code"] in rules]
random.Random(seed).shuffle(pool)
for i, f in enumerate(pool[:n], 1):
    print(f"### {i}. {f['code']} {f['name']} — {f['file']}:{f['line']}")
    print(f"{f['message']}")
    lines = open(f["file"], encoding="utf-8", errors="replace").read().split("\n")
    lo, hi = max(0, f["line"] - 4), min(len(lines), f["line"] + 3)
    for k in range(lo, hi):
        mark = ">" if k + 1 == f["line"] else " "
        print(f"{mark}{k + 1:5} | {lines[k]}")
    print()
print(f"{min(n, len(pool))} of {len(pool)} findings drawn (seed {seed})", file=sys.stderr)
PY
