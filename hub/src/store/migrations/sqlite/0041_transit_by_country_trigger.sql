-- Smart routing's per-delivery cost (issue 21: ≤ 10 µs). A delivery was counted by two
-- upserts sent by the hub, one per table; most of each one's cost was the statement's round
-- trip through the driver, not SQLite's work. Now the hub sends one, to `transit_history`,
-- and these triggers count the same delivery in its country lane, in the same statement and
-- transaction. An upsert fires the insert trigger for a new bar and the update trigger for an
-- existing one; the update adds what changed. Deletes (pruning) fire nothing: each table
-- keeps its own window.
CREATE TRIGGER transit_history_counts_new_bar AFTER INSERT ON transit_history BEGIN
    INSERT INTO transit_by_country (tenant_id, day, carrier, service_code, from_country,
        to_country, transit_days, deliveries, promised, on_time)
    VALUES (NEW.tenant_id, NEW.day, NEW.carrier, NEW.service_code, NEW.from_country,
        NEW.to_country, NEW.transit_days, NEW.deliveries, NEW.promised, NEW.on_time)
    ON CONFLICT (tenant_id, day, carrier, service_code, from_country, to_country, transit_days)
    DO UPDATE SET deliveries = deliveries + excluded.deliveries,
        promised = promised + excluded.promised, on_time = on_time + excluded.on_time;
END;
CREATE TRIGGER transit_history_counts_bar_change AFTER UPDATE OF deliveries, promised, on_time
ON transit_history BEGIN
    INSERT INTO transit_by_country (tenant_id, day, carrier, service_code, from_country,
        to_country, transit_days, deliveries, promised, on_time)
    VALUES (NEW.tenant_id, NEW.day, NEW.carrier, NEW.service_code, NEW.from_country,
        NEW.to_country, NEW.transit_days, NEW.deliveries - OLD.deliveries,
        NEW.promised - OLD.promised, NEW.on_time - OLD.on_time)
    ON CONFLICT (tenant_id, day, carrier, service_code, from_country, to_country, transit_days)
    DO UPDATE SET deliveries = deliveries + excluded.deliveries,
        promised = promised + excluded.promised, on_time = on_time + excluded.on_time;
END;
