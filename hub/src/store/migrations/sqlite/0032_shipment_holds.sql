-- A void and an end-of-day close each hold their shipments before they call the carrier (issue
-- 18): whichever holds first goes out, the other is refused before the carrier hears of it, so a
-- label is never voided at the carrier while a manifest that lists it is written (or the reverse).
-- `hold` names the holder (`void:…` or `manifest:…`); `hold_until` bounds a hold whose process
-- died mid-call (unix milliseconds).
ALTER TABLE shipments ADD COLUMN hold TEXT;
ALTER TABLE shipments ADD COLUMN hold_until BIGINT;
