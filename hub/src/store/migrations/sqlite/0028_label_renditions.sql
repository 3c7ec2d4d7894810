-- Label renditions (issue 19): a carrier label converted to another format, stock or resolution
-- (UPS ZPL served as PDF: 12–14 ms and ~9 MB of CPU work each time) is converted once, at its
-- first fetch, and served from here afterwards. `piece` 0 is the whole document (every piece,
-- what GET /v1/shipments/{id}/label serves); `stock` and `dpi` are the query's names. Rows are
-- derived from the carrier's label in `documents` and kept as long as it is (no expiry of their
-- own); they go with their shipment.
CREATE TABLE label_renditions (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    shipment_id  TEXT NOT NULL REFERENCES shipments(id) ON DELETE CASCADE,
    piece        INTEGER NOT NULL,
    format       TEXT NOT NULL,
    stock        TEXT NOT NULL,
    dpi          INTEGER NOT NULL,
    content      BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id, piece, format, stock, dpi)
);
