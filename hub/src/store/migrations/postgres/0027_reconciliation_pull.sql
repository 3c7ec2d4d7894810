-- Pulls from a carrier's billing API run in the background (issue 17). A pull's record is
-- `pulling` while the carrier is asked, one waybill after another: `pull` keeps what was asked
-- (JSON: account, waybills, period, rate card), `pull_done` of `pull_total` waybills are asked
-- so far, and the bills answered so far wait in `reconciliation_bills` (one row per asked
-- batch). The instance pulling holds a lease (`pull_owner`, `pull_lease_until`), renewed as it
-- goes; a pull whose lease ran out (its instance died) is claimed by another instance, or the
-- restarted one, and resumed where it stopped. Once every bill is in, one transaction turns it
-- `running` (an import like a file's) and drops its bills; a pull that fails keeps its
-- RFC 9457 `problem` (the carrier error's type, retry class and detail) and nothing else.
ALTER TABLE reconciliations ADD COLUMN pull TEXT;
ALTER TABLE reconciliations ADD COLUMN pull_total BIGINT;
ALTER TABLE reconciliations ADD COLUMN pull_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reconciliations ADD COLUMN pull_owner TEXT;
ALTER TABLE reconciliations ADD COLUMN pull_lease_until BIGINT;
ALTER TABLE reconciliations ADD COLUMN problem TEXT;
CREATE INDEX reconciliations_pulling ON reconciliations(status, pull_lease_until);

CREATE TABLE reconciliation_bills (
    reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id),
    seq               BIGINT NOT NULL,
    bills             TEXT NOT NULL,
    PRIMARY KEY (reconciliation_id, seq)
);
