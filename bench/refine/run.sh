#!/usr/bin/env bash
# Benchmark: `cinelake refine` (DataFusion) next to DuckDB and Polars doing the same job in the
# same run, and PySpark local (`cinelake refine --engine spark`) once. Generated raw data:
# MOVIES titles of movies (250k titles ≈ 1.2 M rows) and SERIES titles of series (100k).
# Prints a Markdown table (median of RUNS runs; peak RSS from /usr/bin/time -v) for BENCHMARKS.md.
#
#   bench/refine/run.sh                       # RUNS=3 MOVIES=250000 SERIES=100000 SPARK=1
#   RUNS=1 MOVIES=20000 SERIES=5000 SPARK=0 bench/refine/run.sh
#
# Installs DuckDB and Polars (PyPI, pinned) in a venv under ~/.cache/cinelake/tools, uses the
# PySpark venv docs/spark.md describes, builds the CLI with the `fast` profile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/env.sh"

RUNS="${RUNS:-3}"
MOVIES="${MOVIES:-250000}"
SERIES="${SERIES:-100000}"
SPARK="${SPARK:-1}"
DUCKDB_VERSION=2.0.0
POLARS_VERSION=2.1.0
work="$CINELAKE_CACHE/bench-refine"
bin="$CARGO_TARGET_DIR/fast/cinelake"
venv="$CINELAKE_TOOLS/bench-venv"
mkdir -p "$work"

echo "== build (cargo build --profile fast -p cinelake)" >&2
(cd "$root" && cargo build --profile fast -p cinelake >&2)

if ! "$venv/bin/python" -c "import duckdb, polars, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION' or polars.__version__ != '$POLARS_VERSION')" 2>/dev/null; then
  echo "== install duckdb $DUCKDB_VERSION and polars $POLARS_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "duckdb==$DUCKDB_VERSION" "polars==$POLARS_VERSION" >&2
fi

movies="$work/movies-$MOVIES.csv"
series="$work/series-$SERIES.csv"
[ -s "$movies" ] || "$bin" gen --kind movies --titles "$MOVIES" --seed 7 --out "$movies" >&2
[ -s "$series" ] || "$bin" gen --kind series --titles "$SERIES" --seed 8 --out "$series" >&2
rows=$(( $(wc -l < "$movies") - 1 + $(wc -l < "$series") - 1 ))
mb=$(( ($(stat -c %s "$movies") + $(stat -c %s "$series")) / 1000000 ))

# A fresh lake holding the two raw files (hard links: no copy cost, no shared output).
fresh_lake() {
  local lake="$work/lake"
  rm -rf "$lake"
  mkdir -p "$lake/Raw/Local/CSV/Movies/2024/07/10" "$lake/Raw/Local/CSV/Series/2024/07/10"
  ln "$movies" "$lake/Raw/Local/CSV/Movies/2024/07/10/movies.csv"
  ln "$series" "$lake/Raw/Local/CSV/Series/2024/07/10/series.csv"
  echo "$lake"
}

# Runs "$@" under /usr/bin/time -v; prints "seconds kib".
measure() {
  local log="$work/time.log"
  /usr/bin/time -v "$@" > "$work/out.log" 2> "$log" || { cat "$work/out.log" "$log" >&2; exit 1; }
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  echo "$wall $rss"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A walls rsss
run_engine() {
  local name="$1"; shift
  local w=() r=()
  for _ in $(seq 1 "$RUNS"); do
    local lake; lake=$(fresh_lake)
    local out="$work/out-$name"; rm -rf "$out"; mkdir -p "$out"
    read -r wall rss < <(measure "$@" "$lake" "$out")
    w+=("$wall"); r+=("$rss")
    echo "   $name: ${wall}s, $((rss / 1024)) MiB" >&2
  done
  walls[$name]=$(printf '%s\n' "${w[@]}" | median)
  rsss[$name]=$(printf '%s\n' "${r[@]}" | median)
}

refine_df() { "$bin" refine --lake "file://$1"; }
refine_spark() { "$bin" refine --lake "file://$1" --engine spark; }
duck() { "$venv/bin/python" "$root/bench/refine/duckdb_job.py" "$1/Raw/Local/CSV/Movies/2024/07/10/movies.csv" "$1/Raw/Local/CSV/Series/2024/07/10/series.csv" "$2"; }
polars_job() { "$venv/bin/python" "$root/bench/refine/polars_job.py" "$1/Raw/Local/CSV/Movies/2024/07/10/movies.csv" "$1/Raw/Local/CSV/Series/2024/07/10/series.csv" "$2"; }
export -f refine_df refine_spark duck polars_job
export bin venv root

echo "== $rows raw rows ($mb MB), $RUNS runs each" >&2
run_engine "cinelake refine (DataFusion)" bash -c 'refine_df "$0"'
run_engine "DuckDB $DUCKDB_VERSION" bash -c 'duck "$0" "$1"'
run_engine "Polars $POLARS_VERSION" bash -c 'polars_job "$0" "$1"'
engines=("cinelake refine (DataFusion)" "DuckDB $DUCKDB_VERSION" "Polars $POLARS_VERSION")
if [ "$SPARK" = 1 ]; then
  RUNS=1 run_engine "cinelake refine --engine spark (PySpark local)" bash -c 'refine_spark "$0"'
  engines+=("cinelake refine --engine spark (PySpark local)")
fi

echo
echo "$rows raw rows ($MOVIES movie + $SERIES series titles, $mb MB); median of $RUNS runs (Spark: 1)"
echo
echo "| engine | wall time | peak RSS |"
echo "|---|---|---|"
for name in "${engines[@]}"; do
  printf '| %s | %.2f s | %d MiB |\n' "$name" "${walls[$name]}" "$(( ${rsss[$name]} / 1024 ))"
done
