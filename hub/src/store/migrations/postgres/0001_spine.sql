-- The spine: tenants, API keys, carrier accounts, shipments, documents, idempotency keys.
-- Timestamps are unix milliseconds; money is a decimal string plus an ISO 4217 code (exact,
-- and the same text in both backends).
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE carrier_accounts (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    carrier      TEXT NOT NULL,
    name         TEXT NOT NULL,
    base_url     TEXT,
    secret_nonce BYTEA NOT NULL,
    secret       BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX carrier_accounts_tenant ON carrier_accounts(tenant_id, id);

CREATE TABLE shipments (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id TEXT NOT NULL REFERENCES carrier_accounts(id),
    carrier            TEXT NOT NULL,
    service_code       TEXT NOT NULL,
    status             TEXT NOT NULL,
    tracking_number    TEXT NOT NULL,
    reference          TEXT,
    total_amount       TEXT NOT NULL,
    total_currency     TEXT NOT NULL,
    label_format       TEXT NOT NULL,
    request            TEXT NOT NULL,
    waybill            TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    voided_at          BIGINT
);
CREATE INDEX shipments_tenant ON shipments(tenant_id, id);
CREATE INDEX shipments_tracking ON shipments(tenant_id, tracking_number);

CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    shipment_id  TEXT NOT NULL REFERENCES shipments(id),
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    content      BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX documents_shipment ON documents(tenant_id, shipment_id);

CREATE TABLE idempotency_keys (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    state           TEXT NOT NULL,
    response_status BIGINT,
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
