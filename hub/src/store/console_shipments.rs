//! What the console's shipments pages read (issue 20): the search (one index range scan of
//! migration 0036's indexes, newest first, keyset-paged: no OFFSET, no count), and a
//! shipment's events and the webhook deliveries they made.

use sqlx::Row;

use super::shipments::{SHIPMENT_COLUMNS, shipment_from_row};
use super::{Result, ShipmentRecord, ShipmentStatus, Store, from_millis};
use crate::events::EventType;
use crate::ids::TenantId;
use crate::store::EventRecord;
use crate::store::named;

/// A search's filters; every one optional, all of them applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShipmentSearch {
    /// Exact.
    pub tracking_number: Option<String>,
    /// Exact.
    pub reference: Option<String>,
    /// The start of the recipient's name, A-Z folded to lower case (as the index keeps it).
    pub recipient: Option<String>,
    /// A carrier code, exact.
    pub carrier: Option<String>,
    pub status: Option<ShipmentStatus>,
    /// Created at or after (unix milliseconds).
    pub since: Option<i64>,
    /// Created before (unix milliseconds).
    pub until: Option<i64>,
}

/// Where the previous page ended: the last row's sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchCursor {
    /// The row's `recipient_name`, in a recipient search (sorted by it first).
    pub name: Option<String>,
    pub created_at: i64,
    pub id: String,
}

impl SearchCursor {
    /// `1765000000000.shp_…`, and `.` plus the name in hex in a recipient search: URL-safe,
    /// and opaque enough that nobody types one.
    pub fn encode(&self) -> String {
        let mut s = format!("{}.{}", self.created_at, self.id);
        if let Some(n) = &self.name {
            s.push('.');
            s.push_str(&hex::encode(n.as_bytes()));
        }
        s
    }

    /// `None` for anything [`SearchCursor::encode`] did not write.
    pub fn decode(s: &str) -> Option<SearchCursor> {
        let mut parts = s.split('.');
        let created_at = parts.next()?.parse().ok()?;
        let id = crate::ids::ShipmentId::parse(parts.next()?)?.to_string();
        let name = match parts.next() {
            Some(h) => Some(String::from_utf8(hex::decode(h).ok()?).ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(SearchCursor {
            name,
            created_at,
            id,
        })
    }
}

/// The filter whose index a search walks; the others are checked on the rows it meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Driver {
    Tracking,
    Reference,
    Recipient,
    Status,
    Carrier,
    Created,
}

impl ShipmentSearch {
    /// The most selective filter given: exact numbers first, then a name prefix; a status
    /// other than `purchased` (voids are few) before a carrier, and `purchased` (most rows)
    /// after it.
    fn driver(&self) -> Driver {
        if self.tracking_number.is_some() {
            Driver::Tracking
        } else if self.reference.is_some() {
            Driver::Reference
        } else if self.recipient.is_some() {
            Driver::Recipient
        } else if self.status.is_some_and(|s| s != ShipmentStatus::Purchased) {
            Driver::Status
        } else if self.carrier.is_some() {
            Driver::Carrier
        } else if self.status.is_some() {
            Driver::Status
        } else {
            Driver::Created
        }
    }
}

/// A parameter of the search's SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    pub(super) fn bind_to<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match self {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        }
    }
}

/// The smallest string greater than every string starting with `prefix` (byte order, as the
/// index sorts): the prefix with its last character incremented; `None` when there is none.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The search's SQL and its parameters (`$1` is the tenant). A filter that is not the
/// driver's is written so no index can take it (`col || ''`, `col + 0`): each backend then
/// walks the driver's index in order and stops after `limit` rows, whatever its statistics
/// say.
pub(super) fn search_sql(
    q: &ShipmentSearch,
    after: Option<&SearchCursor>,
    limit: u32,
) -> (String, Vec<Bind>) {
    let driver = q.driver();
    let mut sql =
        format!("SELECT {SHIPMENT_COLUMNS}, recipient_name FROM shipments WHERE tenant_id = $1");
    let mut binds = Vec::new();
    fn param(binds: &mut Vec<Bind>, b: Bind) -> String {
        binds.push(b);
        format!("${}", binds.len() + 1)
    }
    fn text(sql: &mut String, binds: &mut Vec<Bind>, col: &str, v: &str, indexed: bool) {
        let p = param(binds, Bind::Text(v.to_string()));
        if indexed {
            sql.push_str(&format!(" AND {col} = {p}"));
        } else {
            sql.push_str(&format!(" AND {col} || '' = {p}"));
        }
    }
    // Exact filters; only the driving one may use its index (`|| ''` hides the others').
    let exact = [
        (
            "tracking_number",
            q.tracking_number.as_deref(),
            Driver::Tracking,
        ),
        ("reference", q.reference.as_deref(), Driver::Reference),
        ("carrier", q.carrier.as_deref(), Driver::Carrier),
        ("status", q.status.map(|v| v.as_str()), Driver::Status),
    ];
    for (col, v, d) in exact {
        if let Some(v) = v {
            text(&mut sql, &mut binds, col, v, driver == d);
        }
    }
    // The date range is part of the index range behind an equality; behind a name range it
    // is checked on the rows.
    let created = if driver == Driver::Recipient {
        "created_at + 0"
    } else {
        "created_at"
    };
    if let Some(v) = q.since {
        let p = param(&mut binds, Bind::Int(v));
        sql.push_str(&format!(" AND {created} >= {p}"));
    }
    if let Some(v) = q.until {
        let p = param(&mut binds, Bind::Int(v));
        sql.push_str(&format!(" AND {created} < {p}"));
    }
    // Strictly after the cursor in `created_at DESC, id DESC`: the `<=` bounds the index
    // range, the rest only looks at rows of the cursor's own millisecond.
    fn older(binds: &mut Vec<Bind>, c: &SearchCursor) -> String {
        let at = param(binds, Bind::Int(c.created_at));
        let id = param(binds, Bind::Text(c.id.clone()));
        format!("created_at <= {at} AND (created_at < {at} OR id < {id})")
    }
    if let Some(prefix) = &q.recipient {
        // Name order, then newest first within a name; the cursor's name starts the range.
        let from = match after.and_then(|c| c.name.as_ref()) {
            Some(n) if n.as_str() > prefix.as_str() => n.clone(),
            _ => prefix.clone(),
        };
        let p = param(&mut binds, Bind::Text(from));
        sql.push_str(&format!(" AND recipient_name >= {p}"));
        if let Some(end) = prefix_end(prefix) {
            let p = param(&mut binds, Bind::Text(end));
            sql.push_str(&format!(" AND recipient_name < {p}"));
        }
        if let Some(c) = after {
            let name = param(&mut binds, Bind::Text(c.name.clone().unwrap_or_default()));
            let rest = older(&mut binds, c);
            sql.push_str(&format!(
                " AND (recipient_name > {name} OR (recipient_name = {name} AND {rest}))"
            ));
        }
        sql.push_str(" ORDER BY recipient_name, created_at DESC, id DESC");
    } else {
        if let Some(c) = after {
            let rest = older(&mut binds, c);
            sql.push_str(&format!(" AND {rest}"));
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC");
    }
    let p = param(&mut binds, Bind::Int(i64::from(limit)));
    sql.push_str(&format!(" LIMIT {p}"));
    (sql, binds)
}

/// A webhook delivery an event of a shipment made.
#[derive(Clone, Debug)]
pub struct ShipmentDelivery {
    pub id: String,
    pub event_id: String,
    pub event_type: EventType,
    pub endpoint_url: String,
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub updated_at: time::OffsetDateTime,
}

impl Store {
    /// One page of a search and the cursor of the row after it (`None`: the last page).
    pub async fn search_shipments(
        &self,
        tenant: &TenantId,
        q: &ShipmentSearch,
        after: Option<&SearchCursor>,
        limit: u32,
    ) -> Result<(Vec<ShipmentRecord>, Option<SearchCursor>)> {
        let (sql, binds) = search_sql(q, after, limit + 1);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str());
        for b in binds {
            query = b.bind_to(query);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let more = rows.len() > limit as usize;
        let mut out = Vec::with_capacity(rows.len().min(limit as usize));
        let mut next = None;
        for r in rows.iter().take(limit as usize) {
            let s = shipment_from_row(r)?;
            if more {
                next = Some(SearchCursor {
                    name: q
                        .recipient
                        .as_ref()
                        .map(|_| r.try_get::<Option<String>, _>("recipient_name"))
                        .transpose()?
                        .map(Option::unwrap_or_default),
                    created_at: super::millis(s.created_at),
                    id: s.id.to_string(),
                });
            }
            out.push(s);
        }
        Ok((out, next))
    }

    /// The newest `limit` events about a shipment and its tracker, oldest first.
    pub async fn events_about(
        &self,
        tenant: &TenantId,
        shipment: &str,
        tracker: Option<&str>,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT id, type, subject_id, payload, created_at FROM events \
             WHERE tenant_id = $1 AND subject_id IN ($2, $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(tenant.as_str())
        .bind(shipment)
        .bind(tracker.unwrap_or(shipment))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(EventRecord {
                    id: crate::ids::EventId::from_db(r.try_get("id")?),
                    kind: named(r, "type")?,
                    subject_id: r.try_get("subject_id")?,
                    data: serde_json::from_str(&payload)
                        .map_err(|e| super::StoreError::Corrupt(format!("event payload: {e}")))?,
                    created_at: from_millis(r.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// The webhook deliveries the events about a shipment and its tracker made, newest event
    /// first, at most `limit`: one query (the events by subject, then each one's deliveries,
    /// both by index).
    pub async fn deliveries_about(
        &self,
        tenant: &TenantId,
        shipment: &str,
        tracker: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ShipmentDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.last_status_code, \
             d.last_error, d.updated_at, w.url FROM events e \
             JOIN webhook_deliveries d ON d.tenant_id = e.tenant_id AND d.event_id = e.id \
             JOIN webhook_endpoints w ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id \
             WHERE e.tenant_id = $1 AND e.subject_id IN ($2, $3) \
             ORDER BY e.id DESC, d.id LIMIT $4",
        )
        .bind(tenant.as_str())
        .bind(shipment)
        .bind(tracker.unwrap_or(shipment))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ShipmentDelivery {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    event_type: named(r, "type")?,
                    endpoint_url: r.try_get("url")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    last_status_code: r.try_get("last_status_code")?,
                    last_error: r.try_get("last_error")?,
                    updated_at: from_millis(r.try_get("updated_at")?),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_junk_does_not() {
        let id = crate::ids::ShipmentId::generate().to_string();
        for name in [
            None,
            Some("jane doe".to_string()),
            Some("王小明".to_string()),
        ] {
            let c = SearchCursor {
                name,
                created_at: 1_765_000_000_123,
                id: id.clone(),
            };
            let s = c.encode();
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            );
            assert_eq!(SearchCursor::decode(&s), Some(c));
        }
        for junk in [
            "",
            "12",
            "x.shp_1",
            &format!("1.{id}.zz"),
            &format!("1.{id}.61.62"),
        ] {
            assert_eq!(SearchCursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_prefix_ends_before_the_next_one() {
        assert_eq!(prefix_end("jan").as_deref(), Some("jao"));
        assert_eq!(prefix_end("王").as_deref(), Some("玌"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("b\u{10FFFF}").as_deref(), Some("c"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }

    #[test]
    fn the_most_selective_filter_drives_and_the_others_use_no_index() {
        let q = ShipmentSearch {
            carrier: Some("ups".into()),
            status: Some(ShipmentStatus::Voided),
            ..Default::default()
        };
        let (sql, binds) = search_sql(&q, None, 51);
        assert!(sql.contains("carrier || '' = $2"), "{sql}");
        assert!(sql.contains(" status = $3"), "{sql}");
        assert!(
            sql.ends_with("ORDER BY created_at DESC, id DESC LIMIT $4"),
            "{sql}"
        );
        assert_eq!(
            binds,
            vec![
                Bind::Text("ups".into()),
                Bind::Text("voided".into()),
                Bind::Int(51)
            ]
        );

        // `purchased` is most rows: the carrier drives.
        let q = ShipmentSearch {
            status: Some(ShipmentStatus::Purchased),
            ..q
        };
        let (sql, _) = search_sql(&q, None, 51);
        assert!(sql.contains(" carrier = $2"), "{sql}");
        assert!(sql.contains("status || '' = $3"), "{sql}");

        let q = ShipmentSearch {
            tracking_number: Some("1Z".into()),
            reference: Some("ORDER-1".into()),
            since: Some(10),
            until: Some(20),
            ..Default::default()
        };
        let (sql, _) = search_sql(&q, None, 51);
        assert!(sql.contains(" tracking_number = $2"), "{sql}");
        assert!(sql.contains("reference || '' = $3"), "{sql}");
        assert!(
            sql.contains(" created_at >= $4 AND created_at < $5"),
            "{sql}"
        );
        assert!(!sql.contains("OFFSET") && !sql.contains("COUNT"), "{sql}");
    }

    #[test]
    fn a_cursor_continues_after_its_row() {
        let c = SearchCursor {
            name: None,
            created_at: 5,
            id: "shp_1".into(),
        };
        let (sql, binds) = search_sql(&ShipmentSearch::default(), Some(&c), 21);
        assert!(
            sql.contains("AND created_at <= $2 AND (created_at < $2 OR id < $3)"),
            "{sql}"
        );
        assert_eq!(binds[..2], [Bind::Int(5), Bind::Text("shp_1".into())]);

        // A recipient search: name order, the cursor's name starts the range.
        let q = ShipmentSearch {
            recipient: Some("ja".into()),
            since: Some(1),
            ..Default::default()
        };
        let c = SearchCursor {
            name: Some("jane".into()),
            ..c
        };
        let (sql, binds) = search_sql(&q, Some(&c), 21);
        assert!(sql.contains("created_at + 0 >= $2"), "{sql}");
        assert!(
            sql.contains("recipient_name >= $3 AND recipient_name < $4"),
            "{sql}"
        );
        assert_eq!(
            binds[1..3],
            [Bind::Text("jane".into()), Bind::Text("jb".into())]
        );
        assert!(
            sql.contains("(recipient_name > $5 OR (recipient_name = $5 AND created_at <= $6"),
            "{sql}"
        );
        assert!(
            sql.ends_with("ORDER BY recipient_name, created_at DESC, id DESC LIMIT $8"),
            "{sql}"
        );
    }
}
