-- The event outbox: every change a subscriber may hear about writes its event here in the same
-- transaction as the change itself, so an event exists if and only if the change committed.
-- Dispatchers (webhooks) read from it; the id is the stable event id subscribers see.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    type        TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, id);
