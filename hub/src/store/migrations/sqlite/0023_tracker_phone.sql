-- Phone hint (issue 17): some networks show a parcel's scans only to whoever gives the
-- sender's or receiver's phone (Kuaidi100 for SF numbers, its `phone` parameter). A tracker
-- keeps the last four digits of the phone it was created with (all Kuaidi100 needs; no more
-- personal data than that is stored). NULL: none given.
ALTER TABLE trackers ADD COLUMN phone TEXT;
