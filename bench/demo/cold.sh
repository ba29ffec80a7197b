#!/usr/bin/env bash
# Times the README's demo command (scripts/demo.sh) from a fresh clone on a machine that has none of
# the project's tools or caches, then again warm, and checks in Chromium that the printed dashboard
# reaches `ready`. As cold as one machine allows without reinstalling it:
#   - a fresh HOME, hence a fresh ~/.cargo (crates.io index and downloads, cargo-installed trunk and
#     wasm-bindgen), a fresh ~/.cache/cinelake (the whole build cache) and a fresh npm cache;
#   - a fresh clone of this repository.
# What stays is what a new machine of this kind already has: the rustup toolchain with its targets,
# Node.js, and Debian's packages (the demo needs no Debian package beyond those).
#
#   bench/demo/cold.sh [WORK_DIR]        (default /tmp/cinelake-cold; it is deleted first)
# Prints one line per phase with the elapsed seconds, and the two totals at the end.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${1:-/tmp/cinelake-cold}
port=${COLD_DEMO_PORT:-9311}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
rustup_bin=$(dirname "$(command -v rustup)")

rm -rf "$work"
mkdir -p "$work/home" "$work/bin"
# Only the rustup proxies from the old PATH: not trunk or wasm-bindgen installed there.
for tool in cargo rustc rustdoc rustup rustfmt cargo-clippy clippy-driver; do
  ln -s "$rustup_bin/$tool" "$work/bin/$tool"
done
git clone --quiet "$repo" "$work/cinelake"

run_demo() { # run_demo LABEL: runs scripts/demo.sh until it prints the URL; echoes the seconds
  local label=$1 log="$work/demo-$1.log" started url
  started=$(date +%s.%N)
  (
    cd "$work/cinelake"
    exec env -u CARGO_HOME -u CARGO_TARGET_DIR -u CINELAKE_CACHE \
      HOME="$work/home" RUSTUP_HOME="$rustup_home" PATH="$work/bin:/usr/local/bin:/usr/bin:/bin" \
      setsid scripts/demo.sh --port "$port"
  ) > >(while IFS= read -r line; do
          printf '%7.1fs %s\n' "$(echo "$(date +%s.%N) - $started" | bc)" "$line"
        done > "$log") 2>&1 &
  local pid=$!
  until url=$(grep -o 'cinelake dashboard: \S*' "$log" 2>/dev/null | cut -d' ' -f3) && [ -n "$url" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo ($label) exited before printing the URL; see $log" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  local elapsed
  elapsed=$(echo "$(date +%s.%N) - $started" | bc)
  node "$repo/bench/demo/ready.mjs" "$work/cinelake/tools/node_modules/playwright-core" "$url"
  kill -INT -- "-$pid" 2>/dev/null || kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -E 'bootstrap:|demo:|cinelake dashboard' "$log" | sed "s/^/  ($label) /" >&2
  printf '%s %.1f\n' "$label" "$elapsed"
}

cold=$(run_demo cold)
warm=$(run_demo warm)
echo "demo to URL, cold: ${cold#cold } s"
echo "demo to URL, warm: ${warm#warm } s"
