-- Smart routing (issue 21).
--
-- `transit_history`: per tenant, carrier, service and lane, a histogram of integer transit
-- business days per delivery day. A delivery adds one to one row (O(1), in the transaction
-- that records it); the sliding window is a `day >= $since` bound, so percentiles summed over
-- the rows in the window are exact. Postal codes are kept normalized (upper-case letters and
-- digits) and cut to 5 characters; a query's lane granularity is a prefix of them (0 =
-- country only), so changing the granularity needs no rebuild.
-- `promised` counts deliveries that had a promise (promised or else estimated date);
-- `on_time` those delivered on or before it.
CREATE TABLE transit_history (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    carrier       TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    from_country  TEXT NOT NULL,
    from_postal   TEXT NOT NULL,
    to_country    TEXT NOT NULL,
    to_postal     TEXT NOT NULL,
    day           BIGINT NOT NULL,
    transit_days  BIGINT NOT NULL,
    deliveries    BIGINT NOT NULL,
    promised      BIGINT NOT NULL,
    on_time       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, carrier, service_code, from_country, from_postal, to_country, to_postal, day, transit_days)
);
CREATE INDEX transit_history_lane ON transit_history(tenant_id, from_country, to_country, day);

-- A tenant's routing rules (the JSON document as accepted by `PUT /v1/routing-rules`).
CREATE TABLE routing_rules (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    document    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The quotes the hub showed for a purchase chosen by a strategy (JSON), beside the chosen one,
-- for the cost report's savings against the cheapest and the fastest alternative.
CREATE TABLE purchase_quotes (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    shipment_id  TEXT NOT NULL REFERENCES shipments(id),
    strategy     TEXT NOT NULL,
    chosen       TEXT NOT NULL,
    cheapest     TEXT NOT NULL,
    fastest      TEXT NOT NULL,
    currency     TEXT NOT NULL,
    quotes       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id)
);
