//! A tenant's audit settings: the document the API takes and gives, and how it becomes the
//! auditor's settings.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_rating::invoice::{AuditSettings, FuelRate, InvoiceCarrier, Tolerances};
use time::{Date, Duration};

use crate::ids::TenantId;
use crate::store::{Store, StoreError};

/// A tenant's audit settings as the API takes and gives them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditSettingsDoc {
    /// Differences at or under these are not findings.
    #[serde(default)]
    pub tolerances: TolerancesDoc,
    /// Published fuel surcharge tables: `percent` applies to shipments from `from` on.
    #[serde(default)]
    pub fuel: Vec<FuelRow>,
    /// The contract rate card (a `PUT /v1/rate-cards/{name}` name) that re-rates packages of
    /// each carrier (`ups`, `fedex`, `dhl_express`, `other`) whose billable weight,
    /// dimensions, zone or service changed. Its service codes are the carrier's billing codes.
    #[serde(default)]
    pub contract_cards: HashMap<String, String>,
}

/// Decimals are JSON strings, as documented: a JSON number (`0.1`) is refused, not read
/// through a float.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TolerancesDoc {
    /// Absolute amount in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.05")]
    pub amount: Decimal,
    /// Percent of the expected amount; the larger of the two applies.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.5")]
    pub percent: Decimal,
    /// Billed weight over our billable weight, kg.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.1")]
    pub weight_kg: Decimal,
    /// Per-side dimension difference, cm, before the carrier's dims count as a new measurement.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1")]
    pub side_cm: Decimal,
    /// Fuel percentage points.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.1")]
    pub fuel_points: Decimal,
    /// Minutes after the promised time before a guaranteed delivery counts as late.
    #[schema(format = Int64, minimum = 0, maximum = 4294967295u64)]
    pub late_grace_minutes: u32,
}

impl Default for TolerancesDoc {
    fn default() -> Self {
        let t = Tolerances::default();
        Self {
            amount: t.amount,
            percent: t.percent,
            weight_kg: t.weight_kg,
            side_cm: t.side_cm,
            fuel_points: t.fuel_points,
            late_grace_minutes: t.late_grace.whole_minutes().max(0) as u32,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FuelRow {
    /// `ups`, `fedex`, `dhl_express` or `other`.
    pub carrier: String,
    /// First ship date the percentage applies to.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "18.75")]
    pub percent: Decimal,
}

impl AuditSettingsDoc {
    /// Checks values serde cannot; errors name the field as a JSON pointer.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let t = &self.tolerances;
        for (name, v) in [
            ("amount", t.amount),
            ("percent", t.percent),
            ("weight_kg", t.weight_kg),
            ("side_cm", t.side_cm),
            ("fuel_points", t.fuel_points),
        ] {
            if v < Decimal::ZERO {
                return Err((format!("/tolerances/{name}"), "must not be negative".into()));
            }
        }
        for (i, f) in self.fuel.iter().enumerate() {
            if InvoiceCarrier::from_code(&f.carrier).is_none() {
                return Err((
                    format!("/fuel/{i}/carrier"),
                    "must be ups, fedex, dhl_express or other".into(),
                ));
            }
            if f.percent < Decimal::ZERO || f.percent > Decimal::ONE_HUNDRED {
                return Err((format!("/fuel/{i}/percent"), "must be 0 to 100".into()));
            }
        }
        for k in self.contract_cards.keys() {
            if InvoiceCarrier::from_code(k).is_none() {
                return Err((
                    format!("/contract_cards/{k}"),
                    "must be ups, fedex, dhl_express or other".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn to_settings(&self) -> AuditSettings {
        let t = &self.tolerances;
        AuditSettings {
            tolerances: Tolerances {
                amount: t.amount,
                percent: t.percent,
                weight_kg: t.weight_kg,
                side_cm: t.side_cm,
                fuel_points: t.fuel_points,
                late_grace: Duration::minutes(i64::from(t.late_grace_minutes)),
            },
            rules: AuditSettings::default().rules,
            fuel: self
                .fuel
                .iter()
                .filter_map(|f| {
                    Some(FuelRate {
                        carrier: InvoiceCarrier::from_code(&f.carrier)?,
                        from: f.from,
                        percent: f.percent,
                    })
                })
                .collect(),
        }
    }
}

/// The tenant's stored settings, or the defaults.
pub async fn load_settings(
    store: &Store,
    tenant: &TenantId,
) -> Result<AuditSettingsDoc, StoreError> {
    match store.audit_settings(tenant).await? {
        Some(body) => serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("audit settings: {e}"))),
        None => Ok(AuditSettingsDoc::default()),
    }
}
