-- Event streams (issue 22): the outbox relayed to message brokers (NATS JetStream, RabbitMQ).
--
-- One relay, leased like the webhook deliveries: `stream_relay` has one row per relay (`events`),
-- held by one instance until `lease_until`; the instance that holds it publishes the oldest
-- events not yet streamed to every configured sink, and marks them (`events.streamed_at`) in a
-- transaction that also renews its lease, so an instance that lost the lease marks nothing.
-- The row is created by the first `serve` with `--events-to`: streams begin then (events from
-- before are marked streamed in the same transaction, not replayed).
ALTER TABLE events ADD COLUMN streamed_at BIGINT;
CREATE INDEX events_unstreamed ON events(id) WHERE streamed_at IS NULL;

CREATE TABLE stream_relay (
    name        TEXT PRIMARY KEY,
    owner       TEXT,
    lease_until BIGINT NOT NULL,
    relayed     BIGINT NOT NULL,
    started_at  BIGINT NOT NULL
);

-- Which event types a tenant's events go out on the streams; no row: every subscribable type.
-- The same list of names as a webhook endpoint's subscription (`["*"]` for all).
CREATE TABLE stream_filters (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
    events     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
