-- A batch's labels printed as one job (issue 18). A print job belongs to a shipment (its
-- label) or to a batch (every bought label of the batch merged into one document, ordered by
-- `batch_sort`; `labels` is how many it holds): exactly one of `shipment_id` and `batch_id` is
-- set. A batch keeps the print asked for with it (`print_request`, JSON: station, sort,
-- copies; queued when it completes) and its latest print job (`print_job_id`).
ALTER TABLE print_jobs ALTER COLUMN shipment_id DROP NOT NULL;
ALTER TABLE print_jobs ADD COLUMN batch_id TEXT REFERENCES batches(id);
ALTER TABLE print_jobs ADD COLUMN batch_sort TEXT;
ALTER TABLE print_jobs ADD COLUMN labels BIGINT;
ALTER TABLE print_jobs ADD CONSTRAINT print_jobs_one_subject
    CHECK ((shipment_id IS NULL) <> (batch_id IS NULL));
CREATE INDEX print_jobs_batch ON print_jobs(batch_id);

ALTER TABLE batches ADD COLUMN print_request TEXT;
ALTER TABLE batches ADD COLUMN print_job_id TEXT;
