-- Several hub instances on one database (issue 19). Every `serve` process registers its
-- instance id here and heartbeats; an instance whose heartbeat is older than the dead-after
-- interval is declared dead by any live one, which releases every claim it held in the same
-- transaction that deletes its row (so of several reapers exactly one releases). Every claim
-- therefore names the instance that holds it: trackers (`lease_owner`), idempotency keys
-- (`owner`) and pulls (`pull_owner`) did already; webhook deliveries, print jobs handed out
-- and running batches gain theirs here. Replaces `scheduler_instances` (the tracking
-- scheduler counted live instances there to share quotas; the registry counts them now).
DROP TABLE scheduler_instances;
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX instances_seen ON instances(seen_at);

ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;
CREATE INDEX webhook_deliveries_owner ON webhook_deliveries(lease_owner) WHERE lease_token IS NOT NULL;

ALTER TABLE print_jobs ADD COLUMN delivered_by TEXT;
CREATE INDEX print_jobs_delivered_by ON print_jobs(delivered_by) WHERE status = 'delivered';

ALTER TABLE batches ADD COLUMN owner TEXT;

CREATE INDEX trackers_lease_owner ON trackers(lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX idempotency_keys_owner ON idempotency_keys(owner) WHERE state = 'started';
