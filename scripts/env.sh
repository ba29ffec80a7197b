# Sourced by the project's scripts: where tools live and how to reach them.
#
# Tools and the cargo build cache live under ~/.cache/cinelake, outside the clone, so a fresh clone
# on the same machine (CI clones anew each run) reuses them, while a new machine installs them.
CINELAKE_CACHE="${CINELAKE_CACHE:-$HOME/.cache/cinelake}"
CINELAKE_TOOLS="$CINELAKE_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CINELAKE_CACHE/target}"
CINELAKE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CINELAKE_ROOT CINELAKE_CACHE CINELAKE_TOOLS

# Pinned versions (TOOLCHAIN.md). Keep wasm-bindgen equal to the crate in Cargo.lock and to
# Trunk.toml's [tools]; keep binaryen equal to Trunk.toml's wasm_opt.
WASM_BINDGEN_VERSION=0.2.129
TRUNK_VERSION=0.21.14
SEAWEEDFS_VERSION=4.48
PYSPARK_VERSION=4.3.0
export WASM_BINDGEN_VERSION TRUNK_VERSION SEAWEEDFS_VERSION PYSPARK_VERSION

# cargo-installed tools, the npm tools (wasm-opt, playwright-core) and SeaweedFS's `weed`.
export PATH="$HOME/.cargo/bin:$CINELAKE_ROOT/tools/node_modules/.bin:$CINELAKE_TOOLS/seaweedfs-venv/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
