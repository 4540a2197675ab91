#!/usr/bin/env bash
# Installs what the tests need and runs the whole test suite. Usage: scripts/test.sh [extra cargo test args]
# The build directory lives outside the clone (CARGO_TARGET_DIR, default ~/.cache/moat-target) so that
# repeated runs and CI reuse compiled dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/moat-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# The end-to-end tests start real processes: the `moat` binary, upstream servers they spawn on loopback, and
# moto_server (PyPI `moto[server]`, the AWS API emulator the CloudWatch and X-Ray tests talk to through the
# AWS SDK). Install moto when it is missing; the tests fail, never skip, without it.
if ! command -v moto_server >/dev/null 2>&1 && [[ -z ${MOTO_SERVER:-} ]]; then
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
  # pip puts the script in the interpreter's scripts directory (or the user's, for a --user install),
  # which need not be on PATH (pyenv shims appear only after a rehash).
  for dir in "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')" \
    "$(python3 -m site --user-base)/bin"; do
    if [[ -x $dir/moto_server ]]; then
      export MOTO_SERVER=$dir/moto_server
      break
    fi
  done
fi
cargo test --workspace --all-targets "$@"
