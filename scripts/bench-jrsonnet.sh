#!/usr/bin/env bash
# Benchmark of `pipec build` of examples/flask-api on disk against jrsonnet
# writing the same files (issue 14: pipec at most 1.0x jrsonnet's CPU time).
#
#   scripts/install-bench-tools.sh      # once: the pinned jrsonnet
#   scripts/bench-jrsonnet.sh [RUNS]    # 20 runs of each by default
#
# Under target/bench-jrsonnet it builds the example with the release pipec,
# then writes a Jsonnet program that produces the same files: each generated
# YAML file's documents as Jsonnet data, turned back into YAML text by
# std.manifestYamlDoc / std.manifestYamlStream, the manifest by
# std.manifestJsonEx, all written by `jrsonnet --multi`. jrsonnet thus
# evaluates and serializes the same data and writes as many files; it does
# not parse, check or lower a program, and writes no headers or comments, so
# the ratio favours it. Each run starts from an empty output directory; the
# script prints the median CPU time and the peak memory of each and the
# ratio. docs/performance.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
jrsonnet="${PIPEC_TOOLS:-$PWD/.tools}/bench/bin/jrsonnet"
[ -x "$jrsonnet" ] || { echo "no jrsonnet at $jrsonnet: run scripts/install-bench-tools.sh" >&2; exit 2; }
python="${PIPEC_TOOLS:-$PWD/.tools}/bin/python"  # the tools' venv has PyYAML

cargo build --release --quiet --locked -p pipec --bin pipec
pipec="$PWD/target/release/pipec"
out="$PWD/target/bench-jrsonnet"
rm -rf "$out"
mkdir -p "$out/pipec" "$out/jsonnet"
cp -R examples/flask-api "$out/pipec/ci"
(cd "$out/pipec" && "$pipec" build -q ci)
files=$(cd "$out/pipec" && find . -type f ! -path './ci/*' | sed 's|^\./||' | sort)

"$python" - "$out/pipec" $files > "$out/jsonnet/flask-api.jsonnet" <<'PY'
import json, sys, yaml
root, paths = sys.argv[1], sys.argv[2:]
print("// The files `pipec build` writes for examples/flask-api, as data.")
print("{")
for p in paths:
    text = open(f"{root}/{p}", encoding="utf-8").read()
    if p.endswith(".json"):
        body = f"std.manifestJsonEx({json.dumps(json.loads(text))}, '  ') + '\\n'"
    else:
        docs = [d for d in yaml.safe_load_all(text)]
        data = json.dumps(docs if len(docs) > 1 else docs[0])
        if len(docs) > 1:
            body = f"std.manifestYamlStream({data}, indent_array_in_object=true, quote_keys=false)"
        else:
            body = f"std.manifestYamlDoc({data}, indent_array_in_object=true, quote_keys=false) + '\\n'"
    print(f"  {json.dumps(p)}: {body},")
print("}")
PY

# The CPU time of one process is a few milliseconds, under the 10 ms
# resolution of /usr/bin/time: `perf stat` (linux-perf) counts task-clock,
# in rounds of 5 runs, the two tools alternating, each run after --pre
# empties the output directory. Peak memory from one /usr/bin/time run.
command -v perf > /dev/null || { echo "needs perf (Debian: linux-perf)" >&2; exit 2; }
rounds=$(( (runs + 4) / 5 ))
cpu_ms() { # mean task-clock in ms over 5 runs of "$@", after "$pre"
    perf stat -r 5 --pre "$pre" -x, -e task-clock -- "$@" 2>&1 > /dev/null | awk -F, '/task-clock/ {print $1}'
}
peak_kb() { /usr/bin/time -f '%M' -o "$out/time" "$@" > /dev/null 2>&1; tail -1 "$out/time"; }
: > "$out/pipec.txt"
: > "$out/jrsonnet.txt"
for ((i = 0; i < rounds; i++)); do
    pre="find $out/pipec -mindepth 1 -maxdepth 1 ! -name ci -exec rm -rf {} +"
    (cd "$out/pipec" && cpu_ms "$pipec" build -q ci) >> "$out/pipec.txt"
    pre="rm -rf $out/jsonnet/files"
    cpu_ms "$jrsonnet" --create-output-dirs -S -m "$out/jsonnet/files" "$out/jsonnet/flask-api.jsonnet" >> "$out/jrsonnet.txt"
done
find "$out/pipec" -mindepth 1 -maxdepth 1 ! -name ci -exec rm -rf {} +
p_kb=$(cd "$out/pipec" && peak_kb "$pipec" build -q ci)
rm -rf "$out/jsonnet/files"
j_kb=$(peak_kb "$jrsonnet" --create-output-dirs -S -m "$out/jsonnet/files" "$out/jsonnet/flask-api.jsonnet")
n=$(cd "$out/jsonnet/files" && find . -type f | wc -l)
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
p_ms=$(median "$out/pipec.txt")
j_ms=$(median "$out/jrsonnet.txt")
echo "flask-api: $(echo "$files" | wc -l) files by pipec, $n by jrsonnet; $rounds rounds of 5 runs each; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s median %6.2f ms CPU, %5.1f MB peak\n' pipec "$p_ms" "$(echo "$p_kb / 1024" | bc -l)" jrsonnet "$j_ms" "$(echo "$j_kb / 1024" | bc -l)"
awk -v p="$p_ms" -v j="$j_ms" 'BEGIN { printf "pipec / jrsonnet = %.2f (CPU)\n", p / j }'
