-- How long migration 0036 locks `shipments` on PostgreSQL (README "Upgrading"): on a copy of a
-- seeded table (scripts/bench-console.sh's database, kept: e.g. stop the script after
-- seed-console.py), with the indexes shipments had before 0036, run 0036's statements in one
-- transaction as the migrator does and print the seconds between its first statement and
-- COMMIT. The copy is dropped after.
-- Usage: psql postgres://…/DB -v ON_ERROR_STOP=1 -f scripts/time-migration-0036-pg.sql
\timing on
DROP TABLE IF EXISTS s36;
CREATE TABLE s36 AS SELECT id, tenant_id, carrier_account_id, carrier, service_code, status, tracking_number, reference,
  total_amount, total_currency, label_format, request, waybill, created_at, updated_at, voided_at, audit_facts,
  is_return, return_for, hold, hold_until FROM shipments;
ALTER TABLE s36 ADD PRIMARY KEY (id);
CREATE INDEX s36_tenant ON s36(tenant_id, id);
CREATE INDEX s36_tracking ON s36(tenant_id, tracking_number);
CREATE INDEX s36_reference ON s36(tenant_id, reference);
CREATE INDEX s36_return_for ON s36(tenant_id, return_for);
CREATE INDEX s36_account_created ON s36(tenant_id, carrier_account_id, created_at);
VACUUM ANALYZE s36;
SELECT pg_size_pretty(pg_total_relation_size('s36')) AS copy_size, count(*) FROM s36;
\echo === 0036 on the copy, one transaction as the migration runs
BEGIN;
SELECT clock_timestamp() AS t0 \gset
ALTER TABLE s36 ADD COLUMN recipient_name TEXT COLLATE "C"
    GENERATED ALWAYS AS (translate((request::jsonb) -> 'to' ->> 'name',
        'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED;
CREATE INDEX s36_recipient ON s36(tenant_id, recipient_name, created_at DESC, id DESC);
CREATE INDEX s36_created ON s36(tenant_id, created_at, id);
DROP INDEX s36_tracking;
CREATE INDEX s36_tracking ON s36(tenant_id, tracking_number, created_at, id);
DROP INDEX s36_reference;
CREATE INDEX s36_reference ON s36(tenant_id, reference, created_at, id);
CREATE INDEX s36_carrier_created ON s36(tenant_id, carrier, created_at, id);
CREATE INDEX s36_status_created ON s36(tenant_id, status, created_at, id);
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS locked_seconds;
COMMIT;
DROP TABLE s36;
