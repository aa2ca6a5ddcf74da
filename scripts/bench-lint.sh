#!/usr/bin/env bash
# Benchmark of `pipec lint` on 500 GitHub workflow files, against zizmor
# (offline) and actionlint on the same files, one run of each tool.
#
#   scripts/bench-lint.sh [N]        # N files, 500 by default
#
# The files are copies of the seed workflows and the GitHub lint fixtures
# (each with its own `name:`), written to target/bench-lint. Prints the
# wall-clock time of each tool and the ratios; docs/performance.md
# records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-500}"
export PATH="$PWD/.tools/bin:$PATH"

out=target/bench-lint
rm -rf "$out"
mkdir -p "$out/.github/workflows"
templates=(tests/fixtures/lint/seeds/000-deploy.yml tests/fixtures/lint/seeds/003-ci.yml)
for f in tests/fixtures/lint/github/*.yml; do
    case "$f" in *PIPE001*|*PIPE002*) continue ;; esac  # not valid workflows
    templates+=("$f")
done
for ((i = 0; i < n; i++)); do
    t="${templates[$((i % ${#templates[@]}))]}"
    dest="$(printf '%s/.github/workflows/wf-%03d.yml' "$out" "$i")"
    if grep -q '^name:' "$t"; then
        sed "s/^name: .*/name: workflow $i/" "$t" > "$dest"
    else
        { echo "name: workflow $i"; cat "$t"; } > "$dest"
    fi
done
echo "generated $n workflows from ${#templates[@]} templates in $out" >&2

cargo build --release --quiet -p pipec --bin pipec
pipec=target/release/pipec

time_of() { # prints seconds with millisecond precision
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l | awk '{printf "%.3f", $1}'
}

t_pipec=$(time_of "$pipec" lint "$out/.github/workflows" --format json)
t_zizmor=$(time_of zizmor --offline --no-config --format json "$out")
t_actionlint=$(time_of actionlint "$out"/.github/workflows/*.yml)

findings() { "$@" 2>/dev/null || true; }
f_pipec=$(findings "$pipec" lint "$out/.github/workflows" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
f_zizmor=$(findings zizmor --offline --no-config --format json "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
f_actionlint=$(findings actionlint "$out"/.github/workflows/*.yml | wc -l)

printf '%-12s %8s s %8s findings\n' pipec "$t_pipec" "$f_pipec" zizmor "$t_zizmor" "$f_zizmor" actionlint "$t_actionlint" "$f_actionlint"
awk -v p="$t_pipec" -v z="$t_zizmor" -v a="$t_actionlint" 'BEGIN {
    printf "zizmor / pipec     = %.1f\nactionlint / pipec = %.1f\n", z / p, a / p
}'
