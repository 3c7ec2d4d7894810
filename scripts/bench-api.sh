#!/usr/bin/env bash
# Load run against a release `shiphub` on a fresh embedded database, sandbox carrier, loopback.
# Usage: scripts/bench-api.sh [DURATION] [CONCURRENCY]   (needs `oha`: cargo install oha)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20s}"
conc="${2:-64}"
cargo build --release -q -p shiphub
dir=$(mktemp -d)
port=18080
# Without the per-key and per-tenant limits (300/s and 600/s by default): this measures the hub,
# not its throttle.
"${CARGO_TARGET_DIR:-target}"/release/shiphub serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/bench.db?mode=rwc" \
  --key-rate 0 --tenant-rate 0 >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q listening "$dir/err" 2>/dev/null && break; sleep 0.1; done
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out")
account=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["carrier_account"])' "$dir/out")
shipment='"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},"parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]'
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $key"
ct='Content-Type: application/json'

echo "== POST /v1/rates ($conc connections, $duration)"
oha --no-tui -z "$duration" -c "$conc" -m POST -H "$auth" -H "$ct" -d "{$shipment}" "$base/v1/rates" | sed -n '1,12p;/Status code distribution/,/^$/p'

echo "== POST /v1/shipments, no Idempotency-Key: every request buys ($conc connections, $duration)"
oha --no-tui -z "$duration" -c "$conc" -m POST -H "$auth" -H "$ct" \
  -d "{$shipment,\"carrier_account\":\"$account\",\"service\":\"economy\",\"label_format\":\"pdf\",\"reference\":\"ORDER-1\"}" \
  "$base/v1/shipments" | sed -n '1,12p;/Status code distribution/,/^$/p'

id=$(curl -s -H "$auth" "$base/v1/shipments?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
echo "== GET label PDF (rendered per request) ($conc connections, $duration)"
oha --no-tui -z "$duration" -c "$conc" -H "$auth" "$base/v1/shipments/$id/label?format=pdf" | sed -n '1,12p;/Status code distribution/,/^$/p'

# SQLite reads through mmap: mapped database pages (page cache) count as file-backed RSS, once per
# connection that touched them; the process's own memory is the anonymous part.
echo "== RSS after the runs: $(ps -o rss= -p $pid) KiB ($(awk '/RssAnon|RssFile/{printf "%s %s KiB ", $1, $2}' /proc/$pid/status))"
