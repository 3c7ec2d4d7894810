-- Webhooks (issue 6). An endpoint subscribes a URL to event types; its signing secret is stored
-- encrypted under the master key (AES-GCM, endpoint id as associated data). During a rotation
-- the previous secret stays valid (and signs too) until `old_secret_expires_at`.
-- `failing_since` is the start of the current run of failed attempts (NULL after a success);
-- a run longer than the configured limit, or one 410 Gone, disables the endpoint.
CREATE TABLE webhook_endpoints (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    url                   TEXT NOT NULL,
    description           TEXT,
    events                TEXT NOT NULL,
    enabled               BIGINT NOT NULL,
    disabled_reason       TEXT,
    secret_nonce          BYTEA NOT NULL,
    secret                BYTEA NOT NULL,
    old_secret_nonce      BYTEA,
    old_secret            BYTEA,
    old_secret_expires_at BIGINT,
    failing_since         BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    deleted_at            BIGINT
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints(tenant_id, id);

-- Fan-out marks each outbox event once it has its deliveries (in the same transaction), so a
-- crash between the two only repeats the fan-out, which the unique (endpoint, event) absorbs.
ALTER TABLE events ADD COLUMN fanned_out_at BIGINT;
CREATE INDEX events_unfanned ON events(id) WHERE fanned_out_at IS NULL;

-- One delivery per (endpoint, event). `pending` rows are due at `next_attempt_at`; a dispatcher
-- claims a row by pushing `next_attempt_at` one lease ahead under its `lease_token`, so a dead
-- instance's claim simply falls due again. `one_shot` marks manual resends and recoveries,
-- which are tried once and never rescheduled.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_id         TEXT NOT NULL REFERENCES events(id),
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    one_shot         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_token      TEXT,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(tenant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_lease ON webhook_deliveries(lease_token);

-- Every attempt: HTTP status (NULL without an answer), latency, the first KiB of the answer.
CREATE TABLE webhook_attempts (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt      BIGINT NOT NULL,
    outcome      TEXT NOT NULL,
    status_code  BIGINT,
    latency_ms   BIGINT NOT NULL,
    response     TEXT,
    error        TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
