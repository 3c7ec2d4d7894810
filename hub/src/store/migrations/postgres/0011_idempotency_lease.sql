-- Idempotency keys survive crashes. A started key is leased to the instance running its request
-- (`owner`, renewed while the work runs); once `lease_until` has passed, any instance may claim
-- the key and resolve it. `scope` (method and path) lets a reuse elsewhere be named. `stage`
-- says how far a buying request got: NULL (the carrier was not reached), `sent` (the request
-- went to the carrier, `progress` holds what was asked), `answered` (`progress` holds the
-- carrier's whole answer, so recovery can record it).
ALTER TABLE idempotency_keys ADD COLUMN scope TEXT;
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until BIGINT;
ALTER TABLE idempotency_keys ADD COLUMN stage TEXT;
ALTER TABLE idempotency_keys ADD COLUMN progress TEXT;
CREATE INDEX idempotency_keys_started ON idempotency_keys (lease_until) WHERE state = 'started';
