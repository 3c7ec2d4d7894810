-- Batches of purchases (issue 18). A batch is accepted at once and bought in the background;
-- `status` is running until every item is bought or failed, then completed. Each item keeps
-- its purchase as given (`body`, JSON) and its outcome: queued -> bought (shipment_id) |
-- failed (problem, the RFC 9457 body). An item is bought under the idempotency key
-- `batch:<batch id>:<index>`, so a batch resumed after a crash never buys an item twice.
CREATE TABLE batches (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    status         TEXT NOT NULL,
    label_format   TEXT NOT NULL,
    item_count     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    completed_at   BIGINT
);
CREATE INDEX batches_tenant ON batches(tenant_id, id);
CREATE INDEX batches_running ON batches(status, id);

CREATE TABLE batch_items (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    idx          BIGINT NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,
    shipment_id  TEXT,
    problem      TEXT,
    PRIMARY KEY (batch_id, idx)
);
CREATE INDEX batch_items_status ON batch_items(batch_id, status, idx);
