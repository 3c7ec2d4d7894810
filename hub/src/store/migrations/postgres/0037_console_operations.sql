-- The console's operations pages (issue 20).
--
-- `trackers_attention`: the open trackers the exceptions board lists, newest change first. Only
-- parcels in trouble are in it (a problem status, or flagged late or stalled by the tracking
-- module), so the board reads a small index however many parcels are followed. The board's
-- query repeats this predicate word for word (SQLite uses a partial index only then).
CREATE INDEX trackers_attention ON trackers(tenant_id, updated_at, id)
    WHERE superseded_by IS NULL
      AND status NOT IN ('delivered', 'cancelled', 'expired')
      AND (status IN ('exception', 'attempt_fail', 'return_to_sender')
           OR late_notified = 1 OR stalled_notified = 1);

-- A failed or expired print job retried from the console (`POST /v1/print-jobs/{id}/retry`)
-- names the job that prints it again: a job is retried once, so two clicks in two browsers
-- cannot print the label twice.
ALTER TABLE print_jobs ADD COLUMN retried_by TEXT;
