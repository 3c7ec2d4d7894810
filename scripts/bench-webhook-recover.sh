#!/usr/bin/env bash
# Webhook deliveries per second (issue 19): N purchases whose shipment.created events a disabled
# endpoint missed, then the endpoint re-enabled and recovered, timed until a local nginx logged
# all N. Usage: scripts/bench-webhook-recover.sh BINARY N [sqlite|pg]
#   pg: a database of its own (whbench) on the local cluster, dropped after (KEEP=1 keeps it);
#   SLOWMS=n logs its statements slower than n ms to the cluster log, EXPLAIN=n their plans.
set -euo pipefail
bin=$1; n=$2; kind=${3:-pg}
work=$(mktemp -d); pids=()
cleanup(){ for p in "${pids[@]}"; do kill $p 2>/dev/null||true; done; wait 2>/dev/null||true; rm -rf "$work"; [ "$kind" = pg ] && [ -z "${KEEP:-}" ] && dropdb --if-exists --force -h 127.0.0.1 -U postgres whbench 2>/dev/null; true; }
trap cleanup EXIT
fp(){ python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nport=$(fp); mkdir -p $work/nginx
cat > $work/nginx/nginx.conf <<NG
worker_processes 1; pid $work/nginx/pid; error_log $work/nginx/err;
events { worker_connections 4096; }
http { access_log $work/nginx/access.log; client_body_temp_path $work/nginx; server { listen 127.0.0.1:$nport; location / { return 204; } } }
NG
nginx -c $work/nginx/nginx.conf -g 'daemon off;' & pids+=($!)
if [ "$kind" = pg ]; then
  dropdb --if-exists --force -h 127.0.0.1 -U postgres whbench; createdb -h 127.0.0.1 -U postgres whbench
  psql -h 127.0.0.1 -U postgres -qc "ALTER DATABASE whbench SET log_min_duration_statement = ${SLOWMS:-20}"; [ -n "${EXPLAIN:-}" ] && psql -h 127.0.0.1 -U postgres -q -c "ALTER DATABASE whbench SET session_preload_libraries = 'auto_explain'" -c "ALTER DATABASE whbench SET auto_explain.log_min_duration = $EXPLAIN" -c "ALTER DATABASE whbench SET auto_explain.log_analyze = on"
  url=postgres://postgres@127.0.0.1:5432/whbench; export SHIPHUB_MASTER_KEY=$($bin master-key | tail -1)
else url="sqlite://$work/b.db?mode=rwc"; fi
port=$(fp)
$bin serve --listen 127.0.0.1:$port --database-url "$url" --key-rate 0 --tenant-rate 0 --webhook-dev-loopback > $work/out 2> $work/err & pids+=($!)
for _ in $(seq 300); do grep -q listening $work/err && break; sleep 0.1; done
key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' $work/out)
acct=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["carrier_account"])' $work/out)
base=http://127.0.0.1:$port; A="Authorization: Bearer $key"; C='Content-Type: application/json'
hook=$(curl -sS "$base/v1/webhooks" -H "$A" -H "$C" -d "{\"url\":\"http://127.0.0.1:$nport/x\",\"events\":[\"shipment.created\"]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sS -X PATCH "$base/v1/webhooks/$hook" -H "$A" -H "$C" -d '{"enabled":false}' >/dev/null
since=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1
body="{\"from\":{\"name\":\"S\",\"street\":[\"100 Main St\"],\"city\":\"Atlanta\",\"state\":\"GA\",\"postal_code\":\"30301\",\"country\":\"US\",\"phone\":\"+14045550100\"},\"to\":{\"name\":\"R\",\"street\":[\"1 Market St\"],\"city\":\"San Francisco\",\"state\":\"CA\",\"postal_code\":\"94105\",\"country\":\"US\"},\"parcels\":[{\"weight\":{\"value\":\"2.5\",\"unit\":\"kg\"}}],\"carrier_account\":\"$acct\",\"service\":\"economy\",\"label_format\":\"zpl\"}"
echo "$body" > $work/body
t0=$(date +%s.%N)
seq $n | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' "$base/v1/shipments" -H "$A" -H "$C" --data @$work/body | sort | uniq -c
echo "bought in $(python3 -c "import time;print(round($(date +%s.%N)-$t0,2))") s"
curl -sS -X PATCH "$base/v1/webhooks/$hook" -H "$A" -H "$C" -d '{"enabled":true}' >/dev/null
sleep 2
t0=$(date +%s.%N)
curl -sS -X POST "$base/v1/webhooks/$hook/recover?since=${since/+/%2B}" -H "$A" -H "$C" -d '{}' -o /dev/null -w 'recover %{http_code}\n'
while [ "$(wc -l < $work/nginx/access.log)" -lt "$n" ]; do sleep 0.05; if python3 -c "import sys;sys.exit(0 if $(date +%s.%N)-$t0>300 else 1)"; then echo stalled; break; fi; done
t1=$(date +%s.%N)
echo "delivered $(wc -l < $work/nginx/access.log) in $(python3 -c "print(round($t1-$t0,2))") s = $(python3 -c "print(round($(wc -l < $work/nginx/access.log)/($t1-$t0)))")/s"
grep -i "warn\|error" $work/err | head -5 || true
