-- The console's analytics (issue 20) on country lanes: the same delivery counts as
-- `transit_history`, without the postal prefixes. There a lane's five-character postal codes
-- make nearly one row per delivery, so a period's report read as many rows as deliveries
-- (0.8 s on SQLite for a month of a million-shipment year); here a day holds one row per
-- carrier service, country pair and transit days, whatever the volume. Both are written by
-- the one function that counts a delivery, in the same transaction.
CREATE TABLE transit_by_country (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    day           BIGINT NOT NULL,
    carrier       TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    from_country  TEXT NOT NULL,
    to_country    TEXT NOT NULL,
    transit_days  BIGINT NOT NULL,
    deliveries    BIGINT NOT NULL,
    promised      BIGINT NOT NULL,
    on_time       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, carrier, service_code, from_country, to_country, transit_days)
);
INSERT INTO transit_by_country (tenant_id, day, carrier, service_code, from_country, to_country,
    transit_days, deliveries, promised, on_time)
SELECT tenant_id, day, carrier, service_code, from_country, to_country, transit_days,
    SUM(deliveries), SUM(promised), SUM(on_time)
FROM transit_history
GROUP BY tenant_id, day, carrier, service_code, from_country, to_country, transit_days;
