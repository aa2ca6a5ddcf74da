#!/usr/bin/env bash
# install-bench-tools.sh: install the tools only the peer benchmarks use,
# pinned, into $PIPEC_TOOLS/bench (default <repo>/.tools/bench). Opt-in: the
# test suite and CI never run it or need it.
#
#   scripts/install-bench-tools.sh
#
# What is installed:
#   jrsonnet (crates.io, `cargo install --locked`, the version below): the
#   Rust Jsonnet implementation, for scripts/bench-jrsonnet.sh. Building it
#   takes several minutes on the 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${PIPEC_TOOLS:-$PWD/.tools}/bench"

# The newest release on crates.io when this was pinned (the 0.5 line is
# published as pre-releases; 0.4.2, the last plain release, is from 2021).
JRSONNET_VERSION=0.5.0-pre98

if [ "$("$tools/bin/jrsonnet" --version 2>/dev/null | awk '{print $2}')" = "$JRSONNET_VERSION" ]; then
    echo "jrsonnet $JRSONNET_VERSION: current" >&2
else
    cargo install jrsonnet --version "$JRSONNET_VERSION" --locked --root "$tools"
fi
