#!/usr/bin/env bash
# Runs one benchmark (anchors, language, remote) with the binary built as it ships (scripts/build-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/build-env.sh
cargo bench --locked --target "$triple" --bench "${1:?usage: scripts/bench.sh anchors|language|remote}"
