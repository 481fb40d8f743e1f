#!/usr/bin/env bash
# A long fuzzing run of every untrusted-input decoder (ETF terms, dist frames, the term text parser and the
# Beamtalk parser): one million cases per property, in release mode. CI runs the same properties with fewer
# cases as part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PROPTEST_CASES="${PROPTEST_CASES:-1000000}" cargo test --release --test fuzz_decoders
