#!/usr/bin/env bash
# Publish cost and the gzip saving, on a generated dashboard extract in the test SeaweedFS.
#
#   scripts/s3-server.sh run bench/site/publish.sh [TITLES] [RUNS]
#
# Prints the extract size, the stored gzip copy's size, and the median wall time of RUNS
# `cinelake publish` runs without --gzip (the peer: presign + one PUT) and with --gzip (read,
# hash, compress, PUT the copy, presign, PUT). Uses CINELAKE_BIN or the debug build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
titles="${1:-100000}"
runs="${2:-5}"
bin="${CINELAKE_BIN:-$CARGO_TARGET_DIR/debug/cinelake}"
: "${CINELAKE_TEST_S3_ENDPOINT:?run through scripts/s3-server.sh run}"
export AWS_ACCESS_KEY_ID="$CINELAKE_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$CINELAKE_TEST_S3_SECRET_KEY"
export AWS_REGION="$CINELAKE_TEST_S3_REGION" AWS_ENDPOINT_URL="$CINELAKE_TEST_S3_ENDPOINT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bucket="bench-site-$$"
s3() { curl -fsS --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }

"$bin" gen --kind extract --titles "$titles" --out "$work/titles.csv" >/dev/null
bytes=$(stat -c %s "$work/titles.csv")
sha=$(sha256sum "$work/titles.csv" | cut -d' ' -f1)
rows=$(( $(wc -l < "$work/titles.csv") - 1 ))
key="Refined/runs/bench/dashboard/titles.csv"
s3 -X PUT "$AWS_ENDPOINT_URL/$bucket" -o /dev/null
s3 -X PUT --data-binary "@$work/titles.csv" "$AWS_ENDPOINT_URL/$bucket/lake/$key" -o /dev/null
printf '{"version":1,"run_id":"bench","extract":{"key":"%s","rows":%d,"bytes":%d,"sha256":"%s"}}' \
  "$key" "$rows" "$bytes" "$sha" | s3 -X PUT --data-binary @- "$AWS_ENDPOINT_URL/$bucket/lake/Refined/_manifest.json" -o /dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_publish() {
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin" publish --lake "s3://$bucket/lake" --site "s3://$bucket/site" "$@" >/dev/null
    echo $(( ($(date +%s%N) - start) / 1000000 ))
  done | median
}
plain=$(time_publish)
gzip=$(time_publish --gzip)
gz_bytes=$(s3 -I "$AWS_ENDPOINT_URL/$bucket/lake/$key.gz" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length" {print $2}')
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/Model name: *//')"
echo "binary: $bin"
echo "extract: $rows titles, $bytes bytes; gzip copy: $gz_bytes bytes ($(( 100 * gz_bytes / bytes ))% of the extract)"
echo "publish median of $runs: plain ${plain} ms, --gzip ${gzip} ms"
