#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, unit and end-to-end tests (real epmd and OTP nodes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
