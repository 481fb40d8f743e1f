#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, the runtime's EUnit tests, and the Rust unit, property and
# end-to-end tests (real epmd and OTP nodes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
# The binary as it ships: statically linked where that applies (see scripts/build-env.sh).
. scripts/build-env.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked --target "$triple" -- -D warnings
(cd runtime && REBAR_BASE_DIR="$PWD/../target/rebar3" rebar3 eunit)
cargo test --workspace --locked --all-targets --target "$triple"
