-- The exceptions board's and the overview's counts of parcels in trouble (issue 20) read only
-- the index `trackers_attention` (an index-only scan): it now carries what they count (the
-- status and the late and stalled flags) besides the keys of the board's order. Same
-- predicate as migration 0037, which the queries repeat.
DROP INDEX trackers_attention;
CREATE INDEX trackers_attention ON trackers(tenant_id, updated_at, id)
    INCLUDE (status, late_notified, stalled_notified)
    WHERE superseded_by IS NULL
      AND status NOT IN ('delivered', 'cancelled', 'expired')
      AND (status IN ('exception', 'attempt_fail', 'return_to_sender')
           OR late_notified = 1 OR stalled_notified = 1);
