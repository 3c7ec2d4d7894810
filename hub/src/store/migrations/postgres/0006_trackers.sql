-- Trackers: one per parcel followed, created with every purchase or by POST /v1/trackers.
-- The scheduler claims due trackers with a lease (lease_owner/lease_until) so that several
-- hub instances never poll the same tracker at once; a dead instance's leases run out.
-- next_check_at NULL = no longer polled (delivered, returned, expired, or waiting for an
-- account: waiting_reason says which).
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
    UNIQUE (tenant_id, carrier, tracking_number)
);
CREATE INDEX trackers_due ON trackers(next_check_at, urgency);
CREATE INDEX trackers_account_due ON trackers(carrier_account_id, urgency, next_check_at);
CREATE INDEX trackers_tenant ON trackers(tenant_id, id);
CREATE INDEX trackers_shipment ON trackers(shipment_id);

-- Scans, deduplicated per tracker by (time, carrier code, description).
CREATE TABLE tracking_events (
    tracker_id     TEXT NOT NULL REFERENCES trackers(id),
    dedupe_key     TEXT NOT NULL,
    occurred_at    BIGINT NOT NULL,
    offset_seconds BIGINT NOT NULL,
    status         TEXT NOT NULL,
    carrier_code   TEXT NOT NULL,
    sub_status     TEXT,
    description    TEXT NOT NULL,
    location       TEXT,
    PRIMARY KEY (tracker_id, dedupe_key)
);

-- Live scheduler instances (heartbeats), to share each account's quota among them.
CREATE TABLE scheduler_instances (
    id       TEXT PRIMARY KEY,
    seen_at  BIGINT NOT NULL
);
