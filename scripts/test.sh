#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what is missing, then runs every gate
# and every test. Exits non-zero on the first failure; the S3 server it starts is stopped on any exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "bootstrap (pinned tools, idempotent)"
scripts/bootstrap.sh

step "format"
cargo fmt --all --check

step "clippy, native (core, lake, refine, cli)"
cargo clippy --locked --offline --workspace --exclude cinelake-dashboard --all-targets -- -D warnings

step "clippy, wasm32 (dashboard with its browser tests; core's library)"
# Core's own tests and benches are native-only (proptest, criterion): its library is what ships in wasm.
cargo clippy --locked --offline --target wasm32-unknown-unknown -p cinelake-dashboard --all-targets -- -D warnings
cargo clippy --locked --offline --target wasm32-unknown-unknown -p cinelake-core --lib -- -D warnings

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --offline --workspace --exclude cinelake-dashboard --no-deps --quiet

step "S3 server (SeaweedFS on loopback)"
eval "$(scripts/s3-server.sh start)"
trap 'scripts/s3-server.sh stop' EXIT

step "native tests"
cargo test --locked --offline --workspace --exclude cinelake-dashboard

step "browser tests (wasm-bindgen-test in headless Chromium)"
cargo test --locked --offline --target wasm32-unknown-unknown -p cinelake-dashboard --test web

step "release build of the dashboard (trunk, wasm-opt)"
trunk build --release --locked --offline

step "end-to-end tests (Playwright + Chromium, the cinelake binary, SeaweedFS)"
cargo build --locked --offline --quiet -p cinelake
node --test --test-concurrency=1 tests/e2e/

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - started ))"
