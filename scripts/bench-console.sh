#!/usr/bin/env bash
# Server time per console page (issue 20) with N shipments in the store: a fresh hub buys 24
# real sandbox labels (with a webhook endpoint and a print station), stops, gets N copies of
# them with trackers (scripts/seed-console.py), restarts, and wrk asks each page with one
# connection (no queueing: each latency is the page's own time) for DUR seconds; p50/p95/p99.
# Usage: scripts/bench-console.sh BINARY N [sqlite|pg]   (DUR=5 by default)
#   pg: a database of its own (consolebench) on the local cluster, dropped after.
set -euo pipefail
bin=$(realpath "$1"); n=$2; kind=${3:-sqlite}; dur=${DUR:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); pid=
cleanup(){ [ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null||true; rm -rf "$work"; [ "$kind" = pg ] && dropdb --if-exists --force -h 127.0.0.1 -U postgres consolebench 2>/dev/null; true; }
trap cleanup EXIT
fp(){ python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ "$kind" = pg ]; then
  dropdb --if-exists --force -h 127.0.0.1 -U postgres consolebench; createdb -h 127.0.0.1 -U postgres consolebench
  url=postgres://postgres@127.0.0.1:5432/consolebench; export SHIPHUB_MASTER_KEY=$($bin master-key | tail -1)
  $bin migrate --database-url "$url" >/dev/null
  $bin tenant create default --database-url "$url" > $work/out
else url="sqlite://$work/b.db?mode=rwc"; fi
port=$(fp); base=http://127.0.0.1:$port
start(){
  $bin serve --listen 127.0.0.1:$port --database-url "$url" --key-rate 0 --tenant-rate 0 --insecure-cookie >> $work/out 2> $work/err & pid=$!
  for _ in $(seq 600); do curl -sf $base/readyz >/dev/null && return; sleep 0.1; done; echo "hub did not start"; cat $work/err; exit 1
}
start
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' $work/out)
A="Authorization: Bearer $key"; C='Content-Type: application/json'
# The embedded default made a sandbox account; a tenant made by the CLI (PostgreSQL) has none.
acct=$(curl -sS "$base/v1/carrier-accounts" -H "$A" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d[0]["id"] if d else "")')
[ -n "$acct" ] || acct=$(curl -sS "$base/v1/carrier-accounts" -H "$A" -H "$C" -d '{"carrier":"sandbox","name":"sandbox"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
station=$(curl -sS "$base/v1/print-stations" -H "$A" -H "$C" -d '{"name":"Dock 1","format":"zpl"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sS "$base/v1/webhooks" -H "$A" -H "$C" -d '{"url":"https://hooks.example.com/shiphub","events":["shipment.created"]}' >/dev/null
for i in $(seq 24); do
  curl -sS -o /dev/null "$base/v1/shipments" -H "$A" -H "$C" -H "Idempotency-Key: seed-$i" -d "{\"from\":{\"name\":\"Shipper\",\"street\":[\"100 Main St\"],\"city\":\"Atlanta\",\"state\":\"GA\",\"postal_code\":\"30301\",\"country\":\"US\",\"phone\":\"+14045550100\"},\"to\":{\"name\":\"Receiver $i\",\"street\":[\"1 Market St\"],\"city\":\"San Francisco\",\"state\":\"CA\",\"postal_code\":\"94105\",\"country\":\"US\"},\"parcels\":[{\"weight\":{\"value\":\"2.5\",\"unit\":\"kg\"}}],\"carrier_account\":\"$acct\",\"service\":\"economy\",\"label_format\":\"zpl\",\"reference\":\"REAL-$i\"}"
done
last=$(curl -sS "$base/v1/shipments?limit=1" -H "$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
printf 'bench pass phrase\n' | $bin user create --tenant default --email admin@bench.example --role admin --password-stdin --database-url "$url" >/dev/null
kill $pid; wait $pid 2>/dev/null || true; pid=
python3 "$here/seed-console.py" "$url" "$n"
start
cookie=$(curl -sS -D - -o /dev/null "$base/v1/session" -H "$C" -d '{"tenant":"default","email":"admin@bench.example","password":"bench pass phrase"}' | sed -n 's/^[Ss]et-[Cc]ookie: \(shiphub_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "login failed"; exit 1; }
cat > $work/p.lua <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("%d requests, %d non-2xx, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA
pages=(
  "/console"
  "/console/shipments"
  "/console/shipments?tracking_number=SBB0000500000"
  "/console/shipments?reference=ORD-0000777777"
  "/console/shipments?recipient=Maria"
  "/console/shipments/$last"
  "/console/shipments/new"
  "/console/exceptions"
  "/console/print"
  "/console/webhooks"
  "/console/carriers"
  "/console/reconciliation"
  "/console/analytics"
  "/console/analytics?from=$(date -u -d '365 days ago' +%F)&to=$(date -u +%F)"
  "/console/team"
)
# Warm the page cache and the prepared statements, then measure.
echo "$n shipments, $kind, $(nproc) cores, wrk -t1 -c1 -d${dur}s"
for p in "${pages[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$p")
  [ "$code" = 200 ] || { echo "$p answered $code"; continue; }
  wrk -t1 -c1 -d1s -H "Cookie: $cookie" "$base$p" >/dev/null
  printf '%-55s ' "$p"; wrk -t1 -c1 -d${dur}s -s $work/p.lua -H "Cookie: $cookie" "$base$p" | tail -1
done
