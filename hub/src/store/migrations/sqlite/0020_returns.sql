-- Return labels (issue 18): `is_return` marks a label the customer sends back with;
-- `return_for` is, on a return bought with its outbound shipment, the outbound's id.
ALTER TABLE shipments ADD COLUMN is_return BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN return_for TEXT;
CREATE INDEX shipments_return_for ON shipments(tenant_id, return_for);
