#!/usr/bin/env bash
# Runs every test of pipec: installs the pinned validators the tests call
# (actionlint, zizmor, check-jsonschema, kubectl kustomize, …), then the whole
# Rust test suite with them on PATH, then a minute of fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh
export PATH="$PWD/.tools/bin:$PATH"
# Tests that need a validator fail, rather than skip, when it is missing.
export PIPEC_REQUIRE_TOOLS=1

cargo test --workspace --locked --quiet

# Coverage-guided fuzzing of parse + check for a fixed minute; fails on a
# crash, stack overflow or hang (fuzz/, scripts/fuzz.sh).
scripts/fuzz.sh 60
