#!/usr/bin/env bash
# Rate throughput with a transit history against without (issue 21): one hub (SQLite), two
# tenants with a sandbox account each; `with` has 6,000 deliveries on the benchmarked lane
# (imported with `shiphub routing import-deliveries`, 3 services over the last 90 days), so its
# quotes carry percentiles; `without` has none. wrk asks `POST /v1/rates` for DUR seconds with
# C connections, alternating without/with ROUNDS times, so both see the same machine.
# Usage: scripts/bench-routing-rates.sh BINARY   (DUR=10 C=64 ROUNDS=3 by default)
set -euo pipefail
bin=$(realpath "$1"); dur=${DUR:-10}; conns=${C:-64}; rounds=${ROUNDS:-3}
work=$(mktemp -d); pid=
cleanup(){ [ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null||true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port; url="sqlite://$work/r.db?mode=rwc"
$bin serve --listen 127.0.0.1:$port --database-url "$url" --key-rate 0 --tenant-rate 0 > $work/out 2> $work/err & pid=$!
for _ in $(seq 600); do curl -sf $base/readyz >/dev/null && break; sleep 0.1; done
with=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' $work/out)
without=$($bin tenant create fresh --database-url "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
curl -sS -o /dev/null "$base/v1/carrier-accounts" -H "Authorization: Bearer $without" -H 'Content-Type: application/json' -d '{"carrier":"sandbox","name":"sandbox"}'
python3 - "$work/history.csv" <<'PY'
import datetime, sys
today = datetime.date.today()
with open(sys.argv[1], "w") as f:
    f.write("carrier,service,from_country,from_postal,to_country,to_postal,shipped,delivered,promised\n")
    for i in range(6000):
        service = ["economy", "standard", "express"][i % 3]
        shipped = today - datetime.timedelta(days=5 + i % 85)
        days = [5, 3, 1][i % 3] + (i // 3) % 4
        delivered = shipped + datetime.timedelta(days=days)
        promised = shipped + datetime.timedelta(days=[6, 4, 2][i % 3])
        f.write(f"sandbox,{service},US,30301,US,94105,{shipped},{delivered},{promised}\n")
PY
$bin routing import-deliveries "$work/history.csv" --tenant default --database-url "$url"
body='{"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},"parcels":[{"weight":{"value":"2.5","unit":"kg"}}]}'
# The quotes of `with` carry the history; those of `without` do not.
for k in "$with" "$without"; do
  curl -sS "$base/v1/rates" -H "Authorization: Bearer $k" -H 'Content-Type: application/json' -d "$body" |
    python3 -c 'import json,sys; q=json.load(sys.stdin)["quotes"]; print(len(q), "quotes; samples:", [x.get("transit", {}).get("samples") if isinstance(x.get("transit"), dict) else x.get("transit") for x in q])'
done
cat > $work/post.lua <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("%.0f req/s, %d non-2xx, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests / (summary.duration / 1e6), summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
echo "POST /v1/rates, wrk -t2 -c$conns -d${dur}s, $(nproc) cores"
for r in $(seq "$rounds"); do
  for name in without with; do
    k=$without; [ $name = with ] && k=$with
    printf 'round %d %-8s load %s  ' "$r" "$name" "$(cut -d' ' -f1 /proc/loadavg)"
    wrk -t2 -c$conns -d${dur}s -s $work/post.lua -H "Authorization: Bearer $k" "$base/v1/rates" | tail -1
  done
done
