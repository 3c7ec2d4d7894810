#!/usr/bin/env bash
# Issue 19: rate shopping and purchases on one UPS account at its default quota (10/s), against
# the UPS simulator, 32 concurrent clients. Quota-bound, not CPU-bound, so a debug build shows
# the same shape as a release one.
# Usage: scripts/bench-quota.sh SHIPHUB_BINARY CARRIER_SIM_BINARY [DURATION]   (needs `wrk`)
# Counts every answer's kind with a wrk Lua script: quoted, throttled (says so), and empty
# (no quote and no throttled entry: a deadline error, what issue 19 reported).
set -euo pipefail
cd "$(dirname "$0")/.."
hub_bin="$1"
sim_bin="$2"
duration="${3:-15s}"
dir=$(mktemp -d)
port=18090
"$sim_bin" 19101 19102 19103 19104 19105 19106 19107 >"$dir/sim.out" 2>&1 &
sim=$!
"$hub_bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/bench.db?mode=rwc" \
  --key-rate 0 --tenant-rate 0 --dev-loopback >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid $sim 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 600); do grep -q listening "$dir/err" 2>/dev/null && grep -q api_key "$dir/out" && break; sleep 0.1; done
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out")
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $key"
ups=$(curl -sS --fail-with-body "$base/v1/carrier-accounts" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"carrier":"ups","name":"UPS","base_url":"http://127.0.0.1:19101","credentials":{"client_id":"ups-client","client_secret":"ups-secret","account_number":"A1B2C3"}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
shipment='"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},"parcels":[{"weight":{"value":"2.5","unit":"kg"}}]'
service=$(curl -sS --fail-with-body "$base/v1/rates" -H "$auth" -H 'Content-Type: application/json' \
  -d "{$shipment,\"carrier_accounts\":[\"$ups\"]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["quotes"][0]["service"]["code"])')
sleep 1

lua() { # $1: body
  cat >"$dir/req.lua" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
counts = {}
local threads = {}
function setup(t) table.insert(threads, t) end
function init() counts = {} end
function response(status, headers, body)
  local kind = tostring(status)
  if status == 200 then
    if body:find('"quotes":%[%]') then
      if body:find('"throttled"') then kind = "200 throttled" else kind = "200 empty" end
    else kind = "200 quoted" end
  end
  counts[kind] = (counts[kind] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do all[k] = (all[k] or 0) + v end
  end
  for k, v in pairs(all) do io.write(string.format("  %-16s %d\n", k, v)) end
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("  p%-3d %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("  max  %.1f ms\n", latency.max / 1000))
end
LUA
}

echo "== POST /v1/rates, UPS account at 10/s, 32 connections, $duration"
lua "{$shipment,\"carrier_accounts\":[\"$ups\"]}"
wrk -t2 -c32 -d"$duration" --timeout 30s -s "$dir/req.lua" "$base/v1/rates" | grep -v "^  [0-9].*%$"
sleep 3
echo "== POST /v1/shipments (every request buys), UPS account at 10/s, 32 connections, $duration"
lua "{$shipment,\"carrier_account\":\"$ups\",\"service\":\"$service\",\"label_format\":\"zpl\"}"
wrk -t2 -c32 -d"$duration" --timeout 30s -s "$dir/req.lua" "$base/v1/shipments" | grep -v "^  [0-9].*%$"
echo "== shipments bought: $(curl -sS "$base/v1/shipments?limit=100" -H "$auth" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["data"]), "+" if d.get("next_cursor") else "")')"
