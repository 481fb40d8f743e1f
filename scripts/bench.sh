#!/usr/bin/env bash
# Runs one benchmark (anchors, language, remote, scale, durable, navigation, editor, compile) with the binary built as it ships (scripts/build-env.sh),
# then regenerates its table in README.md from what the run wrote (target/bench/NAME.md): the README's
# figures always come from a run, never from copying by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bench.sh anchors|language|remote|scale|durable|navigation|editor|compile}"
scripts/setup.sh
. scripts/build-env.sh
# The binary as it ships (cargo would hand the benchmark one built with the dev-dependencies' features).
cargo build --release --locked --target "$triple"
mkdir -p target/bench
cp "target/$triple/release/beamtalk" target/bench/beamtalk
BEAMTALK_SHIPPED_BIN="$PWD/target/bench/beamtalk" cargo bench --locked --target "$triple" --bench "$name"
table="target/bench/$name.md"
if [ -f "$table" ] && grep -q "<!-- bench:$name -->" README.md; then
  # Between the markers: the table, and the machine it was measured on.
  machine=$(grep -o '"cpu": "[^"]*"\|"cores": [0-9]*\|"kernel": "[^"]*"\|"otp": "[^"]*"' "target/bench/$name.json" \
    | sed 's/"//g' | paste -sd ';' | sed 's/;/, /g')
  awk -v table="$table" -v machine="$machine" -v start="<!-- bench:$name -->" -v end="<!-- /bench:$name -->" '
    $0 == start { print; while ((getline line < table) > 0) print line; print ""; print "Measured on: " machine "."; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
  ' README.md > README.md.new && mv README.md.new README.md
  echo "README.md: the $name table regenerated from $table"
fi
