//! What the console's overview reads that no other part of the hub asks for.

use rust_decimal::Decimal;
use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store};
use crate::ids::TenantId;

/// A purchase as the overview counts it.
#[derive(Clone, Debug)]
pub struct PurchaseFigure {
    pub carrier: String,
    pub voided: bool,
    pub amount: Decimal,
    pub currency: String,
}

/// The lowest shipment id made at or after `t`: ids are uuid v7 in hex behind `shp_`, whose
/// first 12 hex digits are the creation time in milliseconds, so ids sort by creation time and
/// `id >= bound` is a range on the `(tenant_id, id)` index (no index on `created_at` needed).
pub(crate) fn shipment_id_bound(t: OffsetDateTime) -> String {
    let ms = (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
    format!("shp_{:012x}", ms & 0xffff_ffff_ffff)
}

impl Store {
    /// The tenant's purchases since `since` (at most `cap`, newest first): what the overview
    /// sums per carrier. Money is summed by the caller in `Decimal` (SQLite has no decimal).
    pub async fn purchases_since(
        &self,
        tenant: &TenantId,
        since: OffsetDateTime,
        cap: u32,
    ) -> Result<Vec<PurchaseFigure>> {
        let rows = sqlx::query(
            "SELECT carrier, voided_at, total_amount, total_currency FROM shipments \
             WHERE tenant_id = $1 AND id >= $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(shipment_id_bound(since))
        .bind(i64::from(cap))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let amount: String = r.try_get("total_amount")?;
                Ok(PurchaseFigure {
                    carrier: r.try_get("carrier")?,
                    voided: r.try_get::<Option<i64>, _>("voided_at")?.is_some(),
                    amount: amount.parse().unwrap_or_default(),
                    currency: r.try_get("total_currency")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_sorts_between_ids_made_before_and_after() {
        let t = time::macros::datetime!(2026-12-07 00:00 UTC);
        let before = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            t.unix_timestamp() as u64 - 1,
            999_000_000,
        ));
        let at = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            t.unix_timestamp() as u64,
            0,
        ));
        let bound = shipment_id_bound(t);
        assert!(format!("shp_{}", before.simple()) < bound);
        assert!(format!("shp_{}", at.simple()) >= bound);
    }
}
