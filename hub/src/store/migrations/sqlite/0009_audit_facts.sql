-- What the freight audit reads of a shipment (lane, parcels, quoted charges), written at
-- purchase as compact JSON so an invoice audit does not decode whole requests and waybills.
-- NULL for shipments bought before: the audit derives it from `request` and `waybill`.
ALTER TABLE shipments ADD COLUMN audit_facts TEXT;
