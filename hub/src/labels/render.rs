//! Labels the hub draws itself, for carriers that issue none (sandbox, table rate).

use shiphub_carriers::model::LabelFormat;

use crate::error::Error;
use crate::state::AppState;
use crate::store::ShipmentRecord;
use shiphub_labels::RenderOptions as LabelOptions;

/// Every piece's label in one document (one PDF page or one ZPL block per piece; a PNG is
/// one image, so it shows the first piece), rendered off the async workers.
pub(super) async fn render(
    app: &AppState,
    s: &ShipmentRecord,
    format: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    let request = s.request.decode()?;
    let entry = app.carriers.entry(s.carrier.as_str());
    let service_name = entry
        .and_then(|e| e.capabilities.service(&s.service_code))
        .map_or(s.service_code.as_str(), |x| x.name);
    let master = s.tracking_number.clone();
    let pieces = if s.waybill.pieces.is_empty() {
        vec![master]
    } else {
        s.waybill.pieces.clone()
    };
    let count = u16::try_from(pieces.len()).unwrap_or(u16::MAX);
    let parcels = &request.shipment.parcels;
    // 托寄物 on e-waybills: the parcel's description, else the declared items' names in the
    // origin's language where given.
    let declared: Option<String> = request.shipment.customs.as_ref().map(|c| {
        c.items
            .iter()
            .map(|i| i.local_description.as_deref().unwrap_or(&i.description))
            .collect::<Vec<_>>()
            .join("、")
    });
    let labels: Vec<shiphub_labels::Label> = pieces
        .into_iter()
        .take(if format == LabelFormat::Png {
            1
        } else {
            usize::MAX
        })
        .enumerate()
        .map(|(i, tracking_number)| {
            let parcel = parcels.get(i).unwrap_or(&parcels[0]);
            // A piece with a number of its own (SF's 子单号) names the master (母单号).
            let master = (count > 1 && tracking_number != s.tracking_number)
                .then(|| s.tracking_number.clone());
            shiphub_labels::LabelSpec {
                carrier: entry.map_or_else(|| s.carrier.to_string(), |e| e.name.to_string()),
                service_name: service_name.to_string(),
                service_code: s.service_code.clone(),
                tracking_number,
                from: request.shipment.from.clone(),
                to: request.shipment.to.clone(),
                weight: parcel.weight,
                reference: request.reference.clone(),
                ship_date: request.shipment.ship_date.unwrap_or(s.created_at.date()),
                piece_number: u16::try_from(i + 1).unwrap_or(u16::MAX),
                piece_count: count,
                master_tracking_number: master,
                contents: parcel.description.clone().or_else(|| declared.clone()),
                remark: request.shipment.options.remark.clone(),
            }
            .into()
        })
        .collect();
    tokio::task::spawn_blocking(move || shiphub_labels::render_with(&labels, format, &options))
        .await
        .map_err(|e| Error::Internal(format!("label render task: {e}")))?
        .map_err(|e| match e {
            // A name or address the label fonts cannot draw is the request's to fix.
            // The remark is asked for among the options.
            shiphub_labels::LabelError::InvalidSpec {
                field: "remark",
                message,
            } => Error::field("/options/remark", message),
            shiphub_labels::LabelError::InvalidSpec { field, message } => {
                Error::field(format!("/{}", field.replace('.', "/")), message)
            }
            e => Error::Internal(format!("label render: {e}")),
        })
}
