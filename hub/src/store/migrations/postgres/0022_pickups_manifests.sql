-- Courier pickups and end-of-day manifests (issue 18). A pickup keeps the request the carrier
-- was sent and its confirmation (JSON), so a cancel sends back what the carrier needs. A
-- manifest keeps its document (the carrier's, or the page the hub drew) and, one row per
-- shipment, what it covers: the primary key on the shipment is what makes a shipment
-- manifested at most once, and what a void checks.
CREATE TABLE pickups (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id TEXT NOT NULL REFERENCES carrier_accounts(id),
    carrier            TEXT NOT NULL,
    status             TEXT NOT NULL,
    pickup_date        TEXT NOT NULL,
    request            TEXT NOT NULL,
    confirmation       TEXT NOT NULL,
    shipment_ids       TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    cancelled_at       BIGINT
);
CREATE INDEX pickups_tenant ON pickups(tenant_id, id);

CREATE TABLE manifests (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id  TEXT NOT NULL REFERENCES carrier_accounts(id),
    carrier             TEXT NOT NULL,
    ship_date           TEXT NOT NULL,
    carrier_manifest_id TEXT NOT NULL,
    tracking_numbers    TEXT NOT NULL,
    warnings            TEXT NOT NULL,
    document_source     TEXT NOT NULL,
    document_format     TEXT NOT NULL,
    document            BYTEA NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX manifests_tenant ON manifests(tenant_id, id);

CREATE TABLE manifest_shipments (
    shipment_id TEXT PRIMARY KEY REFERENCES shipments(id),
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    manifest_id TEXT NOT NULL REFERENCES manifests(id)
);
CREATE INDEX manifest_shipments_manifest ON manifest_shipments(tenant_id, manifest_id);
-- The close of a day reads the account's recent purchases.
CREATE INDEX shipments_account_created ON shipments(tenant_id, carrier_account_id, created_at);
