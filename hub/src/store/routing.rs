//! Smart routing's tables (migration 0035): the transit histograms fed by deliveries, each
//! tenant's routing rules, and the quotes shown with a purchase chosen by a strategy.
//!
//! A delivery is counted here, in the transaction `record_tracking` writes it in, so the
//! histogram never misses or double-counts one. What a delivery is (which lane, how many
//! business days) is decided here too, from the shipment's stored request: the store is the
//! one place both the tracker and the shipment are at hand, and `routing` reads the result.

use sqlx::Row;
use time::{Date, OffsetDateTime};

use super::{Result, Store, from_millis, millis};
use crate::ids::TenantId;
use crate::store::TrackerRecord;

/// How many characters of a postal code are kept (the finest lane a query can ask for).
pub const POSTAL_KEPT: usize = 5;

/// One delivered shipment, as the transit history counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub carrier: String,
    pub service_code: String,
    pub from_country: String,
    pub from_postal: String,
    pub to_country: String,
    pub to_postal: String,
    pub shipped: Date,
    pub delivered: Date,
    /// The promised (else estimated) delivery date, when there was one.
    pub promise: Option<Date>,
}

impl Delivery {
    /// Business days in transit (the carriers' calendar: Monday to Friday).
    pub fn transit_days(&self) -> i64 {
        business_days_between(self.shipped, self.delivered)
    }

    pub fn on_time(&self) -> Option<bool> {
        self.promise.map(|p| self.delivered <= p)
    }
}

/// Business days after `shipped` up to and including `delivered`: Saturdays and Sundays do not
/// count; public holidays do (the hub keeps no holiday calendar per carrier, and the carriers'
/// own promises in `tracking::add_business_days` skip weekends only, so the two agree). A
/// weekend delivery counts as the Friday before; a delivery on the ship day is 0.
pub fn business_days_between(shipped: Date, delivered: Date) -> i64 {
    if delivered <= shipped {
        return 0;
    }
    let weekday_index = |d: Date| i64::from(d.weekday().number_days_from_monday());
    // Whole weeks contribute 5 each; the rest is walked (under 7 steps).
    let days = (delivered - shipped).whole_days();
    let mut n = days / 7 * 5;
    let mut d = shipped + time::Duration::days(days / 7 * 7);
    while d < delivered {
        d = d.next_day().expect("date in range");
        if weekday_index(d) < 5 {
            n += 1;
        }
    }
    n
}

/// A postal code as lanes compare it: letters upper-cased, spaces and dashes dropped, cut to
/// `POSTAL_KEPT` characters.
pub fn normalize_postal(postal: &str) -> String {
    postal
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(POSTAL_KEPT)
        .collect()
}

/// A lane's end as a query sees it: a country and a postal prefix (empty: the whole country).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaneEnd {
    pub country: String,
    pub prefix: String,
}

/// Which histograms to sum.
#[derive(Clone, Debug)]
pub struct TransitFilter {
    pub carrier: Option<String>,
    pub service_code: Option<String>,
    pub from: LaneEnd,
    pub to: LaneEnd,
    /// First and last delivery day in the window.
    pub since: Date,
    pub until: Date,
}

/// One bar of a histogram: deliveries of one carrier service that took `transit_days`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitBar {
    pub carrier: String,
    pub service_code: String,
    pub transit_days: i64,
    pub deliveries: i64,
    pub promised: i64,
    pub on_time: i64,
}

/// A histogram bar of one country lane (`transit_by_country`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryBar {
    pub from_country: String,
    pub to_country: String,
    pub bar: TransitBar,
}

/// The quotes shown with a purchase a strategy chose.
#[derive(Clone, Debug, PartialEq)]
pub struct PurchaseQuotes {
    pub shipment_id: String,
    pub strategy: String,
    /// Decimal strings, in `currency`.
    pub chosen: String,
    pub cheapest: String,
    pub fastest: String,
    pub currency: String,
    /// JSON: every quote shown.
    pub quotes: String,
    pub created_at: OffsetDateTime,
}

/// A purchase of the cost report: what was paid, where, and what else was quoted.
#[derive(Clone, Debug, PartialEq)]
pub struct CostRow {
    pub shipment_id: String,
    pub carrier: String,
    pub service_code: String,
    /// The stored ship request (JSON): lane and weight.
    pub request: String,
    pub amount: String,
    pub currency: String,
    pub created_at: OffsetDateTime,
    /// (cheapest, fastest) quoted with it, when a strategy bought it.
    pub alternatives: Option<(String, String)>,
    /// What the invoice audit found recoverable on it, as decimal strings (one per line).
    pub recovered: Vec<String>,
}

/// A summed bar as both histogram queries select it (`n`, `p`, `o`: the sums).
fn bar_from_row(r: &sqlx::any::AnyRow) -> Result<TransitBar> {
    Ok(TransitBar {
        carrier: r.try_get("carrier")?,
        service_code: r.try_get("service_code")?,
        transit_days: r.try_get("transit_days")?,
        deliveries: r.try_get("n")?,
        promised: r.try_get("p")?,
        on_time: r.try_get("o")?,
    })
}

fn day_number(d: Date) -> i64 {
    i64::from(d.to_julian_day())
}

/// Bars one multi-row upsert writes at most (12 values each, within SQLite's 32,766 bound
/// variables).
const IMPORT_CHUNK: usize = 500;

/// `transit_history`'s key (its primary key, tenant first).
const BAR_KEY: &str = "tenant_id, carrier, service_code, from_country, from_postal, to_country, to_postal, day, transit_days";

/// The upsert of `rows` postal-lane bars: the key, then deliveries, promised and on time, added
/// to a bar that exists. The trigger of migration 0041 counts each bar in its country lane (the
/// console's analytics) within the same statement. A statement's round trip through the
/// driver's SQLite thread costs far more than its work, so deliveries that arrive together
/// (an import, one carrier call's answers) share one (BENCHMARKS.md, smart routing).
fn bar_upsert(
    backend: super::Backend,
    rows: usize,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    const WIDTH: usize = 12;
    let values: Vec<String> = (0..rows)
        .map(|i| format!("({})", super::markers(backend, 1 + i * WIDTH, WIDTH)))
        .collect();
    let sql = format!(
        "INSERT INTO transit_history ({BAR_KEY}, deliveries, promised, on_time) VALUES {} \
         ON CONFLICT ({BAR_KEY}) DO UPDATE SET deliveries = transit_history.deliveries + excluded.deliveries, \
         promised = transit_history.promised + excluded.promised, \
         on_time = transit_history.on_time + excluded.on_time",
        values.join(", ")
    );
    // The single delivery and the full chunk recur; other sizes would only fill the cache.
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(rows == 1 || rows == IMPORT_CHUNK)
}

/// A postal-lane bar's key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PostalKey {
    tenant: String,
    carrier: String,
    service_code: String,
    from_country: String,
    from_postal: String,
    to_country: String,
    to_postal: String,
    day: i64,
    transit_days: i64,
}

type Counts = (i64, i64, i64);

/// Deliveries folded into their postal-lane bars: (deliveries, promised, on time) per bar.
/// Each bar once, as PostgreSQL requires of one upsert statement's rows.
fn bars_of<'a>(
    ds: impl IntoIterator<Item = (&'a TenantId, &'a Delivery)>,
) -> Vec<(PostalKey, Counts)> {
    let mut postal: std::collections::BTreeMap<PostalKey, Counts> = Default::default();
    for (tenant, d) in ds {
        let on_time = d.on_time();
        let c = postal
            .entry(PostalKey {
                tenant: tenant.as_str().to_string(),
                carrier: d.carrier.clone(),
                service_code: d.service_code.clone(),
                from_country: d.from_country.clone(),
                from_postal: normalize_postal(&d.from_postal),
                to_country: d.to_country.clone(),
                to_postal: normalize_postal(&d.to_postal),
                day: day_number(d.delivered),
                transit_days: d.transit_days(),
            })
            .or_default();
        c.0 += 1;
        c.1 += i64::from(on_time.is_some());
        c.2 += i64::from(on_time == Some(true));
    }
    postal.into_iter().collect()
}

/// Counts deliveries in their bars, inside the caller's transaction: multi-row upserts of
/// `IMPORT_CHUNK` bars.
async fn upsert_bars<'a>(
    conn: &mut sqlx::AnyConnection,
    ds: impl IntoIterator<Item = (&'a TenantId, &'a Delivery)>,
) -> Result<()> {
    let backend = super::Backend::of(conn);
    for chunk in bars_of(ds).chunks(IMPORT_CHUNK) {
        let mut q = bar_upsert(backend, chunk.len());
        for (k, c) in chunk {
            q = q
                .bind(k.tenant.clone())
                .bind(k.carrier.clone())
                .bind(k.service_code.clone())
                .bind(k.from_country.clone())
                .bind(k.from_postal.clone())
                .bind(k.to_country.clone())
                .bind(k.to_postal.clone())
                .bind(k.day)
                .bind(k.transit_days)
                .bind(c.0)
                .bind(c.1)
                .bind(c.2);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Counts `d` in its bars, inside the caller's transaction.
pub(crate) async fn record_delivery_tx(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    d: &Delivery,
) -> Result<()> {
    upsert_bars(conn, [(tenant, d)]).await
}

/// Shipments read per statement when counting a poll's deliveries.
const SHIPMENTS_PER_READ: usize = 100;

/// Counts the deliveries that trackers which just turned `delivered` complete, inside the
/// transaction that records them: their shipments in one read, their bars in one upsert (one
/// carrier call's answers together, `Store::record_polls`). A tracker of a parcel shipped
/// elsewhere (no shipment, so no lane) counts nothing.
pub(crate) async fn count_deliveries_tx(
    conn: &mut sqlx::AnyConnection,
    delivered: &[(&TenantId, &TrackerRecord)],
) -> Result<()> {
    let wanted: Vec<_> = delivered
        .iter()
        .filter(|(_, t)| t.delivered_at.is_some())
        .filter_map(|(tenant, t)| Some((*tenant, *t, t.shipment_id.as_ref()?)))
        .collect();
    let mut ds = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(SHIPMENTS_PER_READ) {
        let sql = format!(
            "SELECT tenant_id, id, carrier, service_code, request, created_at FROM shipments WHERE id IN ({})",
            super::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == 1);
        for (_, _, shipment) in chunk {
            q = q.bind(shipment.as_str());
        }
        let mut rows = std::collections::HashMap::new();
        for row in q.fetch_all(&mut *conn).await? {
            let key: (String, String) = (row.try_get("tenant_id")?, row.try_get("id")?);
            rows.insert(key, row);
        }
        for (tenant, t, shipment) in chunk {
            let key = (tenant.as_str().to_string(), shipment.as_str().to_string());
            if let Some(row) = rows.get(&key) {
                ds.push((*tenant, delivery_of(t, row)?));
            }
        }
    }
    upsert_bars(conn, ds.iter().map(|(t, d)| (*t, d))).await
}

/// A shipment's two ends as its stored request has them: flattened, or nested under
/// `shipment` in older rows. Only these four strings are kept; the rest is skipped unparsed.
#[derive(serde::Deserialize, Default)]
struct StoredLane {
    #[serde(default)]
    from: LaneEndJson,
    #[serde(default)]
    to: LaneEndJson,
    #[serde(default)]
    shipment: Option<Box<StoredLane>>,
}

#[derive(serde::Deserialize, Default)]
struct LaneEndJson {
    #[serde(default, deserialize_with = "text")]
    country: Option<String>,
    #[serde(default, deserialize_with = "text")]
    postal_code: Option<String>,
}

/// A string as it is; any other JSON value as no value (a lane is never guessed from it).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(match serde::Deserialize::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

impl StoredLane {
    /// `pick` of the flattened end when it has the field, else of the nested one.
    fn field(&self, pick: impl Fn(&StoredLane) -> &Option<String>) -> String {
        pick(self)
            .as_ref()
            .or_else(|| self.shipment.as_deref().and_then(|s| pick(s).as_ref()))
            .cloned()
            .unwrap_or_default()
    }
}

/// The delivery tracker `t` completes, from its shipment's row (`count_deliveries_tx`'s read).
fn delivery_of(t: &TrackerRecord, row: &sqlx::any::AnyRow) -> Result<Delivery> {
    let request: StoredLane =
        serde_json::from_str(&row.try_get::<String, _>("request")?).unwrap_or_default();
    let date = |s: Option<&str>| s.and_then(parse_day);
    let created = from_millis(row.try_get("created_at")?);
    Ok(Delivery {
        carrier: row.try_get("carrier")?,
        service_code: row.try_get("service_code")?,
        from_country: request.field(|l| &l.from.country),
        from_postal: request.field(|l| &l.from.postal_code),
        to_country: request.field(|l| &l.to.country),
        to_postal: request.field(|l| &l.to.postal_code),
        shipped: date(t.ship_date.as_deref()).unwrap_or(created.date()),
        delivered: t.delivered_at.expect("counted only when delivered").date(),
        promise: date(
            t.promised_date
                .as_deref()
                .or(t.estimated_delivery.as_deref()),
        ),
    })
}

pub(crate) fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl Store {
    /// Counts one delivery (seeding a history, tests, benchmarks; the tracking path counts its
    /// own in `record_tracking`'s transaction).
    pub async fn record_delivery(&self, tenant: &TenantId, d: &Delivery) -> Result<()> {
        let mut tx = self.begin_grouped().await?;
        record_delivery_tx(&mut tx, tenant, d).await?;
        tx.commit().await
    }

    /// Counts deliveries in one transaction with a statement each, as the tracking path counts
    /// a delivery in its check's transaction: what an import is checked against, and what the
    /// per-delivery benchmark times.
    pub async fn record_deliveries_each(&self, tenant: &TenantId, ds: &[Delivery]) -> Result<()> {
        let mut tx = self.begin().await?;
        for d in ds {
            record_delivery_tx(&mut tx, tenant, d).await?;
        }
        tx.commit().await
    }

    /// Counts the deliveries of trackers that turned `delivered` as the tracking scheduler
    /// does, `together` at a time (one carrier call's answers, or a one-number carrier's
    /// grouped calls), in one transaction: what the per-delivery benchmark of the tracking
    /// path times (`record_polls` runs the same `count_deliveries_tx`).
    pub async fn count_polled_deliveries(
        &self,
        delivered: &[(&TenantId, &TrackerRecord)],
        together: usize,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for call in delivered.chunks(together.max(1)) {
            count_deliveries_tx(&mut tx, call).await?;
        }
        tx.commit().await
    }

    /// Counts many deliveries in one transaction (`shiphub routing import-deliveries`): folded
    /// into their postal-lane bars first, then multi-row upserts of `IMPORT_CHUNK` bars (a
    /// statement per delivery was most of the cost: its round trip through the driver); the
    /// trigger of migration 0041 counts each bar's deliveries in its country lane.
    pub async fn record_deliveries(&self, tenant: &TenantId, ds: &[Delivery]) -> Result<()> {
        let mut tx = self.begin().await?;
        upsert_bars(&mut tx, ds.iter().map(|d| (tenant, d))).await?;
        tx.commit().await
    }

    /// The histogram bars matching `f`, summed over the window's days, per carrier service
    /// and transit days (ascending).
    pub async fn transit_bars(
        &self,
        tenant: &TenantId,
        f: &TransitFilter,
    ) -> Result<Vec<TransitBar>> {
        let mut sql = String::from(
            "SELECT carrier, service_code, transit_days, CAST(SUM(deliveries) AS BIGINT) AS n, \
             CAST(SUM(promised) AS BIGINT) AS p, CAST(SUM(on_time) AS BIGINT) AS o FROM transit_history \
             WHERE tenant_id = $1 AND from_country = $2 AND to_country = $3 AND day >= $4 AND day <= $5",
        );
        let mut binds: Vec<String> = vec![];
        let mut next = 6;
        for (col, v) in [
            (
                "from_postal",
                (!f.from.prefix.is_empty()).then(|| like(&f.from.prefix)),
            ),
            (
                "to_postal",
                (!f.to.prefix.is_empty()).then(|| like(&f.to.prefix)),
            ),
        ] {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {col} LIKE ${next}"));
                binds.push(v);
                next += 1;
            }
        }
        for (col, v) in [("carrier", &f.carrier), ("service_code", &f.service_code)] {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {col} = ${next}"));
                binds.push(v.clone());
                next += 1;
            }
        }
        sql.push_str(" GROUP BY carrier, service_code, transit_days ORDER BY carrier, service_code, transit_days");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(&f.from.country)
            .bind(&f.to.country)
            .bind(day_number(f.since))
            .bind(day_number(f.until));
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(bar_from_row).collect()
    }

    /// Every carrier service's bars on every country lane, summed over the delivery days
    /// `since..=until` (the console's analytics; one row per service, lane and transit days).
    pub async fn transit_by_country(
        &self,
        tenant: &TenantId,
        since: Date,
        until: Date,
    ) -> Result<Vec<CountryBar>> {
        let rows = sqlx::query(
            "SELECT carrier, service_code, from_country, to_country, transit_days, \
             CAST(SUM(deliveries) AS BIGINT) AS n, CAST(SUM(promised) AS BIGINT) AS p, \
             CAST(SUM(on_time) AS BIGINT) AS o FROM transit_by_country \
             WHERE tenant_id = $1 AND day >= $2 AND day <= $3 \
             GROUP BY carrier, service_code, from_country, to_country, transit_days",
        )
        .bind(tenant.as_str())
        .bind(day_number(since))
        .bind(day_number(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CountryBar {
                    from_country: r.try_get("from_country")?,
                    to_country: r.try_get("to_country")?,
                    bar: bar_from_row(r)?,
                })
            })
            .collect()
    }

    /// Deletes every tenant's day buckets before `before` (housekeeping: no report reads
    /// further back than its longest window).
    pub async fn prune_transit_everywhere(&self, before: Date) -> Result<u64> {
        self.prune_transit_where("", before, None).await
    }

    /// Deletes a tenant's day buckets before `before`; the count is of postal-lane buckets.
    pub async fn prune_transit(&self, tenant: &TenantId, before: Date) -> Result<u64> {
        self.prune_transit_where("tenant_id = $2 AND ", before, Some(tenant))
            .await
    }

    async fn prune_transit_where(
        &self,
        scope: &str,
        before: Date,
        tenant: Option<&TenantId>,
    ) -> Result<u64> {
        let mut tx = self.begin_grouped().await?;
        let mut pruned = 0;
        for table in ["transit_history", "transit_by_country"] {
            let sql = format!("DELETE FROM {table} WHERE {scope}day < $1");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(day_number(before));
            if let Some(t) = tenant {
                q = q.bind(t.as_str());
            }
            let r = q.execute(&mut *tx).await?;
            if table == "transit_history" {
                pruned = r.rows_affected();
            }
        }
        tx.commit().await?;
        Ok(pruned)
    }

    /// The tenant's routing rules document (JSON), if it set one.
    pub async fn routing_rules(&self, tenant: &TenantId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT document FROM routing_rules WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("document")).transpose()?)
    }

    /// Replaces the tenant's routing rules document.
    pub async fn put_routing_rules(
        &self,
        tenant: &TenantId,
        document: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.write_one(
            sqlx::query(
                "INSERT INTO routing_rules (tenant_id, document, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            )
            .bind(tenant.as_str())
            .bind(document)
            .bind(millis(now)),
        )
        .await?;
        Ok(())
    }

    /// Keeps the quotes shown with a purchase (once: a replayed purchase keeps the first).
    pub async fn insert_purchase_quotes(
        &self,
        tenant: &TenantId,
        p: &PurchaseQuotes,
    ) -> Result<()> {
        self.write_one(
            sqlx::query(
                "INSERT INTO purchase_quotes (tenant_id, shipment_id, strategy, chosen, cheapest, fastest, \
                 currency, quotes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (tenant_id, shipment_id) DO NOTHING",
            )
            .bind(tenant.as_str())
            .bind(&p.shipment_id)
            .bind(&p.strategy)
            .bind(&p.chosen)
            .bind(&p.cheapest)
            .bind(&p.fastest)
            .bind(&p.currency)
            .bind(&p.quotes)
            .bind(millis(p.created_at)),
        )
        .await?;
        Ok(())
    }

    /// The quotes kept with a purchase.
    pub async fn purchase_quotes(
        &self,
        tenant: &TenantId,
        shipment_id: &str,
    ) -> Result<Option<PurchaseQuotes>> {
        let row = sqlx::query(
            "SELECT shipment_id, strategy, chosen, cheapest, fastest, currency, quotes, created_at \
             FROM purchase_quotes WHERE tenant_id = $1 AND shipment_id = $2",
        )
        .bind(tenant.as_str())
        .bind(shipment_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(PurchaseQuotes {
                shipment_id: r.try_get("shipment_id")?,
                strategy: r.try_get("strategy")?,
                chosen: r.try_get("chosen")?,
                cheapest: r.try_get("cheapest")?,
                fastest: r.try_get("fastest")?,
                currency: r.try_get("currency")?,
                quotes: r.try_get("quotes")?,
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// Purchases (not voided) bought in [from, to), with their kept alternatives and the
    /// invoice audit's recoverable amounts, for the cost report.
    pub async fn cost_rows(
        &self,
        tenant: &TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CostRow>> {
        let rows = sqlx::query(
            "SELECT s.id, s.carrier, s.service_code, s.request, s.total_amount, s.total_currency, s.created_at, \
             q.cheapest, q.fastest \
             FROM shipments s LEFT JOIN purchase_quotes q ON q.tenant_id = s.tenant_id AND q.shipment_id = s.id \
             WHERE s.tenant_id = $1 AND s.created_at >= $2 AND s.created_at < $3 AND s.voided_at IS NULL \
             ORDER BY s.created_at, s.id",
        )
        .bind(tenant.as_str())
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<CostRow> = rows
            .iter()
            .map(|r| {
                let cheapest: Option<String> = r.try_get("cheapest")?;
                let fastest: Option<String> = r.try_get("fastest")?;
                Ok(CostRow {
                    shipment_id: r.try_get("id")?,
                    carrier: r.try_get("carrier")?,
                    service_code: r.try_get("service_code")?,
                    request: r.try_get("request")?,
                    amount: r.try_get("total_amount")?,
                    currency: r.try_get("total_currency")?,
                    created_at: from_millis(r.try_get("created_at")?),
                    alternatives: cheapest.zip(fastest),
                    recovered: vec![],
                })
            })
            .collect::<Result<_>>()?;
        let recovered = self.recovered_by_shipment(tenant, from, to).await?;
        for row in &mut out {
            if let Some(r) = recovered.get(&row.shipment_id) {
                row.recovered = r.clone();
            }
        }
        Ok(out)
    }

    /// The invoice audit's recoverable amounts on shipments bought in [from, to), by shipment
    /// (lines of completed reconciliations only; a failed import recovered nothing).
    async fn recovered_by_shipment(
        &self,
        tenant: &TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<std::collections::HashMap<String, Vec<String>>> {
        let rows = sqlx::query(
            "SELECT p.shipment_id, p.recoverable FROM invoice_packages p \
             JOIN reconciliations r ON r.id = p.reconciliation_id AND r.tenant_id = p.tenant_id \
             JOIN shipments s ON s.tenant_id = p.tenant_id AND s.id = p.shipment_id \
             WHERE p.tenant_id = $1 AND r.status = 'completed' AND s.created_at >= $2 AND s.created_at < $3",
        )
        .bind(tenant.as_str())
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        let mut out = std::collections::HashMap::<String, Vec<String>>::new();
        for r in &rows {
            out.entry(r.try_get("shipment_id")?)
                .or_default()
                .push(r.try_get("recoverable")?);
        }
        Ok(out)
    }
}

/// `prefix%`, with LIKE's wildcards impossible: prefixes are normalized to letters and digits.
fn like(prefix: &str) -> String {
    format!("{}%", normalize_postal(prefix))
}
