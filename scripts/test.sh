#!/usr/bin/env bash
# Installs what the tests need and runs the whole test suite. Usage: scripts/test.sh [extra cargo test args]
# The build directory lives outside the clone (CARGO_TARGET_DIR, default ~/.cache/moat-target) so that
# repeated runs and CI reuse compiled dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/moat-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# The end-to-end tests start real processes (the `moat` binary, upstream servers they spawn on loopback)
# and need nothing beyond the Rust toolchain; later suites add their installs here.
cargo test --workspace --all-targets "$@"
