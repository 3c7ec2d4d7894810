-- Warehouse printing. A station is one print agent (one printer); its token is stored hashed
-- like an API key. A job moves queued -> delivered (an agent took it; redelivered if the agent
-- goes quiet before acknowledging) -> printed | failed, or queued -> expired when no agent
-- takes it within its TTL. Jobs are served in id (creation) order.
CREATE TABLE print_stations (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    name            TEXT NOT NULL,
    format          TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    printer_state   TEXT,
    printer_detail  TEXT,
    last_seen_at    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX print_stations_tenant ON print_stations(tenant_id, id);

CREATE TABLE print_jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    station_id    TEXT NOT NULL REFERENCES print_stations(id),
    shipment_id   TEXT NOT NULL REFERENCES shipments(id),
    format        TEXT NOT NULL,
    copies        BIGINT NOT NULL,
    status        TEXT NOT NULL,
    detail        TEXT,
    deliveries    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    delivered_at  BIGINT,
    completed_at  BIGINT
);
CREATE INDEX print_jobs_station ON print_jobs(station_id, status, id);
CREATE INDEX print_jobs_expiry ON print_jobs(status, expires_at);
CREATE INDEX print_jobs_tenant ON print_jobs(tenant_id, id);
