#!/usr/bin/env bash
# Issue 19: `POST /v1/trackers` (a new valid sandbox number per request) on SQLite, with the CPU
# each tracker costs, its first poll included.
# Usage: scripts/bench-trackers.sh [DURATION] [CONCURRENCY] [ROUNDS] name=BINARY...
#   Every round runs each binary once, in the order given (alternate builds to compare them
#   under the same load). Per run: a fresh SQLite database, the sandbox carrier, limits off,
#   `wrk -t2 -cN -dD` with scripts/trackers.lua (a new sandbox number per request); then the run waits until the
#   tracking scheduler has looked at every new tracker once (the first poll is at once).
# Prints per run: trackers/s, non-2xx, hub CPU per tracker during the load and including the
# scheduler's catch-up (utime+stime from /proc), wrk's CPU per request, and how many trackers
# were polled by the end of the load. Needs wrk, sqlite3, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$0")/.."
duration="${1:-8s}"
conc="${2:-64}"
rounds="${3:-1}"
shift 3 || shift $#
[ $# -gt 0 ] || { echo "usage: $0 DURATION CONC ROUNDS name=BINARY..." >&2; exit 2; }
tick=$(getconf CLK_TCK)
work=$(mktemp -d)
hub=""
cleanup() {
  [ -n "$hub" ] && kill "$hub" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

run() { # name binary round
  local name="$1" bin="$2" dir="$work/$1-$3" port key account
  mkdir -p "$dir"
  port=$(free_port)
  "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/bench.db?mode=rwc" \
    --key-rate 0 --tenant-rate 0 >"$dir/out" 2>"$dir/err" &
  hub=$!
  for _ in $(seq 300); do grep -q listening "$dir/err" 2>/dev/null && break; sleep 0.1; done
  key=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["api_key"])' "$dir/out")
  account=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["carrier_account"])' "$dir/out")
  sleep 1
  local load c0 c1 c2 wout polled total t1
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(cpu "$hub")
  wout=$(SHIPHUB_KEY=$key SHIPHUB_ACCOUNT=$account /usr/bin/time -f 'wrkcpu %U %S' wrk -t2 -c"$conc" -d"$duration" --timeout 30s -s "$here/trackers.lua" "http://127.0.0.1:$port" 2>&1)
  c1=$(cpu "$hub")
  q() { sqlite3 "$dir/bench.db" "$1" 2>/dev/null || echo "?"; }
  total=$(q "SELECT COUNT(*) FROM trackers")
  polled=$(q "SELECT COUNT(*) FROM trackers WHERE last_checked_at IS NOT NULL")
  # The scheduler's catch-up: every tracker looked at once (bounded at 120 s).
  t1=$(date +%s.%N)
  for _ in $(seq 1200); do
    [ "$(q "SELECT COUNT(*) FROM trackers WHERE last_checked_at IS NULL")" = 0 ] && break
    sleep 0.1
  done
  c2=$(cpu "$hub")
  local rate non2xx wrkcpu
  rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wout")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$wout")
  wrkcpu=$(awk '/^wrkcpu/ {print $2 + $3}' <<<"$wout")
  python3 - "$name" "$3" "$load" "$rate" "${non2xx:-0}" "$total" "$polled" "$c0" "$c1" "$c2" "$tick" "$wrkcpu" "$t1" <<'PY'
import sys, time
name, rnd, load, rate, non2xx, total, polled, c0, c1, c2, tick, wrkcpu, t1 = sys.argv[1:]
total = int(total); c0, c1, c2, tick = int(c0), int(c1), int(c2), int(tick)
us = lambda ticks: round(ticks / tick * 1e6 / max(total, 1))
print(f"{name} round={rnd} load={load} trackers_per_s={rate} non2xx={non2xx} trackers={total} "
      f"polled_by_end={polled} hub_us_per_tracker_load={us(c1 - c0)} "
      f"hub_us_per_tracker_with_first_poll={us(c2 - c0)} catch_up_s={time.time() - float(t1):.1f} "
      f"wrk_us_per_request={round(float(wrkcpu) * 1e6 / max(total, 1))}")
PY
  kill "$hub"; wait "$hub" 2>/dev/null || true; hub=""
}

for r in $(seq "$rounds"); do
  for s in "$@"; do run "${s%%=*}" "${s#*=}" "$r"; done
done
echo "($(nproc) cores, load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
