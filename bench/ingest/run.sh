#!/usr/bin/env bash
# Benchmark: `cinelake ingest` next to `aws s3 cp`, uploading the same ~700 MB movies.csv to a
# local SeaweedFS in the same run. Prints a Markdown table (median of RUNS runs, peak RSS from
# /usr/bin/time -v) for BENCHMARKS.md.
#
#   bench/ingest/run.sh                 # RUNS=3 SIZE_MB=700 by default
#   RUNS=5 SIZE_MB=200 bench/ingest/run.sh
#
# Installs awscli (PyPI, pinned) in a venv under ~/.cache/cinelake/tools, builds the CLI with
# the `fast` profile, generates the data once (`cinelake gen`), and runs its own SeaweedFS on
# ports BENCH_PORT..BENCH_PORT+9 with its own data folder, so it never touches the test server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/env.sh"

RUNS="${RUNS:-3}"
SIZE_MB="${SIZE_MB:-700}"
port="${BENCH_PORT:-42333}"
INGEST_ARGS="${INGEST_ARGS:-}"   # extra flags for cinelake ingest, e.g. "--concurrency 4"
AWSCLI_VERSION=1.46.2
work="$CINELAKE_CACHE/bench-ingest"
bin="$CARGO_TARGET_DIR/fast/cinelake"
aws_venv="$CINELAKE_TOOLS/awscli-venv"
aws="$aws_venv/bin/aws"
mkdir -p "$work"

# CINELAKE_BIN: benchmark an already built binary instead of building this checkout.
if [ -n "${CINELAKE_BIN:-}" ]; then
  bin="$CINELAKE_BIN"
else
  echo "== build (cargo build --profile fast -p cinelake)" >&2
  (cd "$root" && cargo build --profile fast -p cinelake >&2)
fi

if ! "$aws" --version 2>&1 | grep -q "aws-cli/$AWSCLI_VERSION "; then
  echo "== install awscli $AWSCLI_VERSION into $aws_venv" >&2
  python3 -m venv "$aws_venv"
  "$aws_venv/bin/pip" install -q "awscli==$AWSCLI_VERSION" >&2
fi

movies="$work/movies-${SIZE_MB}mb.csv"
if [ ! -s "$movies" ]; then
  echo "== generate ~$SIZE_MB MB of movies.csv" >&2
  # Measure bytes per title on a small file, then scale to the target size.
  "$bin" gen --kind movies --titles 20000 --seed 7 --out "$work/probe.csv" >&2
  per_title=$(( $(stat -c %s "$work/probe.csv") / 20000 ))
  titles=$(( SIZE_MB * 1000 * 1000 / per_title ))
  "$bin" gen --kind movies --titles "$titles" --seed 7 --out "$movies.tmp" >&2
  mv "$movies.tmp" "$movies"
  rm -f "$work/probe.csv"
fi
bytes=$(stat -c %s "$movies")

# --- our own SeaweedFS -----------------------------------------------------------------------
state="$work/weed"
rm -rf "$state"; mkdir -p "$state/data"
key=bench-key; secret=bench-secret-key
cat > "$state/s3.json" <<JSON
{"identities":[{"name":"bench","credentials":[{"accessKey":"$key","secretKey":"$secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
setsid weed mini -dir="$state/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port=$port -s3.port.grpc=$((port+1)) -master.port=$((port+2)) -master.port.grpc=$((port+3)) \
  -volume.port=$((port+4)) -volume.port.grpc=$((port+5)) -filer.port=$((port+6)) -filer.port.grpc=$((port+7)) \
  -admin.port=$((port+8)) -admin.port.grpc=$((port+9)) -s3.config="$state/s3.json" \
  -master.telemetry=false -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
  >"$state/weed.log" 2>&1 </dev/null &
weed_pid=$!
trap 'kill -TERM -- -$weed_pid 2>/dev/null || true; sleep 1; rm -rf "$state"' EXIT
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.5
done

export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE
"$aws" --endpoint-url "$AWS_ENDPOINT_URL" s3 mb s3://bench >/dev/null

# --- runs ------------------------------------------------------------------------------------
# "wall_seconds max_rss_kb cpu_seconds" from a /usr/bin/time -v report (cpu = user + system).
parse_time() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; w = s }
              /Maximum resident set size/ { r = $2 }
              /User time \(seconds\)|System time \(seconds\)/ { c += $2 }
              END { printf "%.2f %d %.2f\n", w, r, c }' "$1"
}

# SeaweedFS's CPU time so far (user + system, clock ticks), every thread of `weed mini`.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$weed_pid/stat"; }

run_one() { # name, then the command; prints "wall rss cpu server_cpu"
  local name=$1; shift
  local before; before=$(server_ticks)
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  local after; after=$(server_ticks)
  echo "$(parse_time "$work/time.txt") $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')"
}

declare -a t_dry t_ingest t_aws r_dry r_ingest r_aws c_dry c_ingest c_aws s_ingest s_aws
for i in $(seq 1 "$RUNS"); do
  echo "== run $i of $RUNS" >&2
  read -r w r c _ < <(run_one dry "$bin" ingest --lake s3://bench/cinelake --movies "$movies" --date 2030-01-0$i --dry-run)
  t_dry+=("$w"); r_dry+=("$r"); c_dry+=("$c")
  read -r w r c sv < <(run_one ingest "$bin" ingest --lake s3://bench/cinelake --movies "$movies" --date 2030-01-0$i $INGEST_ARGS)
  t_ingest+=("$w"); r_ingest+=("$r"); c_ingest+=("$c"); s_ingest+=("$sv")
  read -r w r c sv < <(run_one aws "$aws" s3 cp "$movies" "s3://bench/aws/run$i/movies.csv" --only-show-errors)
  t_aws+=("$w"); r_aws+=("$r"); c_aws+=("$c"); s_aws+=("$sv")
  echo "   dry-run ${t_dry[-1]} s, ingest ${t_ingest[-1]} s (${r_ingest[-1]} KB, CPU ${c_ingest[-1]} s, server ${s_ingest[-1]} s), aws ${t_aws[-1]} s (${r_aws[-1]} KB, CPU ${c_aws[-1]} s, server ${s_aws[-1]} s)" >&2
  # Keep the server's disk use flat between runs.
  "$aws" s3 rm --recursive --only-show-errors s3://bench/ >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mib() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

m_dry=$(median "${t_dry[@]}"); m_ingest=$(median "${t_ingest[@]}"); m_aws=$(median "${t_aws[@]}")
rss() { printf '%s\n' "$@" | sort -g | tail -1 | awk '{ printf "%.0f", $1 / 1024 }'; }

cat <<MD
File: \`cinelake gen --kind movies --seed 7\`, $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB). Server: SeaweedFS $(weed version 2>/dev/null | head -1 | awk '{print $3}') \`weed mini\` on loopback. $RUNS runs, interleaved.

| command | median wall | throughput | peak RSS (max of runs) | client CPU (median, user + sys) | SeaweedFS CPU (median) | runs (s) |
|---|---|---|---|---|---|---|
| \`cinelake ingest --movies F $INGEST_ARGS\` (validate + hash + upload + verify) | ${m_ingest} s | $(mib "$m_ingest") MiB/s | $(rss "${r_ingest[@]}") MB | $(median "${c_ingest[@]}") s | $(median "${s_ingest[@]}") s | ${t_ingest[*]} |
| \`aws s3 cp F s3://…\` (awscli $AWSCLI_VERSION, default settings) | ${m_aws} s | $(mib "$m_aws") MiB/s | $(rss "${r_aws[@]}") MB | $(median "${c_aws[@]}") s | $(median "${s_aws[@]}") s | ${t_aws[*]} |
| \`cinelake ingest --dry-run\` (validate + hash only) | ${m_dry} s | $(mib "$m_dry") MiB/s | $(rss "${r_dry[@]}") MB | $(median "${c_dry[@]}") s | – | ${t_dry[*]} |

ingest / aws = $(awk -v a="$m_ingest" -v b="$m_aws" 'BEGIN { printf "%.2f", a / b }')
MD
