-- Smart routing's per-delivery cost (issue 21: ≤ 10 µs). A delivery was counted by two
-- upserts sent by the hub, one per table; now the hub sends one, to `transit_history`, and
-- this trigger counts the same delivery in its country lane in the same statement and
-- transaction (one round trip fewer). An upsert fires the insert trigger for a new bar and
-- the update trigger for an existing one; the update adds what changed. Deletes (pruning)
-- fire nothing: each table keeps its own window.
CREATE FUNCTION transit_history_count_by_country() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO transit_by_country AS c (tenant_id, day, carrier, service_code, from_country,
        to_country, transit_days, deliveries, promised, on_time)
    VALUES (NEW.tenant_id, NEW.day, NEW.carrier, NEW.service_code, NEW.from_country,
        NEW.to_country, NEW.transit_days,
        NEW.deliveries - CASE WHEN TG_OP = 'UPDATE' THEN OLD.deliveries ELSE 0 END,
        NEW.promised - CASE WHEN TG_OP = 'UPDATE' THEN OLD.promised ELSE 0 END,
        NEW.on_time - CASE WHEN TG_OP = 'UPDATE' THEN OLD.on_time ELSE 0 END)
    ON CONFLICT (tenant_id, day, carrier, service_code, from_country, to_country, transit_days)
    DO UPDATE SET deliveries = c.deliveries + excluded.deliveries,
        promised = c.promised + excluded.promised, on_time = c.on_time + excluded.on_time;
    RETURN NULL;
END
$$;
CREATE TRIGGER transit_history_counts_by_country
AFTER INSERT OR UPDATE OF deliveries, promised, on_time ON transit_history
FOR EACH ROW EXECUTE FUNCTION transit_history_count_by_country();
