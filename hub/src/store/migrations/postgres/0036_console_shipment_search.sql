-- The console's shipment search (issue 20): every search is one index range scan, newest first
-- (`created_at DESC, id DESC`), with the keyset cursor inside the same index.
--
-- `recipient_name`: the destination's name with A-Z lower-cased (as SQLite's `lower`, which
-- folds only ASCII, so a prefix means the same on both backends), in the "C" collation (byte
-- order, as SQLite's, so a prefix is a range). A prefix search walks the index in name order,
-- newest first within a name.
ALTER TABLE shipments ADD COLUMN recipient_name TEXT COLLATE "C"
    GENERATED ALWAYS AS (translate((request::jsonb) -> 'to' ->> 'name',
        'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED;
CREATE INDEX shipments_recipient ON shipments(tenant_id, recipient_name, created_at DESC, id DESC);

-- The bare list and a date range.
CREATE INDEX shipments_created ON shipments(tenant_id, created_at, id);
-- Exact matches: newest first within the match. Each replaces an index that is its prefix.
DROP INDEX shipments_tracking;
CREATE INDEX shipments_tracking ON shipments(tenant_id, tracking_number, created_at, id);
DROP INDEX shipments_reference;
CREATE INDEX shipments_reference ON shipments(tenant_id, reference, created_at, id);
CREATE INDEX shipments_carrier_created ON shipments(tenant_id, carrier, created_at, id);
CREATE INDEX shipments_status_created ON shipments(tenant_id, status, created_at, id);

-- A shipment's events on its detail page.
CREATE INDEX events_subject ON events(tenant_id, subject_id, id);
-- The webhook deliveries those events made.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(tenant_id, event_id);
