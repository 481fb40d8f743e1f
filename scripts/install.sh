#!/usr/bin/env bash
# Installs `beamtalk` into ~/.cargo/bin (on PATH after rustup's setup), built as scripts/build-env.sh says:
# statically linked where that applies. Installs Erlang/OTP and rebar3 first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/build-env.sh
cargo install --path . --locked --force --target "$triple"
echo "installed: $(command -v beamtalk || echo "$HOME/.cargo/bin/beamtalk (add ~/.cargo/bin to PATH)")"
