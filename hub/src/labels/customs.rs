//! Customs documents drawn from a shipment's customs declaration: which exist, and each one.

use shiphub_labels::customs_docs;

use crate::error::Error;
use crate::store::ShipmentRecord;

/// A customs document the hub draws (PDF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomsDocument {
    CommercialInvoice,
    Cn23,
    /// Small parcels only: up to `CN22_MAX_ITEMS` items.
    Cn22,
}

impl CustomsDocument {
    const ALL: [CustomsDocument; 3] = [
        CustomsDocument::CommercialInvoice,
        CustomsDocument::Cn23,
        CustomsDocument::Cn22,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomsDocument::CommercialInvoice => "commercial_invoice",
            CustomsDocument::Cn23 => "cn23",
            CustomsDocument::Cn22 => "cn22",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The customs documents a shipment has: none without a customs declaration.
pub fn customs_documents(s: &ShipmentRecord) -> Result<Vec<CustomsDocument>, Error> {
    let Some(items) = s.request.customs_items()? else {
        return Ok(Vec::new());
    };
    let fits_cn22 = items <= customs_docs::CN22_MAX_ITEMS;
    Ok(CustomsDocument::ALL
        .into_iter()
        .filter(|k| *k != CustomsDocument::Cn22 || fits_cn22)
        .collect())
}

/// The customs document `kind` (a [`CustomsDocument`] name) of a shipment, drawn off the
/// async workers. The declaration is checked before the kind, so a shipment without one says
/// so whatever was asked.
pub async fn customs_document(s: &ShipmentRecord, kind: &str) -> Result<Vec<u8>, Error> {
    let request = s.request.decode()?;
    let declaration = request
        .shipment
        .customs
        .ok_or_else(|| Error::field("/customs", "this shipment has no customs declaration"))?;
    let input = customs_docs::CustomsInput {
        declaration,
        sender: request.shipment.from,
        receiver: request.shipment.to,
        tracking_number: Some(s.tracking_number.clone()),
        invoice_number: request.reference.unwrap_or_else(|| s.id.to_string()),
        date: request.shipment.ship_date.unwrap_or(s.created_at.date()),
        parcel_weights: request.shipment.parcels.iter().map(|p| p.weight).collect(),
    };
    let draw = match CustomsDocument::parse(kind) {
        Some(CustomsDocument::Cn22) => customs_docs::cn22,
        Some(CustomsDocument::Cn23) => customs_docs::cn23,
        Some(CustomsDocument::CommercialInvoice) => customs_docs::commercial_invoice,
        None => {
            return Err(Error::NotFound(
                "document kind (cn22, cn23, commercial_invoice)",
            ));
        }
    };
    tokio::task::spawn_blocking(move || draw(&input))
        .await
        .map_err(|e| Error::Internal(format!("document task: {e}")))?
        .map_err(|e| Error::field("/customs/items", e.to_string()))
}
