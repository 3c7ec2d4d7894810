#!/usr/bin/env bash
# A sandbox batch through a release `shiphub` on a fresh embedded database: time from
# `POST /v1/batches` to `completed`, then the merged label documents (PDF and ZPL), their
# sizes and how long each takes to make.
# Usage: scripts/bench-batch.sh [ITEMS]   (default 10000; needs curl and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
items="${1:-10000}"
# SHIPHUB_BIN: an already built binary instead of building the release one.
if [ -z "${SHIPHUB_BIN:-}" ]; then cargo build --release -q -p shiphub; fi
bin="${SHIPHUB_BIN:-${CARGO_TARGET_DIR:-target}/release/shiphub}"
dir=$(mktemp -d)
# Without the per-key and per-tenant limits: this measures the batch, not the API throttle.
"$bin" serve --listen 127.0.0.1:0 --database-url "sqlite://$dir/bench.db?mode=rwc" \
  --key-rate 0 --tenant-rate 0 >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 300); do grep -q "shiphub listening on" "$dir/err" 2>/dev/null && break; sleep 0.1; done
base="$(sed -n 's/^shiphub listening on \(http:[^ ]*\).*/\1/p' "$dir/err" | head -1)"
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out")
account=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["carrier_account"])' "$dir/out")
auth="Authorization: Bearer $key"

python3 - "$account" "$items" >"$dir/batch.json" <<'PY'
import json, sys
account, n = sys.argv[1], int(sys.argv[2])
item = lambda i: {
    "from": {"name": "Shipper", "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
             "postal_code": "30301", "country": "US"},
    "to": {"name": f"Receiver {i}", "street": ["1 Market St"], "city": "San Francisco",
           "state": "CA", "postal_code": "94105", "country": "US"},
    "parcels": [{"weight": {"value": "1.2", "unit": "kg"}}],
    "carrier_account": account, "service": "standard", "reference": f"ORDER-{n - i:05d}"}
json.dump({"items": [item(i) for i in range(n)], "label_format": "pdf"}, sys.stdout)
PY
echo "== $items-item sandbox batch, body $(stat -c %s "$dir/batch.json") bytes"
start=$(date +%s.%N)
id=$(curl -sf -H "$auth" -H 'Content-Type: application/json' -H "Idempotency-Key: bench-$$" \
  --data-binary @"$dir/batch.json" "$base/v1/batches" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
accepted=$(date +%s.%N)
while :; do
  state=$(curl -sf -H "$auth" "$base/v1/batches/$id?limit=1" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["status"], b["counts"]["bought"], b["counts"]["failed"])')
  set -- $state
  [ "$1" = completed ] && break
  sleep 0.5
done
done_at=$(date +%s.%N)
echo "accepted (202) in $(python3 -c "print(f'{$accepted-$start:.2f}')") s; completed in $(python3 -c "print(f'{$done_at-$start:.1f}')") s: bought $2, failed $3"
for f in pdf zpl; do
  t0=$(date +%s.%N)
  curl -sf -H "$auth" -o "$dir/labels.$f" -D "$dir/h.$f" "$base/v1/batches/$id/labels?format=$f&sort=reference"
  t1=$(date +%s.%N)
  echo "merged $f (sort=reference): $(stat -c %s "$dir/labels.$f") bytes, $(grep -i x-label-count "$dir/h.$f" | tr -d '\r' | cut -d' ' -f2) labels, in $(python3 -c "print(f'{$t1-$t0:.1f}')") s"
done
echo "== RSS after the run: $(ps -o rss= -p $pid) KiB"
