-- Carriers' verdicts on addresses (POST /v1/addresses/verify), kept per tenant for the
-- configured time: addresses repeat. `cache_key` is a SHA-256 of the validating account and
-- the normalized address; `answer` the carrier's AddressCheck as JSON; `checked_at` unix ms.
CREATE TABLE address_checks (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    cache_key   TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    answer      TEXT NOT NULL,
    checked_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, cache_key)
);
