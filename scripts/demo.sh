#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds the dashboard and the CLI, then runs
# `cinelake demo` — the whole pipeline (generate → ingest → refine → deploy → publish) on an
# embedded S3-compatible lake under ./cinelake-demo — and prints the dashboard URL. Ctrl-C stops it.
# Extra arguments go to `cinelake demo` (for example --port 9100, or --movies F --series F).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

scripts/bootstrap.sh --demo
echo "demo: building the dashboard (trunk, release)"
trunk build --release --locked --offline
echo "demo: building the cinelake CLI"
# The debug build shares the test suite's cache; it refines the demo's data in seconds.
cargo build --locked --offline --quiet -p cinelake
exec "$CARGO_TARGET_DIR/debug/cinelake" demo --dist dist "$@"
