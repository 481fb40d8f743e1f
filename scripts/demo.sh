#!/usr/bin/env bash
# The main job for now: start a throw-away Erlang node and talk to it with `beamtalk rpc` as a hidden node.
# Everything lives in a temporary BEAMTALK_HOME, and the node is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
bt="$PWD/target/release/beamtalk"

export BEAMTALK_HOME="$(mktemp -d)"
node="demo_$$"
cleanup() {
  "$bt" rpc "$node" init stop >/dev/null 2>&1 || true
  rm -rf "$BEAMTALK_HOME"
}
trap cleanup EXIT

# One private cookie for both sides: beamtalk reads <home>/cookie, the node reads $HOME/.erlang.cookie, so
# it never appears on a command line.
cookie=$(LC_ALL=C tr -dc 'A-Z' </dev/urandom | head -c 40 || true)
(umask 077; printf '%s' "$cookie" >"$BEAMTALK_HOME/cookie")
cp "$BEAMTALK_HOME/cookie" "$BEAMTALK_HOME/.erlang.cookie"
HOME="$BEAMTALK_HOME" erl -sname "$node" -noshell -noinput -detached
for _ in $(seq 100); do "$bt" nodes | grep -q "^$node\b" && break; sleep 0.05; done

set -x
"$bt" rpc "$node" lists reverse '[1,2,3]'
"$bt" rpc "$node" erlang node
"$bt" rpc "$node" io format '"hello from ~s~n"' '["the node"]'
"$bt" --json rpc "$node" maps from_list '[{a,1},{b,<<"two">>}]'
