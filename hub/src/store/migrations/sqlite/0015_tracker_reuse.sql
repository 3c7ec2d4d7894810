-- Carriers reuse tracking numbers (issue 15): a purchase whose number is already followed gets
-- its own tracker and closes the old one (`superseded_by` = the tracker that follows the new
-- shipment; the old one keeps its scans and is no longer polled). So the number is unique
-- only among open trackers, and a tracker keeps the ship date it knows (a purchase here) to
-- pick its own shipment out of a carrier's answer for a reused number.
--
-- SQLite cannot drop a table constraint: the table is rebuilt. Foreign keys are on and cannot
-- be switched off inside the migration's transaction, so the check is deferred to commit:
-- dropping the table orphans the scans for a moment, and copying the rows back re-parents them.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE trackers_0015 AS SELECT * FROM trackers;
DROP TABLE trackers;

CREATE TABLE trackers (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    tracking_number     TEXT NOT NULL,
    carrier             TEXT NOT NULL,
    carrier_account_id  TEXT,
    shipment_id         TEXT,
    service_class       TEXT,
    status              TEXT NOT NULL,
    sub_status          TEXT,
    carrier_status_code TEXT,
    estimated_delivery  TEXT,
    promised_date       TEXT,
    signed_by           TEXT,
    waiting_reason      TEXT,
    urgency             BIGINT NOT NULL DEFAULT 1,
    failures            BIGINT NOT NULL DEFAULT 0,
    last_event_at       BIGINT,
    last_checked_at     BIGINT,
    next_check_at       BIGINT,
    lease_owner         TEXT,
    lease_until         BIGINT,
    delivered_at        BIGINT,
    had_exception       BIGINT NOT NULL DEFAULT 0,
    stalled_notified    BIGINT NOT NULL DEFAULT 0,
    late_notified       BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    ship_date           TEXT,
    superseded_by       TEXT
);
INSERT INTO trackers (id, tenant_id, tracking_number, carrier, carrier_account_id, shipment_id,
    service_class, status, sub_status, carrier_status_code, estimated_delivery, promised_date,
    signed_by, waiting_reason, urgency, failures, last_event_at, last_checked_at, next_check_at,
    lease_owner, lease_until, delivered_at, had_exception, stalled_notified, late_notified,
    created_at, updated_at)
SELECT id, tenant_id, tracking_number, carrier, carrier_account_id, shipment_id,
    service_class, status, sub_status, carrier_status_code, estimated_delivery, promised_date,
    signed_by, waiting_reason, urgency, failures, last_event_at, last_checked_at, next_check_at,
    lease_owner, lease_until, delivered_at, had_exception, stalled_notified, late_notified,
    created_at, updated_at
FROM trackers_0015;
DROP TABLE trackers_0015;

CREATE UNIQUE INDEX trackers_open_number ON trackers(tenant_id, carrier, tracking_number)
    WHERE superseded_by IS NULL;
CREATE INDEX trackers_due ON trackers(next_check_at, urgency);
CREATE INDEX trackers_account_due ON trackers(carrier_account_id, urgency, next_check_at);
CREATE INDEX trackers_tenant ON trackers(tenant_id, id);
CREATE INDEX trackers_shipment ON trackers(shipment_id);
