#!/usr/bin/env bash
# The main job: create a workspace for a throw-away project and drive `beamtalk repl` in it — the counter
# of ADR 0004 survives quitting the REPL — then, on a terminal, open the interactive REPL there.
# Everything lives in a temporary BEAMTALK_HOME, and the workspace is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/build-env.sh
echo "Building beamtalk (release; a few minutes the first time, cargo shows its progress)..." >&2
cargo build --release --target "$triple"
bt="$PWD/target/$triple/release/beamtalk"
examples="$PWD/examples"

export BEAMTALK_HOME="$(mktemp -d)"
project="$(mktemp -d)"
cleanup() {
  "$bt" workspace stop --all >/dev/null 2>&1 || true
  rm -rf "$BEAMTALK_HOME" "$project"
}
trap cleanup EXIT
cd "$project"

echo "\$ beamtalk workspace create"
"$bt" workspace create
echo "\$ beamtalk repl   # first session"
"$bt" repl <<EOS
:load $examples/counter.bt
counter := Counter spawn
counter increment
counter increment
greeting := "Hello from {Erlang erlang node}"
EOS
echo "\$ beamtalk repl   # a new session: the actor and the bindings are still there"
"$bt" repl <<'EOS'
counter increment
greeting
:actors
EOS
"$bt" workspace list
if [ -t 0 ] && [ -t 1 ]; then
  echo
  echo "Opening the interactive REPL in this workspace (Ctrl-D to leave; try \`counter increment\`)."
  "$bt" repl
fi
