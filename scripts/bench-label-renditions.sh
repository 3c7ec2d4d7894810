#!/usr/bin/env bash
# Load run for issue 19's label item: 64 concurrent `GET /v1/shipments/{id}/label?format=pdf` of a
# UPS label bought as ZPL from the UPS simulator (the hub converts ZPL -> PDF), with the hub's
# anonymous memory (RssAnon from /proc/PID/status, sampled every 20 ms: the kernel keeps no peak
# of it) before the load, its peak during it, and after.
# Usage: SHIPHUB_BIN=path/to/shiphub SIM_BIN=path/to/carrier-sim scripts/bench-label-renditions.sh [DURATION] [CONNECTIONS]
# Needs `wrk` (Debian: apt-get install wrk) or `oha` (cargo install oha).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
conc="${2:-64}"
bin="${SHIPHUB_BIN:-${CARGO_TARGET_DIR:-target}/release/shiphub}"
sim="${SIM_BIN:-${CARGO_TARGET_DIR:-target}/release/carrier-sim}"
dir=$(mktemp -d)
port=18090
ups_port=19101
"$sim" "$ups_port" 19102 19103 19104 19105 19106 19107 >"$dir/sim.out" 2>"$dir/sim.err" &
sim_pid=$!
"$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/bench.db?mode=rwc" \
  --key-rate 0 --tenant-rate 0 --dev-loopback >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid $sim_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q listening "$dir/err" 2>/dev/null && break; sleep 0.1; done
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out")
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $key"
ct='Content-Type: application/json'
account=$(curl -sf -H "$auth" -H "$ct" -d "{\"carrier\":\"ups\",\"name\":\"UPS\",\"base_url\":\"http://127.0.0.1:$ups_port\",\"credentials\":{\"client_id\":\"ups-client\",\"client_secret\":\"ups-secret\",\"account_number\":\"A1B2C3\"}}" \
  "$base/v1/carrier-accounts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
shipment='"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true,"phone":"+14155550100"},"parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]'
id=$(curl -sf -H "$auth" -H "$ct" -d "{$shipment,\"carrier_account\":\"$account\",\"service\":\"03\",\"label_format\":\"zpl\"}" \
  "$base/v1/shipments" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
anon() { awk '/RssAnon/{print $2}' "/proc/$pid/status"; }
echo "== hub $bin, shipment $id (UPS, ZPL), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "RssAnon before: $(anon) KiB"
(peak=0; while kill -0 $pid 2>/dev/null; do a=$(anon); [ "$a" -gt "$peak" ] && peak=$a && echo "$peak" >"$dir/peak"; sleep 0.02; done) &
sampler=$!
url="$base/v1/shipments/$id/label?format=pdf"
if command -v oha >/dev/null; then
  oha --no-tui -z "$duration" -c "$conc" -H "$auth" "$url" | sed -n '1,12p;/Status code distribution/,/^$/p'
else
  wrk -t2 -c"$conc" -d"$duration" --latency -H "$auth" "$url"
fi
kill $sampler 2>/dev/null || true
echo "RssAnon peak during the load: $(cat "$dir/peak") KiB; after: $(anon) KiB"
curl -s "$base/metrics" | grep '^shiphub_label_conversions_total' || echo "(no shiphub_label_conversions_total metric: before issue 19)"
