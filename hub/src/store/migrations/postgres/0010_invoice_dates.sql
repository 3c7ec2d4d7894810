-- The invoice date of each kept package (ISO `YYYY-MM-DD`, NULL when the file gave none), so
-- that re-auditing an older invoice does not count a later invoice's billing as the earlier one.
ALTER TABLE invoice_packages ADD COLUMN invoice_date TEXT;
