//! Label renditions: a carrier label converted once (another format, stock or resolution) and
//! served as stored bytes afterwards (migration 0028).

use sqlx::Row;
use time::OffsetDateTime;

use super::{Result, Store, millis};
use crate::ids::{ShipmentId, TenantId};

/// Which conversion of a shipment's label a rendition is: `piece` 0 is the whole document;
/// `stock` and `dpi` as the label query names them (`4x6`, 203).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenditionKey {
    pub shipment_id: ShipmentId,
    pub piece: u16,
    pub format: &'static str,
    pub stock: &'static str,
    pub dpi: u16,
}

impl Store {
    /// The stored rendition, if it was made.
    pub async fn get_rendition(
        &self,
        tenant: &TenantId,
        key: &RenditionKey,
    ) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT content FROM label_renditions WHERE tenant_id = $1 AND shipment_id = $2 \
             AND piece = $3 AND format = $4 AND stock = $5 AND dpi = $6",
        )
        .bind(tenant.as_str())
        .bind(key.shipment_id.as_str())
        .bind(i64::from(key.piece))
        .bind(key.format)
        .bind(key.stock)
        .bind(i64::from(key.dpi))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("content")).transpose()?)
    }

    /// Stores a rendition; one already there (another hub process made it too) is kept, since
    /// the conversion is deterministic and both are the same bytes.
    pub async fn put_rendition(
        &self,
        tenant: &TenantId,
        key: &RenditionKey,
        content: &[u8],
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO label_renditions \
             (tenant_id, shipment_id, piece, format, stock, dpi, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(key.shipment_id.as_str())
        .bind(i64::from(key.piece))
        .bind(key.format)
        .bind(key.stock)
        .bind(i64::from(key.dpi))
        .bind(content)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
