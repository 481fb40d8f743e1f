#!/usr/bin/env bash
# How many of the `.bt` files of some Beamtalk projects load: each file is loaded on its own into one
# fresh workspace, again and again while any that failed before now loads (a file may need a class of
# a file after it), then the figure and the first lines of each failure are printed.
#
#   scripts/real-files.sh ~/src/some-package ~/src/another
#
# Uses the binary `cargo build` made, a state directory and an epmd of its own (both removed at the end),
# and never writes into the projects.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/real-files.sh PROJECT_DIR..." >&2; exit 2; }
. scripts/build-env.sh
bin="$PWD/target/$triple/debug/beamtalk"
[ -x "$bin" ] || { echo "no $bin: run cargo build first" >&2; exit 2; }
home=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
export BEAMTALK_HOME="$home" ERL_EPMD_PORT="$port"
epmd -port "$port" -daemon
cleanup() {
  "$bin" workspace stop --all >/dev/null 2>&1 || true
  pkill -f "epmd -port $port" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

total=0
loaded=0
for project in "$@"; do
  project=$(cd "$project" && pwd)
  mapfile -t pending < <(find "$project" -name '*.bt' -not -path '*/_build/*' | sort)
  count=${#pending[@]}
  declare -A why=()
  while :; do
    left=()
    for f in "${pending[@]}"; do
      if out=$("$bin" --timeout 60s load --project "$project" "$f" 2>&1); then
        unset "why[$f]"
      else
        why[$f]=$(printf '%s\n' "$out" | head -4)
        left+=("$f")
      fi
    done
    [ ${#left[@]} -lt ${#pending[@]} ] && [ ${#left[@]} -gt 0 ] || break
    pending=("${left[@]}")
  done
  echo "$project: $((count - ${#left[@]}))/$count files load"
  for f in "${left[@]}"; do
    echo "--- ${f#"$project"/}"
    echo "${why[$f]}"
  done
  total=$((total + count))
  loaded=$((loaded + count - ${#left[@]}))
  unset why
  "$bin" workspace stop --all >/dev/null 2>&1 || true
done
echo "all: $loaded/$total files load"
