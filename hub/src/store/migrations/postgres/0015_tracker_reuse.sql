-- Carriers reuse tracking numbers (issue 15): a purchase whose number is already followed gets
-- its own tracker and closes the old one (`superseded_by` = the tracker that follows the new
-- shipment; the old one keeps its scans and is no longer polled). So the number is unique
-- only among open trackers, and a tracker keeps the ship date it knows (a purchase here) to
-- pick its own shipment out of a carrier's answer for a reused number.
ALTER TABLE trackers ADD COLUMN ship_date TEXT;
ALTER TABLE trackers ADD COLUMN superseded_by TEXT;
ALTER TABLE trackers DROP CONSTRAINT trackers_tenant_id_carrier_tracking_number_key;
CREATE UNIQUE INDEX trackers_open_number ON trackers(tenant_id, carrier, tracking_number)
    WHERE superseded_by IS NULL;
