#!/usr/bin/env bash
# The full fault-injection run (RELIABILITY.md): `cinelake ingest`, `refine`, `prune` and `publish`, 50 times
# each, through the fault proxy in front of the test SeaweedFS, then the regression cases. Prints
# one `fault figures:` line per command (runs, faults by kind, failures, objects lost) and the
# message of every failed run. The README's test command runs the same suite 10 times per command.
#
#   scripts/reliability.sh                 # 50 runs per command
#   CINELAKE_FAULT_RUNS=200 CINELAKE_FAULT_SEED=1000 scripts/reliability.sh
#
# Not part of scripts/test.sh: it takes several minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

export CINELAKE_FAULT_RUNS="${CINELAKE_FAULT_RUNS:-50}"
export CINELAKE_FAULT_SEED="${CINELAKE_FAULT_SEED:-1}"
started=$(date +%s)
log=$(mktemp)
export CINELAKE_FAULT_FIGURES
CINELAKE_FAULT_FIGURES=$(mktemp)
trap 'rm -f "$log" "$CINELAKE_FAULT_FIGURES"' EXIT

echo "fault injection: $CINELAKE_FAULT_RUNS runs per command, seeds from $CINELAKE_FAULT_SEED"
cargo build --locked --offline --quiet -p cinelake --tests
status=0
scripts/s3-server.sh run cargo test --locked --offline --quiet -p cinelake --test cli faults:: \
  -- --nocapture >"$log" 2>&1 || status=$?

cut -c1-400 "$CINELAKE_FAULT_FIGURES"
grep -E '^test result' "$log" || true
if [ "$status" != 0 ]; then
  echo "reliability: the fault suite failed; its output:" >&2
  cat "$log" >&2
fi
printf 'reliability: done in %ss\n' "$(( $(date +%s) - started ))"
exit "$status"
