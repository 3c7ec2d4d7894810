-- A batch's labels printed as one job (issue 18). A print job belongs to a shipment (its
-- label) or to a batch (every bought label of the batch merged into one document, ordered by
-- `batch_sort`; `labels` is how many it holds): exactly one of `shipment_id` and `batch_id` is
-- set. A batch keeps the print asked for with it (`print_request`, JSON: station, sort,
-- copies; queued when it completes) and its latest print job (`print_job_id`).
--
-- SQLite cannot drop NOT NULL or add a table CHECK: print_jobs is rebuilt as 0015 rebuilt
-- trackers, with the foreign-key check deferred to commit, and its indexes made again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE print_jobs_0024 AS SELECT * FROM print_jobs;
DROP TABLE print_jobs;

CREATE TABLE print_jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    station_id    TEXT NOT NULL REFERENCES print_stations(id),
    shipment_id   TEXT REFERENCES shipments(id),
    format        TEXT NOT NULL,
    copies        BIGINT NOT NULL,
    status        TEXT NOT NULL,
    detail        TEXT,
    deliveries    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    delivered_at  BIGINT,
    completed_at  BIGINT,
    stock         TEXT NOT NULL DEFAULT '4x6',
    dpi           BIGINT NOT NULL DEFAULT 203,
    batch_id      TEXT REFERENCES batches(id),
    batch_sort    TEXT,
    labels        BIGINT,
    CONSTRAINT print_jobs_one_subject CHECK ((shipment_id IS NULL) <> (batch_id IS NULL))
);
INSERT INTO print_jobs (id, tenant_id, station_id, shipment_id, format, copies, status, detail,
    deliveries, created_at, expires_at, delivered_at, completed_at, stock, dpi)
SELECT id, tenant_id, station_id, shipment_id, format, copies, status, detail,
    deliveries, created_at, expires_at, delivered_at, completed_at, stock, dpi
FROM print_jobs_0024;
DROP TABLE print_jobs_0024;

CREATE INDEX print_jobs_station ON print_jobs(station_id, status, id);
CREATE INDEX print_jobs_expiry ON print_jobs(status, expires_at);
CREATE INDEX print_jobs_tenant ON print_jobs(tenant_id, id);
CREATE INDEX print_jobs_batch ON print_jobs(batch_id);

ALTER TABLE batches ADD COLUMN print_request TEXT;
ALTER TABLE batches ADD COLUMN print_job_id TEXT;
