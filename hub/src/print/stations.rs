//! Print stations: registration, their agents' tokens, and what their printers take.

use shiphub_carriers::model::LabelFormat;
use time::OffsetDateTime;

use super::PrinterLanguage;
use crate::crypto::hash_api_key;
use crate::error::Error;
use crate::ids::{StationId, TenantId};
use crate::state::AppState;
use crate::store::{IdemCompletion, StationRecord};
use shiphub_labels::{Dpi, PrinterFont, RenderOptions as LabelOptions, Stock};

/// A station as a tenant registers it; the defaults are a 4×6 PDF printer at 203 dpi.
pub struct NewStation {
    pub name: String,
    pub format: Option<PrinterLanguage>,
    pub stock: Option<Stock>,
    pub dpi: Option<Dpi>,
    /// The printer's resident font for Chinese text (ZPL `^A@`).
    pub printer_font: Option<PrinterFont>,
}

/// An agent's token, shown once; only its hash is stored.
pub struct StationToken {
    pub token: String,
    hash: String,
}

impl StationToken {
    pub fn issue() -> Self {
        let (key, _, _) = crate::crypto::new_api_key();
        let token = format!("shps_{}", &key[3..]);
        let hash = hash_api_key(&token);
        StationToken { token, hash }
    }
}

/// What a station's printer takes now: its language and resolution as its agent reported them
/// (else as declared), and the stock loaded.
#[derive(Clone, Copy, Debug)]
pub struct StationPrinter {
    pub language: PrinterLanguage,
    /// `language` as a label format (what a purchase checks its carrier's label against).
    pub format: LabelFormat,
    pub options: LabelOptions,
    /// The agent reported `format` and `dpi` (rather than only the declaration).
    pub reported: bool,
}

pub fn station_printer(station: &StationRecord) -> StationPrinter {
    let language = station.agent_format.unwrap_or(station.format);
    StationPrinter {
        language,
        format: language.format(),
        options: LabelOptions {
            stock: station.stock,
            dpi: station.agent_dpi.unwrap_or(station.dpi),
            printer_font: station.printer_font,
        },
        reported: station.agent_format.is_some() || station.agent_dpi.is_some(),
    }
}

/// Why `stock` cannot be printed on a printer of `language`, as the 422 on `/stock`.
pub(super) fn refuse_stock(stock: Stock, language: PrinterLanguage) -> Result<(), Error> {
    match stock.refuses(language.format()) {
        None => Ok(()),
        Some(why) => Err(Error::field(
            "/stock",
            format!("{} on a {language} printer: {why}", stock.as_str()),
        )),
    }
}

/// A checked new station (not stored yet: see [`add_station`]).
pub fn new_station(input: NewStation) -> Result<StationRecord, Error> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::field("/name", "must be 1 to 100 characters"));
    }
    let format = input.format.unwrap_or(PrinterLanguage::Pdf);
    let stock = input.stock.unwrap_or_default();
    refuse_stock(stock, format)?;
    Ok(StationRecord {
        id: StationId::generate(),
        name: name.to_string(),
        format,
        stock,
        dpi: input.dpi.unwrap_or_default(),
        agent_format: None,
        agent_dpi: None,
        printer_font: input.printer_font,
        printer_state: None,
        printer_detail: None,
        last_seen_at: None,
        created_at: OffsetDateTime::now_utc(),
    })
}

/// Stores a new station with its token, completing `idem` in the same transaction.
pub async fn add_station(
    app: &AppState,
    tenant: &TenantId,
    station: &StationRecord,
    token: &StationToken,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    app.store
        .insert_station(tenant, station, &token.hash, idem)
        .await?;
    Ok(())
}

/// Gives a station a new token; the old one stops working at once.
pub async fn replace_token(
    app: &AppState,
    tenant: &TenantId,
    station: &StationId,
    token: &StationToken,
    idem: Option<&IdemCompletion>,
) -> Result<(), Error> {
    if !app
        .store
        .rotate_station_token(tenant, station, &token.hash, idem)
        .await?
    {
        return Err(Error::NotFound("print station"));
    }
    Ok(())
}

pub async fn load_station(
    app: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<StationRecord, Error> {
    let id = StationId::parse(id).ok_or(Error::NotFound("print station"))?;
    app.store
        .get_station(tenant, &id)
        .await?
        .ok_or(Error::NotFound("print station"))
}

pub async fn list_stations(app: &AppState, tenant: &TenantId) -> Result<Vec<StationRecord>, Error> {
    Ok(app.store.list_stations(tenant).await?)
}
