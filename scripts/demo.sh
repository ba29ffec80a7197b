#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds the dashboard and serves it on
# loopback with the sample extract, then prints the URL. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

scripts/bootstrap.sh
trunk build --release --locked --offline
mkdir -p dist/data
cp testdata/extract/sample_titles.csv dist/data/titles.csv 2>/dev/null || true
port="${CINELAKE_DEMO_PORT:-8080}"
echo
echo "cinelake dashboard: http://127.0.0.1:$port/?data=data/titles.csv"
echo "(Ctrl-C to stop)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
