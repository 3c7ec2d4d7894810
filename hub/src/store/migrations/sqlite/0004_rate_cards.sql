-- Rate cards uploaded by tenants for the table-rate carrier. One row per version of a card
-- (a card's versions differ by the date they take effect); the TOML text is kept verbatim
-- and compiled by `shiphub-rating` when an account using the card is first used.
CREATE TABLE rate_cards (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name, valid_from)
);
