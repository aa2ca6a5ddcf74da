#!/usr/bin/env bash
# fuzz.sh: coverage-guided fuzzing with libFuzzer (see fuzz/) of three targets:
#   check        the compiler front end: parse, check, render diagnostics;
#   yaml_writer  the YAML writer: any string, as a value, key or comment,
#                reads back as itself and no comment becomes YAML;
#   lint         the linter: any YAML in, findings rendered in every format.
#
# Usage:
#   scripts/fuzz.sh [SECONDS]      fuzz for SECONDS in all (default 60): half
#                                  on check, a quarter each on yaml_writer and
#                                  lint; exit 1 on a crash, a stack overflow,
#                                  a hang or a leak
#   scripts/fuzz.sh --install      only install the pinned cargo-fuzz (used
#                                  for the AddressSanitizer build only)
# Environment:
#   PIPEC_TOOLS      where tools are installed (default <repo>/.tools);
#                    cargo-fuzz goes to $PIPEC_TOOLS/cargo-fuzz
#   PIPEC_FUZZ_ARGS  extra libFuzzer arguments (e.g. "-jobs=2 -workers=2")
#   PIPEC_FUZZ_SANITIZER
#                    none (default) or address
#
# The default build needs nothing beyond cargo: the target is built with the
# same coverage instrumentation flags cargo-fuzz passes for `--sanitizer
# none` (all stable rustc options), and libfuzzer-sys comes pinned through
# fuzz/Cargo.lock. The target is built in release mode with debug assertions
# and overflow checks, and libFuzzer reports panics, aborts (a stack overflow aborts the
# process), timeouts and excessive memory as crashes. The compiler has no
# `unsafe` code, so by default no sanitizer runs: that keeps to stable
# rustc's flags and roughly doubles the executions per second. With
# PIPEC_FUZZ_SANITIZER=address, AddressSanitizer also watches the
# dependencies' unsafe code; `-Zsanitizer` is a nightly flag, which stable
# rustc accepts under RUSTC_BOOTSTRAP=1 (set for that build only).
#
# The corpora: fuzz/corpus/check (kept between runs, not committed) grows from
# fuzz/corpus/seeds, which this script rebuilds every run from the examples,
# the standard library and the hand-written variations in fuzz/seeds/;
# fuzz/corpus/yaml_writer grows from fuzz/seeds/yaml/; fuzz/corpus/lint from
# fuzz/corpus/seeds-lint, the lint fixtures and the real files of
# tests/corpus, each behind the byte that tells the target what kind of file
# it is. A crash leaves its input in fuzz/artifacts/TARGET/; reproduce it with
#   cargo fuzz run --sanitizer none TARGET artifacts/TARGET/crash-…
# from fuzz/, with $PIPEC_TOOLS/cargo-fuzz/bin on PATH.
set -euo pipefail

CARGO_FUZZ_VERSION="0.13.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$(realpath -m "${PIPEC_TOOLS:-$ROOT/.tools}")"
FUZZ_ROOT="$TOOLS/cargo-fuzz"
CARGO_FUZZ="$FUZZ_ROOT/bin/cargo-fuzz"

log() { printf 'fuzz: %s\n' "$*" >&2; }

install() {
  if [[ -x "$CARGO_FUZZ" && "$("$CARGO_FUZZ" --version 2>/dev/null)" == "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    return
  fi
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $FUZZ_ROOT"
  mkdir -p "$TOOLS"
  [[ -f "$TOOLS/.gitignore" ]] || printf '*\n' > "$TOOLS/.gitignore"
  cargo install --quiet --locked --root "$FUZZ_ROOT" "cargo-fuzz@$CARGO_FUZZ_VERSION"
}

seeds() { # rebuilds fuzz/corpus/seeds
  local dir="$ROOT/fuzz/corpus/seeds" d f first
  rm -rf "$dir"
  mkdir -p "$dir" "$ROOT/fuzz/corpus/check" "$ROOT/fuzz/corpus/yaml_writer"
  cp "$ROOT"/fuzz/seeds/*.pipe "$dir/"
  cp "$ROOT"/stdlib/*.pipe "$dir/"
  # A directory program is one input, its files split by the target's
  # `//@file` separator line.
  for d in "$ROOT"/examples/*/; do
    first=1
    for f in "$d"*.pipe; do
      ((first)) || printf '\n//@file\n'
      cat "$f"
      first=0
    done > "$dir/example-$(basename "$d").pipe"
  done
  # Lint: the first byte is the kind (0 GitHub, 1 GitLab, 2 manifests).
  dir="$ROOT/fuzz/corpus/seeds-lint"
  rm -rf "$dir"
  mkdir -p "$dir" "$ROOT/fuzz/corpus/lint"
  local kind n=0
  while IFS= read -r f; do
    case "$f" in
      */github/*|*/workflows/*) kind=0 ;;
      *gitlab-ci*) kind=1 ;;
      *) kind=2 ;;
    esac
    { printf '%b' "\\x0$kind"; cat "$f"; } > "$dir/$((n++)).yml"
  done < <(find "$ROOT"/tests/fixtures/lint/{github,gitlab,k8s,argocd} "$ROOT/tests/corpus" \
    -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
}

case "${1:-60}" in
  --install) install; exit 0 ;;
  *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] | --install" >&2; exit 2 ;;
esac
SECONDS_TO_RUN="${1:-60}"
# Half of the time on the front end, a quarter each on the YAML writer and
# the linter.
CHECK_SECONDS=$(( (SECONDS_TO_RUN + 1) / 2 ))
WRITER_SECONDS=$(( (SECONDS_TO_RUN - CHECK_SECONDS + 1) / 2 ))
LINT_SECONDS=$(( SECONDS_TO_RUN - CHECK_SECONDS - WRITER_SECONDS ))

seeds
cd "$ROOT/fuzz"
SANITIZER="${PIPEC_FUZZ_SANITIZER:-none}"
LIBFUZZER_ARGS=(
  -max_len=16384
  -timeout=10
  -rss_limit_mb=2048
  -print_final_stats=1
)
# target, seconds, then its extra arguments and corpus directories
TARGETS=(
  "check $CHECK_SECONDS -dict=pipe.dict corpus/check corpus/seeds"
  "yaml_writer $WRITER_SECONDS corpus/yaml_writer seeds/yaml"
  "lint $LINT_SECONDS corpus/lint corpus/seeds-lint"
)
log "fuzzing for ${SECONDS_TO_RUN}s: check ${CHECK_SECONDS}s, yaml_writer ${WRITER_SECONDS}s, lint ${LINT_SECONDS}s (sanitizer: $SANITIZER)"
case "$SANITIZER" in
  none)
    TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
    RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
      cargo build --quiet --locked --release --target "$TRIPLE" --bin check --bin yaml_writer --bin lint
    for t in "${TARGETS[@]}"; do
      read -r name seconds rest <<< "$t"
      [[ "$seconds" -gt 0 ]] || continue
      mkdir -p "$ROOT/fuzz/artifacts/$name"
      # shellcheck disable=SC2086 # $rest and PIPEC_FUZZ_ARGS are lists of words
      "${CARGO_TARGET_DIR:-target}/$TRIPLE/release/$name" -artifact_prefix="$ROOT/fuzz/artifacts/$name/" \
        -max_total_time="$seconds" "${LIBFUZZER_ARGS[@]}" ${PIPEC_FUZZ_ARGS:-} $rest
    done
    ;;
  address)
    install
    for t in "${TARGETS[@]}"; do
      read -r name seconds rest <<< "$t"
      [[ "$seconds" -gt 0 ]] || continue
      mkdir -p "artifacts/$name"
      # shellcheck disable=SC2086 # $rest is a list of words
      set -- $rest
      # The corpus directories come first for cargo-fuzz, the flags after `--`.
      flags=(); dirs=()
      for w in "$@"; do [[ "$w" == -* ]] && flags+=("$w") || dirs+=("$w"); done
      # shellcheck disable=SC2086 # PIPEC_FUZZ_ARGS is a list of flags
      RUSTC_BOOTSTRAP=1 "$CARGO_FUZZ" run --sanitizer address "$name" "${dirs[@]}" -- \
        -max_total_time="$seconds" "${flags[@]}" "${LIBFUZZER_ARGS[@]}" ${PIPEC_FUZZ_ARGS:-}
    done
    ;;
  *) echo "PIPEC_FUZZ_SANITIZER must be none or address" >&2; exit 2 ;;
esac
