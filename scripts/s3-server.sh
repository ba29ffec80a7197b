#!/usr/bin/env bash
# Starts or stops the SeaweedFS S3 server the tests run against, on loopback only.
#
#   scripts/s3-server.sh start   # prints `export ...` lines for the test environment
#   scripts/s3-server.sh stop
#   scripts/s3-server.sh run CMD...   # start, run CMD with the environment, stop (also on failure)
#
# The server keeps its data in a fresh folder per start: tests never see an earlier run's objects.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

state="$CINELAKE_CACHE/s3-test"
port="${CINELAKE_S3_PORT:-8333}"
access_key=cinelake-test
secret_key=cinelake-test-secret-key

print_env() {
  cat <<ENV
export CINELAKE_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export CINELAKE_TEST_S3_ACCESS_KEY=$access_key
export CINELAKE_TEST_S3_SECRET_KEY=$secret_key
export CINELAKE_TEST_S3_REGION=us-east-1
ENV
}

healthy() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; }

start() {
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null && healthy; then
    print_env
    return 0
  fi
  command -v weed >/dev/null || { echo "s3-server: weed not found; run scripts/bootstrap.sh" >&2; exit 1; }
  rm -rf "$state"
  mkdir -p "$state/data"
  cat > "$state/s3.json" <<JSON
{"identities":[{"name":"lake","credentials":[{"accessKey":"$access_key","secretKey":"$secret_key"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
  # setsid: the server gets its own process group, so `stop` ends it and all its children.
  setsid weed mini -dir="$state/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$port" \
    -s3.config="$state/s3.json" -master.telemetry=false -admin.ui=false -webdav=false \
    -s3.port.iceberg=0 -s3.port.lance=0 >"$state/weed.log" 2>&1 < /dev/null &
  echo $! > "$state/pid"
  for _ in $(seq 1 120); do
    if healthy; then print_env; return 0; fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "s3-server: SeaweedFS did not become healthy on port $port; its log:" >&2
  tail -n 30 "$state/weed.log" >&2
  stop
  exit 1
}

stop() {
  if [ -f "$state/pid" ]; then
    pid=$(cat "$state/pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$state/pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  run)
    shift
    started_here=0
    if ! { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }; then started_here=1; fi
    eval "$(start)"
    [ "$started_here" = 1 ] && trap stop EXIT
    "$@"
    ;;
  *) echo "usage: scripts/s3-server.sh start|stop|env|run CMD..." >&2; exit 2 ;;
esac
