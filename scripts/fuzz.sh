#!/usr/bin/env bash
# Fuzzes the raw reader and the dashboard extract reader with cargo fuzz (libFuzzer), each target
# for SECONDS (default 600), both at once. Not part of CI: docs/fuzzing.md has the last run's figures.
#
#   scripts/fuzz.sh [SECONDS]
#
# Installs cargo-fuzz (pinned) under ~/.cache/cinelake/tools/cargo-fuzz if missing and uses the
# nightly toolchain (installed by rustup if missing). The working corpus grows under
# ~/.cache/cinelake/fuzz/corpus/TARGET, seeded from the committed fuzz/seeds/TARGET; crashes land
# in fuzz/artifacts/TARGET (ignored by git) and the script exits non-zero if there is any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CARGO_FUZZ_VERSION=0.13.1
seconds="${1:-600}"
fuzz_tools="$CINELAKE_TOOLS/cargo-fuzz"
export PATH="$fuzz_tools/bin:$PATH"

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo-fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$fuzz_tools"
fi

# Its own target folder: a nightly build with coverage instrumentation shares no artifact with the
# stable builds, and `cargo test` holds the shared folder's lock while its tests run, which would
# stall this build behind any long test run.
export CARGO_TARGET_DIR="$CINELAKE_CACHE/fuzz/target"
cd "$CINELAKE_ROOT/fuzz"
# No sanitizer: the workspace forbids unsafe code, so AddressSanitizer would only slow each run
# several-fold; debug assertions (-a) turn on overflow checks, which do find bugs in parsers.
fuzz_flags=(-O -a -s none)
cargo +nightly fuzz build "${fuzz_flags[@]}"

work="$CINELAKE_CACHE/fuzz"
targets=(raw extract)
pids=()
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target" "$work/logs"
  # The first corpus folder receives new inputs; the committed seeds are only read.
  cargo +nightly fuzz run "${fuzz_flags[@]}" "$target" "$work/corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    >"$work/logs/$target.log" 2>&1 &
  pids+=($!)
done

status=0
for i in "${!targets[@]}"; do
  target="${targets[$i]}"
  if wait "${pids[$i]}"; then result=ok; else result="FAILED (see $work/logs/$target.log)"; status=1; fi
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/logs/$target.log" | grep -oE '[0-9]+$' || echo '?')
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$work/logs/$target.log" | grep -oE '[0-9]+$' || echo '?')
  inputs=$(find "$work/corpus/$target" -type f | wc -l)
  crashes=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
  echo "$target: $result; ${seconds}s, $execs execs ($rate/s), corpus $inputs inputs, $crashes artifacts"
done
exit "$status"
