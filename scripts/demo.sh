#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds the dashboard and the CLI, then runs
# `cinelake demo` — the whole pipeline (generate → ingest → refine → deploy → publish) on an
# embedded S3-compatible lake under ./cinelake-demo — and prints the dashboard URL. Ctrl-C stops it.
# Extra arguments go to `cinelake demo` (for example --port 9100, or --movies F --series F).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

# The CLI needs none of the tools bootstrap installs, so on a cold machine it compiles while they
# do: each build alone leaves one of two cores idle for long stretches (a crate's last codegen
# unit, linking, downloads). Its debug build shares the test suite's cache and refines the demo's
# data in seconds.
cargo fetch --locked --quiet
cli_log=$(mktemp -t cinelake-demo-cli.XXXXXX)
echo "demo: building the cinelake CLI (in the background, log $cli_log)"
cargo build --locked --offline --quiet -p cinelake >"$cli_log" 2>&1 &
cli_build=$!
trap 'kill "$cli_build" 2>/dev/null || true' EXIT

scripts/bootstrap.sh --demo

# The release build re-runs wasm-bindgen and wasm-opt even when nothing changed (about 15 s), so it
# is skipped when dist/ was built from exactly these sources.
dashboard_inputs() {
  find src style web crates/core/src index.html Trunk.toml Cargo.toml Cargo.lock \
    crates/core/Cargo.toml -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
inputs=$(dashboard_inputs)
if [ -f dist/index.html ] && [ "$(cat dist/.cinelake-inputs 2>/dev/null)" = "$inputs" ]; then
  echo "demo: the dashboard in dist/ is up to date"
else
  # Cargo's lock on the build folder makes this wait for the CLI build if it still runs.
  echo "demo: building the dashboard (trunk, release)"
  trunk build --release --locked --offline
  echo "$inputs" > dist/.cinelake-inputs
fi

if ! wait "$cli_build"; then
  cat "$cli_log" >&2
  echo "demo: building the cinelake CLI failed (log above)" >&2
  exit 1
fi
trap - EXIT
rm -f "$cli_log"
exec "$CARGO_TARGET_DIR/debug/cinelake" demo --dist dist "$@"
