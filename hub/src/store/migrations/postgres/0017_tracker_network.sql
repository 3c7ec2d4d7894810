-- Aggregators (issue 17): a tracker may name the network an aggregator tracks its number in
-- (Kuaidi100's company code such as `zhongtong`), and remembers when the hub subscribed the
-- parcel to the carrier's push (Kuaidi100 `poll`): NULL until a subscription succeeded, so a
-- failed one is asked again at the next poll. The same number in two networks is two parcels:
-- the open-tracker uniqueness now includes the network (NULL counted as one value of its own).
ALTER TABLE trackers ADD COLUMN network TEXT;
ALTER TABLE trackers ADD COLUMN subscribed_at BIGINT;
DROP INDEX trackers_open_number;
CREATE UNIQUE INDEX trackers_open_number
    ON trackers(tenant_id, carrier, tracking_number, COALESCE(network, ''))
    WHERE superseded_by IS NULL;
