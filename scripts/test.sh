#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, the runtime's EUnit tests, and the Rust unit, property and
# end-to-end tests (real epmd and OTP nodes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
# The binary as it ships: statically linked where that applies (see scripts/build-env.sh).
. scripts/build-env.sh
# A clean checkout gains nothing from incremental caches, and they were gigabytes of its disk.
export CARGO_INCREMENTAL=0
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked --target "$triple" -- -D warnings
(cd runtime && REBAR_BASE_DIR="$PWD/../target/rebar3" rebar3 eunit)
# The runtime's -specs checked against its code, and no call to a function that does not exist.
(cd runtime && REBAR_BASE_DIR="$PWD/../target/rebar3" rebar3 dialyzer && REBAR_BASE_DIR="$PWD/../target/rebar3" rebar3 xref)
cargo test --workspace --locked --all-targets --target "$triple"
# The plain commands work too: no flags (none of build-env.sh's), the host's own target (any architecture),
# the runtime built by build.rs on the way.
env -u CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS cargo build --locked --quiet --bin beamtalk
test "$(target/debug/beamtalk --version)" = "beamtalk $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
echo "plain cargo build: ok"
# Beamtalk sources in the standard layout, as `beamtalk fmt` writes it.
target/debug/beamtalk fmt --check runtime/apps/beamtalk_stdlib examples
# The standard library's own Beamtalk checks: TestCase classes run by `beamtalk test`, in a home and an
# EPMD of their own (both gone afterwards).
stdlib_home=$(mktemp -d)
export ERL_EPMD_PORT=$((20000 + RANDOM % 20000))
trap 'epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true; rm -rf "$stdlib_home"' EXIT
BEAMTALK_HOME="$stdlib_home" target/debug/beamtalk test runtime/apps/beamtalk_stdlib/test
