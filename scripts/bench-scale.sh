#!/usr/bin/env bash
# Issue 19: throughput on SQLite and PostgreSQL, one and three instances, in one run.
# Usage: scripts/bench-scale.sh [DURATION] [CONCURRENCY] [SETUP...]
#   SETUP: name=BINARY:sqlite | name=BINARY:pg1 | name=BINARY:pg3   (default: the three setups
#   with $SHIPHUB_BIN, or $CARGO_TARGET_DIR/release/shiphub). Give a second binary's setups to
#   compare two builds in one run, e.g. `before=/tmp/old:sqlite after=/tmp/new:sqlite`.
# Each setup: a fresh database (SQLite in a temp dir; PostgreSQL: a database of its own on
# $PG_URL's cluster, created and dropped here, never the cluster itself), the sandbox carrier,
# limits off. pg3 runs three instances behind HAProxy (config generated, free ports). Load from
# `oha` (rates, purchases, label PDFs) and `wrk` with a Lua script (trackers: a new number per
# request). Webhooks: an endpoint on a local nginx is disabled during the purchase run, then
# re-enabled and recovered: deliveries/s = the purchases' events / time until nginx logged them
# all. CPU per purchase: utime+stime from /proc of the hub processes (and HAProxy), and of the
# PostgreSQL backends serving the bench database plus the cluster's WAL writer, checkpointer
# and background writer (shared with whoever else uses the cluster: say so with the figures).
# Needs oha, wrk, haproxy, nginx, psql/createdb/dropdb, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$0")/.."
duration="${1:-10s}"
conc="${2:-64}"
shift 2 || shift $#
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
bin_default="${SHIPHUB_BIN:-${CARGO_TARGET_DIR:-target}/release/shiphub}"
setups=("$@")
[ ${#setups[@]} -gt 0 ] || setups=("sqlite=$bin_default:sqlite" "pg1=$bin_default:pg1" "pg3=$bin_default:pg3")
for t in oha wrk haproxy nginx psql python3; do
  command -v "$t" >/dev/null || { echo "bench-scale: $t is not installed" >&2; exit 1; }
done
tick=$(getconf CLK_TCK)
work=$(mktemp -d)
pids=()
dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${dbs[@]}"; do dropdb --if-exists --force -h 127.0.0.1 -U postgres "$d" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# utime+stime, in clock ticks, of the given processes (gone ones count 0).
cpu() {
  local sum=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$sum"
}
pg_pids() { # the backends of database $1 and the cluster's writers
  psql -h 127.0.0.1 -U postgres -d postgres -Atc \
    "SELECT pid FROM pg_stat_activity WHERE datname = '$1' OR backend_type IN ('walwriter', 'checkpointer', 'background writer')" 2>/dev/null | tr '\n' ' '
}
status_count() { sed -n "s/^ *\[$1\] \([0-9]*\) responses.*/\1/p" | head -1; }

# The webhook receiver: nginx answering 204, one access-log line per delivery.
nport=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; location / { return 204; } }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)

shipment='"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},"parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]'
results="$work/results"
: >"$results"
record() { echo "$*" | tee -a "$results"; }

run_setup() { # name binary kind
  local name="$1" bin="$2" kind="$3" n url db="" hubs=() hub_ports=() base port i
  n=1; [ "$kind" = pg3 ] && n=3
  local dir="$work/$name"
  mkdir -p "$dir"
  case "$kind" in
    sqlite) url="sqlite://$dir/bench.db?mode=rwc"; unset SHIPHUB_MASTER_KEY ;;
    pg1|pg3)
      db="bench_scale_${name//[^a-z0-9]/_}_$$"
      createdb -h 127.0.0.1 -U postgres "$db"
      dbs+=("$db")
      url="$pg_url/$db"
      SHIPHUB_MASTER_KEY=$("$bin" master-key | tail -1)
      export SHIPHUB_MASTER_KEY ;;
    *) echo "unknown setup kind $kind" >&2; exit 1 ;;
  esac
  for i in $(seq "$n"); do
    port=$(free_port)
    "$bin" serve --listen "127.0.0.1:$port" --database-url "$url" --key-rate 0 --tenant-rate 0 \
      --webhook-dev-loopback >"$dir/out$i" 2>"$dir/err$i" &
    hubs+=($!); pids+=($!); hub_ports+=("$port")
    # The first instance migrates and bootstraps; the others start on the migrated database.
    for _ in $(seq 300); do grep -q listening "$dir/err$i" 2>/dev/null && break; sleep 0.1; done
    grep -q listening "$dir/err$i" || { cat "$dir/err$i" >&2; exit 1; }
  done
  local key account
  key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out1")
  account=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["carrier_account"])' "$dir/out1")
  local front="${hub_ports[0]}" procs=("${hubs[@]}")
  if [ "$n" -gt 1 ]; then
    front=$(free_port)
    {
      printf 'global\n  maxconn 8192\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n  http-reuse always\n'
      printf 'frontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  balance roundrobin\n' "$front"
      for i in "${!hub_ports[@]}"; do printf '  server s%s 127.0.0.1:%s\n' "$i" "${hub_ports[$i]}"; done
    } >"$dir/haproxy.cfg"
    haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
    pids+=($!); procs+=($!)
    sleep 0.5
  fi
  base="http://127.0.0.1:$front"
  local auth="Authorization: Bearer $key" ct='Content-Type: application/json'
  local hook
  hook=$(curl -sS --fail-with-body "$base/v1/webhooks" -H "$auth" -H "$ct" \
    -d "{\"url\":\"http://127.0.0.1:$nport/$name\",\"events\":[\"shipment.created\"]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -sS --fail-with-body -X PATCH "$base/v1/webhooks/$hook" -H "$auth" -H "$ct" -d '{"enabled":false}' >/dev/null
  local since
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  sleep 1
  echo "== $name ($kind, $bin): load $(cut -d' ' -f1-3 /proc/loadavg)"

  local out
  out=$(oha --no-tui -z "$duration" -c "$conc" -m POST -H "$auth" -H "$ct" -d "{$shipment}" "$base/v1/rates")
  record "$name rates_per_s $(sed -n 's/^[[:space:]]*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' <<<"$out") ok=$(status_count 200 <<<"$out")"

  local pg_list="" hub0 pg0
  [ -n "$db" ] && { pg_list=$(pg_pids "$db"); }
  hub0=$(cpu "${procs[@]}"); pg0=$( [ -n "$db" ] && cpu $pg_list || echo 0)
  out=$(oha --no-tui -z "$duration" -c "$conc" -m POST -H "$auth" -H "$ct" \
    -d "{$shipment,\"carrier_account\":\"$account\",\"service\":\"economy\",\"label_format\":\"pdf\",\"reference\":\"ORDER-1\"}" \
    "$base/v1/shipments")
  local hub1 pg1=0 bought
  hub1=$(cpu "${procs[@]}")
  if [ -n "$db" ]; then
    # Backends that connected during the run count from zero.
    local after; after=$(pg_pids "$db")
    pg1=$(cpu $(echo "$pg_list $after" | tr ' ' '\n' | sort -u))
  fi
  bought=$(status_count 201 <<<"$out")
  record "$name purchases_per_s $(sed -n 's/^[[:space:]]*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' <<<"$out") bought=$bought p50=$(sed -n 's/^ *50.00% in \([0-9.]* [a-z]*\).*/\1/p' <<<"$out" | head -1) p99=$(sed -n 's/^ *99.00% in \([0-9.]* [a-z]*\).*/\1/p' <<<"$out" | head -1)"
  record "$name hub_cpu_us_per_purchase $(python3 -c "print(round(($hub1-$hub0)/$tick*1e6/max($bought,1)))")"
  [ -n "$db" ] && record "$name pg_cpu_us_per_purchase $(python3 -c "print(round(($pg1-$pg0)/$tick*1e6/max($bought,1)))") (pg processes counted: $(echo $pg_list | wc -w))"
  grep -Eq '^ *\[5[0-9]{2}\] [0-9]+ responses' <<<"$out" && record "$name purchase_errors $(grep -E '^ *\[5[0-9]{2}\] [0-9]+ responses' <<<"$out" | tr -s ' ' | tr '\n' ' ')"

  local id
  id=$(curl -s -H "$auth" "$base/v1/shipments?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
  out=$(oha --no-tui -z "$duration" -c "$conc" -H "$auth" "$base/v1/shipments/$id/label?format=pdf")
  record "$name label_pdf_per_s $(sed -n 's/^[[:space:]]*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' <<<"$out") ok=$(status_count 200 <<<"$out")"

  # Trackers: every request a new number (wrk, a counter per thread), same sandbox account.
  local wout
  wout=$(SHIPHUB_KEY=$key SHIPHUB_ACCOUNT=$account wrk -t2 -c"$conc" -d"$duration" --timeout 30s -s "$here/trackers.lua" "$base")
  record "$name trackers_per_s $(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wout") non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$wout")"

  # Webhooks: the purchases' events, recovered to the re-enabled endpoint.
  curl -sS --fail-with-body -X PATCH "$base/v1/webhooks/$hook" -H "$auth" -H "$ct" -d '{"enabled":true}' >/dev/null
  local t0 got=0 code
  t0=$(date +%s.%N)
  code=$(curl -s -o "$dir/recover" -w '%{http_code}' -X POST "$base/v1/webhooks/$hook/recover?since=$since" -H "$auth" -H "$ct" -d '{}')
  [ "$code" = 202 ] || { echo "recover answered $code: $(cat "$dir/recover")" >&2; }
  for _ in $(seq 6000); do
    got=$(grep -c " /$name " "$work/nginx/access.log" || true)
    [ "$got" -ge "$bought" ] && break
    sleep 0.05
  done
  record "$name webhook_deliveries_per_s $(python3 -c "import time; print(round($got/(time.time()-$t0)))") delivered=$got of=$bought"
  record "$name rss_kib $(for p in "${hubs[@]}"; do ps -o rss= -p "$p"; done | tr -s ' \n' ' ')"
  for p in "${procs[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${procs[@]}"; do wait "$p" 2>/dev/null || true; done
}

for s in "${setups[@]}"; do
  name="${s%%=*}"; rest="${s#*=}"
  run_setup "$name" "${rest%:*}" "${rest##*:}"
done
echo "== results ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$results"
