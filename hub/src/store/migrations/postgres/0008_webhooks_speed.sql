-- Webhook delivery speed. The due index also carries the endpoint, so a claim that passes over
-- endpoints (their lanes are full) filters them in the index instead of reading each row. The
-- lease-token index goes: claims return their rows and results are fenced by id and token, so
-- nothing looks a token up, and keeping it cost two index writes per delivery.
DROP INDEX webhook_deliveries_due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at, endpoint_id) WHERE status = 'pending';
DROP INDEX webhook_deliveries_lease;
