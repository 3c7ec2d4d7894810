-- Freight reconciliation: one row per imported carrier invoice file. An import becomes
-- visible as a whole: its packages and report files are written while the status is
-- 'running' and only count (duplicate billing across invoices, downloads) once a single
-- transaction flips it to 'completed'; a failed or abandoned import is deleted, not kept
-- half-written.
CREATE TABLE reconciliations (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    carrier       TEXT NOT NULL,
    status        TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    file_bytes    BIGINT NOT NULL,
    rate_card     TEXT,
    lines         BIGINT NOT NULL DEFAULT 0,
    packages      BIGINT NOT NULL DEFAULT 0,
    error_count   BIGINT NOT NULL DEFAULT 0,
    summary       TEXT,
    failure       TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    completed_at  BIGINT
);
CREATE INDEX reconciliations_tenant ON reconciliations(tenant_id, id);
CREATE INDEX reconciliations_file ON reconciliations(tenant_id, file_sha256);

-- What each package of an invoice was billed, and the audit's verdict. `bills_shipment`:
-- the package carries the shipment charge itself (not only corrections), so a later
-- invoice billing it again is a duplicate.
CREATE TABLE invoice_packages (
    reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id),
    seq               BIGINT NOT NULL,
    tenant_id         TEXT NOT NULL,
    invoice_number    TEXT NOT NULL,
    tracking_number   TEXT NOT NULL,
    shipment_id       TEXT,
    bills_shipment    BIGINT NOT NULL,
    billed            TEXT NOT NULL,
    recoverable       TEXT NOT NULL,
    reasons           TEXT NOT NULL,
    PRIMARY KEY (reconciliation_id, seq)
);
CREATE INDEX invoice_packages_tracking ON invoice_packages(tenant_id, tracking_number);

-- The reports, rendered once at import, kept in chunks (streamed in and out; a million-line
-- report never sits whole in memory).
CREATE TABLE reconciliation_files (
    reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id),
    kind              TEXT NOT NULL,
    seq               BIGINT NOT NULL,
    content           BLOB NOT NULL,
    PRIMARY KEY (reconciliation_id, kind, seq)
);

-- Per-tenant audit settings (tolerances, fuel tables, contract cards), as JSON.
CREATE TABLE audit_settings (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Column mappings for invoices of carriers without a built-in layout (TOML text).
CREATE TABLE invoice_mappings (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Matching invoice packages by the shipper's reference when the tracking number is unknown.
CREATE INDEX shipments_reference ON shipments(tenant_id, reference);
