#!/usr/bin/env bash
# Contract fuzzing: runs Schemathesis with all its checks against the real `shiphub` binary,
# once on SQLite and once on a fresh PostgreSQL database, and fails on any failure (5xx,
# undocumented status or content type, answer off its schema, valid request rejected,
# invalid request accepted, ...).
#
# Usage: scripts/fuzz-api.sh [sqlite|postgres]...   (default: both)
# Env:   FUZZ_EXAMPLES   examples per operation and phase (default 25)
#        FUZZ_DATABASE   PostgreSQL server URL without a database
#                        (default postgres://postgres@127.0.0.1:5432)
#        ST              the Schemathesis CLI (default `st`); required under CI=true.
#
# Each run seeds the hub first (API key, carrier accounts, shipments, a webhook, a print
# station and job, a tracker, a rate card) and gives Schemathesis those ids as the known
# values of the path parameters, so operations are exercised past their 404s.
set -euo pipefail
cd "$(dirname "$0")/.."

ST="${ST:-st}"
# pip puts `st` beside the interpreter, which need not be on PATH (pyenv before a rehash).
if ! command -v "$ST" >/dev/null 2>&1; then
  beside="$(python3 -c 'import os,sys; print(os.path.join(os.path.dirname(sys.executable), "st"))' 2>/dev/null || true)"
  if [ -n "$beside" ] && [ -x "$beside" ]; then ST="$beside"; fi
fi
EXAMPLES="${FUZZ_EXAMPLES:-25}"
PG_SERVER="${FUZZ_DATABASE:-postgres://postgres@127.0.0.1:5432}"
TARGET="${CARGO_TARGET_DIR:-target}"
stores=("$@")
[ "${#stores[@]}" -gt 0 ] || stores=(sqlite postgres)

if ! command -v "$ST" >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "fuzz-api: Schemathesis (\`$ST\`) is not installed; .ci/run installs it" >&2
    exit 1
  fi
  echo "fuzz-api: SKIPPED: Schemathesis (\`$ST\`) is not installed (python3 -m pip install schemathesis)" >&2
  exit 0
fi

# The binary exactly as the README's test command builds it (a no-op right after it in .ci/run;
# `cargo build -p shiphub` would unify features differently and rebuild half the graph).
cargo test --workspace --no-run --quiet
BIN="$TARGET/debug/shiphub"

work="$(mktemp -d)"
hub_pid=""
pg_db=""
cleanup() {
  if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# json FIELD: reads a JSON document on stdin and prints one (dotted) field.
json() { python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1"; }

# api METHOD PATH [BODY]: one authenticated call; fails the run unless it answers 2xx.
api() {
  local args=(-sS --fail-with-body -X "$1" "$BASE$2" -H "Authorization: Bearer $KEY")
  if [ $# -ge 3 ]; then args+=(-H "Content-Type: application/json" --data "$3"); fi
  curl "${args[@]}"
}

# start_hub DATABASE_URL: starts `serve` on a free port; sets BASE and hub_pid.
start_hub() {
  : >"$work/out" && : >"$work/err"
  # No rate limits: the fuzzer's own pace must not turn its answers into 429s.
  "$BIN" serve --listen 127.0.0.1:0 --database-url "$1" --dev-loopback \
    --key-rate 0 --tenant-rate 0 >"$work/out" 2>"$work/err" &
  hub_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "shiphub listening on" "$work/err"; then break; fi
    if ! kill -0 "$hub_pid" 2>/dev/null; then cat "$work/err" >&2; echo "fuzz-api: serve exited" >&2; exit 1; fi
    sleep 0.1
  done
  BASE="$(sed -n 's/^shiphub listening on \(http:[^ ]*\).*/\1/p' "$work/err" | head -1)"
  [ -n "$BASE" ] || { cat "$work/err" >&2; echo "fuzz-api: serve did not start" >&2; exit 1; }
}

# seed ACCOUNT: creates what the operations' path parameters refer to.
seed() {
  local account="$1" shipment body
  shipment='"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
    "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
    "parcels":[{"weight":{"value":"2.5","unit":"kg"}}]'
  body="{$shipment,\"carrier_account\":\"$account\",\"service\":\"standard\"}"
  SHIPMENT="$(api POST /v1/shipments "$body" | json id)"
  VOID_SHIPMENT="$(api POST /v1/shipments "$body" | json id)"
  SPARE_ACCOUNT="$(api POST /v1/carrier-accounts '{"carrier":"sandbox","name":"spare"}' | json id)"
  local hook='{"url":"http://127.0.0.1:9/hook","events":["*"]}'
  WEBHOOK="$(api POST /v1/webhooks "$hook" | json id)"
  SPARE_WEBHOOK="$(api POST /v1/webhooks "$hook" | json id)"
  api POST "/v1/webhooks/$WEBHOOK/test" >/dev/null
  DELIVERY="$(api GET "/v1/webhooks/$WEBHOOK/deliveries" | json data.0.id)"
  local station
  station="$(api POST /v1/print-stations '{"name":"Dock 1","format":"zpl"}')"
  STATION="$(json id <<<"$station")"
  STATION_TOKEN="$(json token <<<"$station")"
  # Rotating a token revokes the old one: the fuzzer rotates another station's.
  SPARE_STATION="$(api POST /v1/print-stations '{"name":"Dock 2"}' | json id)"
  JOB="$(api POST /v1/print-jobs "{\"shipment_id\":\"$SHIPMENT\",\"station_id\":\"$STATION\"}" | json id)"
  TRACKER="$(api GET "/v1/trackers?limit=1" | json data.0.id)"
  curl -sS --fail-with-body -X PUT "$BASE/v1/rate-cards/express-worldwide-de-export" -H "Authorization: Bearer $KEY" \
    -H "Content-Type: application/toml" --data-binary @rating/examples/express_worldwide_de_export.toml >/dev/null
  CARD=express-worldwide-de-export
  # Who may do what: a key and a user the fuzzer may read, change, rotate or revoke (not its own).
  SPARE_KEY="$(api POST /v1/api-keys '{"name":"spare","role":"viewer"}' | json id)"
  USER_ID="$(api POST /v1/users '{"email":"fuzz@example.com","role":"viewer"}' | json id)"
}

# fuzz STORE: writes the Schemathesis config with the seeded ids and runs it.
fuzz() {
  local store="$1"
  cp scripts/fuzz-hooks.py "$work/fuzz_hooks.py"
  cat >"$work/schemathesis.toml" <<EOF
max-failures = 50
continue-on-failure = true
request-timeout = 30

[auth.openapi.api_key]
bearer = "$KEY"
[auth.openapi.station_token]
bearer = "$STATION_TOKEN"

[generation]
max-examples = $EXAMPLES
# NUL is refused at the boundary (422); keep it in the inputs.
allow-x00 = true

[checks]
enabled = true

# Operations whose 422 answers depend on state or on several values together, which no schema
# can say: an Idempotency-Key first used for another request (the fuzzer reuses its keys), a
# shipment without customs, a date range ending before it starts, a carrier that needs a
# mapping, a print job for a voided shipment, "carrier_accounts" naming accounts the tenant does
# not have (rates: with that exemption lifted, this was the only rejection Schemathesis found).
# Their 422s are still checked for shape (status, content type, schema); only "valid request
# rejected" is not inferred from them.
[[operations]]
include-method = ["POST", "PUT", "PATCH", "DELETE"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422", "429"]

# Reads of the same kind: a date range ending before it starts, a document the shipment has
# none of, a sheet stock asked for as ZPL or PNG ("?stock=a4-2up&format=zpl").
[[operations]]
include-name = ["GET /v1/analytics/timeliness", "GET /v1/analytics/cost", "GET /v1/shipments/{id}/documents/{kind}", "GET /v1/shipments/{id}/label"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422", "429"]

[[operations]]
include-name = "GET /v1/print-stations/self/jobs"
# A long poll would hold each example for up to a minute.
parameters = { "query.wait" = 0 }

[[operations]]
include-path-regex = "^/v1/shipments/\\\\{id\\\\}/void"
parameters = { "path.id" = "$VOID_SHIPMENT" }

[[operations]]
include-path-regex = "^/v1/shipments/\\\\{id\\\\}(/label|/tracking|/documents/.*)?$"
parameters = { "path.id" = "$SHIPMENT" }

[[operations]]
include-name = "DELETE /v1/carrier-accounts/{id}"
parameters = { "path.id" = "$SPARE_ACCOUNT" }

[[operations]]
include-name = ["GET /v1/carrier-accounts/{id}"]
parameters = { "path.id" = "$ACCOUNT" }

# The connection test asks the carrier itself: the sandbox account answers here (the UPS
# accounts the fuzzer makes point at UPS, which this machine cannot reach: their honest 503
# carrier-unavailable, like the 502 of refused credentials, is tested in
# tests/tests/console_finance.rs).
[[operations]]
include-name = "POST /v1/carrier-accounts/{id}/test"
parameters = { "path.id" = "$ACCOUNT" }

[[operations]]
include-path-regex = "^/v1/carrier-events/"
parameters = { "path.carrier" = "ups", "path.account" = "$ACCOUNT" }

[[operations]]
include-name = "DELETE /v1/webhooks/{id}"
parameters = { "path.id" = "$SPARE_WEBHOOK" }

[[operations]]
include-path-regex = "^/v1/webhooks/\\\\{id\\\\}"
exclude-method = "DELETE"
parameters = { "path.id" = "$WEBHOOK", "path.delivery_id" = "$DELIVERY" }

[[operations]]
include-name = "GET /v1/print-stations/{id}"
parameters = { "path.id" = "$STATION" }

[[operations]]
include-name = "POST /v1/print-stations/{id}/token"
parameters = { "path.id" = "$SPARE_STATION" }

[[operations]]
include-path-regex = "^/v1/print-jobs/\\\\{id\\\\}"
parameters = { "path.id" = "$JOB" }

[[operations]]
include-path-regex = "^/v1/trackers/\\\\{id\\\\}"
parameters = { "path.id" = "$TRACKER" }

[[operations]]
include-path-regex = "^/v1/api-keys/\\\\{id\\\\}"
parameters = { "path.id" = "$SPARE_KEY" }

[[operations]]
include-path-regex = "^/v1/users/\\\\{id\\\\}"
parameters = { "path.id" = "$USER_ID" }

[[operations]]
include-path-regex = "^/v1/rate-cards/\\\\{name\\\\}"
parameters = { "path.name" = "$CARD" }
EOF
  echo "fuzz-api: $store: Schemathesis $("$ST" --version | awk '{print $NF}'), $EXAMPLES examples an operation, against $BASE"
  local rc=0
  (cd "$work" && SCHEMATHESIS_HOOKS=fuzz_hooks "$ST" --config-file "$work/schemathesis.toml" run "$BASE/openapi.json" \
      --checks all --max-examples "$EXAMPLES" --workers 1 --seed 1 --no-color \
      --report junit --report-dir "$work/report") || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "fuzz-api: $store: Schemathesis reported failures (exit $rc); the hub's log:" >&2
    tail -n 50 "$work/err" >&2
    return "$rc"
  fi
  if grep -q "panicked" "$work/err"; then
    grep -B2 -A5 "panicked" "$work/err" >&2
    echo "fuzz-api: $store: the hub panicked" >&2
    return 1
  fi
}

stop_hub() {
  kill "$hub_pid" 2>/dev/null || true
  wait "$hub_pid" 2>/dev/null || true
  hub_pid=""
}

failed=0
for store in "${stores[@]}"; do
  case "$store" in
    sqlite)
      rm -rf "$work/sqlite" && mkdir -p "$work/sqlite"
      start_hub "sqlite://$work/sqlite/hub.db?mode=rwc"
      # A fresh embedded database bootstraps a tenant and prints its key and sandbox account.
      KEY="$(head -1 "$work/out" | json api_key)"
      ACCOUNT="$(head -1 "$work/out" | json carrier_account)"
      ;;
    postgres)
      pg_db="shiphub_fuzz_$$"
      psql -q "$PG_SERVER/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
      export SHIPHUB_MASTER_KEY
      SHIPHUB_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
      KEY="$("$BIN" tenant create fuzz --database-url "$PG_SERVER/$pg_db" | json api_key)"
      start_hub "$PG_SERVER/$pg_db"
      ACCOUNT="$(api POST /v1/carrier-accounts '{"carrier":"sandbox","name":"sandbox"}' | json id)"
      ;;
    *) echo "fuzz-api: unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac
  seed "$ACCOUNT"
  fuzz "$store" || failed=1
  stop_hub
  if [ -n "$pg_db" ]; then
    psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
  fi
done
exit "$failed"
