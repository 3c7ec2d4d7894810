#!/usr/bin/env python3
"""Fills a hub's store with N shipments (and their trackers) for the console benchmark
(scripts/bench-console.sh): copies of the real shipments already in it, spread over the past
year, with their own ids (time-ordered, as the hub makes them), tracking numbers, references
and recipient names. Trackers: 85% delivered, 9% in transit (some stalled), 3% exception,
2% attempt failed, 1% returning; none is due for a poll during the run. The deliveries are
counted in the analytics' day buckets as the tracking path counts them.

Usage: seed-console.py DATABASE_URL N   (sqlite://path or postgres://…; the hub stopped)
"""
import subprocess
import sys
import time

url, n = sys.argv[1], int(sys.argv[2])
pg = url.startswith("postgres")
now_ms = int(time.time() * 1000)
year_ms = 365 * 24 * 3600 * 1000
step = max(1, year_ms // n)
far = now_ms + 30 * 24 * 3600 * 1000
days3 = 3 * 24 * 3600 * 1000

if pg:
    hex12 = "lpad(to_hex({}), 12, '0')"
    hex19 = "lpad(to_hex({}), 19, '0')"
    seq = f"(SELECT generate_series(0::bigint, {n - 1}) AS n) s"
    pad = "lpad(({})::text, 10, '0')"
else:
    hex12 = "printf('%012x', {})"
    hex19 = "printf('%019x', {})"
    seq = f"(WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < {n - 1}) SELECT n FROM r) s"
    pad = "printf('%010d', {})"

ms = f"({now_ms - year_ms} + s.n * {step})"
shp_id = f"'shp_' || {hex12.format(ms)} || '7' || {hex19.format('s.n')}"
trk_id = f"'trk_' || {hex12.format(ms)} || '7' || {hex19.format('s.n')}"
tracking = f"'SBB' || {pad.format('s.n')}"
names = ["Wang Fang", "Li Na", "Zhang Wei", "Maria Garcia", "James Smith", "Aiko Tanaka", "Olu Ade", "Chen Jie"]


def run(sql):
    if pg:
        subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)
    else:
        import sqlite3
        path = url.split("://", 1)[1].split("?", 1)[0]
        c = sqlite3.connect(path)
        c.executescript(sql)
        c.commit()
        c.close()


def columns(table):
    if pg:
        out = subprocess.run(
            ["psql", url, "-Atc",
             f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' "
             "AND table_schema = current_schema() AND is_generated = 'NEVER' ORDER BY ordinal_position"],
            check=True, capture_output=True, text=True).stdout
        return out.split()
    import sqlite3
    path = url.split("://", 1)[1].split("?", 1)[0]
    c = sqlite3.connect(path)
    cols = [r[1] for r in c.execute(f"PRAGMA table_info({table})")]
    c.close()
    return cols


def copy(table, overrides):
    cols = columns(table)
    exprs = [overrides.get(c, f"t.{c}") for c in cols]
    return (f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {seq} "
            f"JOIN (SELECT x.*, (row_number() OVER (ORDER BY x.id)) - 1 AS k FROM {table} x) t "
            f"ON t.k = s.n % (SELECT count(*) FROM {table}) ")


name_case = "CASE s.n % 8 " + " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(names)) + " END"
ship = {
    "id": shp_id, "tracking_number": tracking, "reference": f"'ORD-' || {pad.format('s.n')}",
    "created_at": ms, "updated_at": ms, "voided_at": "NULL",
}
# The recipient's name in the stored request (the search column is generated from it).
recipient = f"{name_case} || ' ' || (s.n % 997)"
if pg:
    ship["request"] = f"jsonb_set(t.request::jsonb, '{{to,name}}', to_jsonb({recipient}))::text"
else:
    ship["request"] = f"json_set(t.request, '$.to.name', {recipient})"
status = ("CASE WHEN s.n % 100 < 85 THEN 'delivered' WHEN s.n % 100 < 94 THEN 'in_transit' "
          "WHEN s.n % 100 < 97 THEN 'exception' WHEN s.n % 100 < 99 THEN 'attempt_fail' "
          "ELSE 'return_to_sender' END")
trk = {
    "id": trk_id, "shipment_id": shp_id, "tracking_number": tracking, "status": status,
    "created_at": ms, "updated_at": ms, "last_event_at": f"{ms} + {days3 // 3}",
    "delivered_at": f"CASE WHEN s.n % 100 < 85 THEN {ms} + {days3} ELSE NULL END",
    "had_exception": "CASE WHEN s.n % 100 >= 94 THEN 1 ELSE 0 END",
    "next_check_at": str(far), "lease_owner": "NULL", "lease_until": "NULL",
    "superseded_by": "NULL",
    "stalled_notified": "CASE WHEN s.n % 100 = 90 THEN 1 ELSE 0 END",
    "late_notified": "CASE WHEN s.n % 100 = 91 THEN 1 ELSE 0 END",
}
# Their deliveries as the tracking path counts them (the analytics page's day buckets): spread
# over 3 carriers, 2 services, 8 destination countries and 1-7 business days, 80% on time.
def case(expr, values):
    return f"CASE {expr} " + " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values)) + " END"


lane = [case("s.n % 3", ["sandbox", "ups", "fedex"]), case("(s.n / 3) % 2", ["standard", "express"]),
        case("(s.n / 6) % 8", ["US", "CA", "MX", "DE", "GB", "FR", "JP", "AU"]), "(s.n / 48) % 7 + 1"]
deliveries_sql = (
    "INSERT INTO transit_by_country (tenant_id, day, carrier, service_code, from_country, to_country, "
    "transit_days, deliveries, promised, on_time) "
    f"SELECT (SELECT tenant_id FROM shipments LIMIT 1), ({ms} + {days3}) / 86400000 + 2440588 AS d, "
    f"{lane[0]} AS c, {lane[1]} AS sv, 'US', {lane[2]} AS tc, {lane[3]} AS td, count(*), count(*), "
    f"SUM(CASE WHEN (s.n / 336) % 10 < 8 THEN 1 ELSE 0 END) FROM {seq} WHERE s.n % 100 < 85 "
    "GROUP BY d, c, sv, tc, td")
t0 = time.time()
ship_sql = copy("shipments", {k: v for k, v in ship.items() if k in columns("shipments")})
trk_sql = copy("trackers", {k: v for k, v in trk.items() if k in columns("trackers")})
# Only the real rows are templates: the copies are made in one statement each, shipments first.
run(f"BEGIN; {ship_sql}; {trk_sql}; {deliveries_sql}; COMMIT;")
run("ANALYZE;")
print(f"seeded {n} shipments and trackers in {time.time() - t0:.1f} s", file=sys.stderr)
