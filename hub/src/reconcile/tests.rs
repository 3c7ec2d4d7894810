//! Unit tests of the reconciliation's parts that need no database: audit facts and what is
//! expected of them, billing dates, report chunks, settings.

use rust_decimal_macros::dec;
use shiphub_carriers::model::{Charge, Currency, RateRequest};
use shiphub_rating::invoice::{ChargeCategory, ExpectedShipment, InvoiceCharge};
use time::macros::datetime;
use time::{Date, Duration};

use super::lookup::billed_on;
use super::record::CHUNK;
use super::*;

const WAYBILL: &str = r#"{"pieces":["1Z1"],"carrier_shipment_id":"1Z1","breakdown":[{"kind":"base","description":"Base","amount":{"amount":"21.60","currency":"USD"}},{"kind":"fuel","code":"375","description":"Fuel","amount":{"amount":"3.24","currency":"USD"}}],"warnings":[],"carrier_label":"zpl"}"#;

fn request_json(parcels: usize) -> String {
    let parcel = r#"{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}"#;
    format!(
        r#"{{"from":{{"name":"a","street":["s"],"city":"c","state":"GA","postal_code":"30301","country":"US"}},"to":{{"name":"b","street":["s"],"city":"c","state":"CA","postal_code":"94105","country":"US","residential":true}},"parcels":[{}]}}"#,
        vec![parcel; parcels].join(",")
    )
}

fn tracked(shipment: FactsDoc) -> Facts {
    Facts {
        shipment,
        voided_at: None,
        delivered_at: Some(datetime!(2026-11-18 15:00 UTC)),
        promised_date: Some("2026-11-17".into()),
        service_class: Some("overnight".into()),
    }
}

/// A shipment bought before audit facts were kept (decoded from request and waybill).
fn facts(parcels: usize) -> Facts {
    tracked(
        serde_json::from_str(&format!(
            r#"{{"shipment_id":"shp_1","carrier":"ups","service_code":"01","tracking_number":"1Z999AA10123456784","reference":"ORDER-1","total_amount":"24.84","total_currency":"USD","request":{},"waybill":{WAYBILL}}}"#,
            request_json(parcels)
        ))
        .unwrap(),
    )
}

#[test]
fn a_stored_shipment_becomes_what_the_audit_expects() {
    let e = expected(facts(1)).unwrap();
    assert_eq!(
        e.service.as_deref(),
        Some("001"),
        "UPS bills service 01 as 001"
    );
    assert_eq!(e.quoted_total, Some(dec!(24.84)));
    assert_eq!(
        e.quoted
            .iter()
            .map(|c| (c.category, c.amount))
            .collect::<Vec<_>>(),
        [
            (ChargeCategory::Base, dec!(21.60)),
            (ChargeCategory::Fuel, dec!(3.24))
        ]
    );
    assert_eq!(e.residential, Some(true));
    assert!(e.guaranteed, "overnight service is guaranteed");
    assert_eq!(
        e.promised_by,
        Some(datetime!(2026-11-17 23:59:59.999999999 UTC))
    );
    assert_eq!(e.delivered_at, Some(datetime!(2026-11-18 15:00 UTC)));
    let (from, to) = e.lane.unwrap();
    assert_eq!(from.postal_code.as_deref(), Some("30301"));
    assert!(to.residential);
    assert_eq!(e.declared_weight.unwrap().value(), dec!(2.5));
}

#[test]
fn facts_kept_at_purchase_give_the_same_expectation() {
    let legacy = expected(facts(1)).unwrap();
    let request: RateRequest = serde_json::from_str(&request_json(1)).unwrap();
    let waybill: serde_json::Value = serde_json::from_str(WAYBILL).unwrap();
    let breakdown: Vec<Charge> = serde_json::from_value(waybill["breakdown"].clone()).unwrap();
    let record = crate::store::ShipmentRecord {
        id: crate::ids::ShipmentId::generate(),
        carrier_account_id: crate::ids::AccountId::generate(),
        carrier: shiphub_carriers::CarrierCode::from_static("ups"),
        service_code: "01".into(),
        status: crate::store::ShipmentStatus::Purchased,
        tracking_number: "1Z999AA10123456784".parse().unwrap(),
        reference: Some("ORDER-1".into()),
        total: shiphub_carriers::model::Money::new(dec!(24.84), Currency::USD),
        label_format: shiphub_carriers::model::LabelFormat::Zpl,
        request: crate::store::StoredRequest::from_json(""),
        waybill: crate::store::ShipmentWaybill {
            pieces: vec![],
            carrier_shipment_id: "1Z1".into(),
            breakdown: breakdown.clone(),
            warnings: vec![],
            carrier_label: None,
        },
        created_at: datetime!(2026-11-16 10:00 UTC),
        updated_at: datetime!(2026-11-16 10:00 UTC),
        voided_at: None,
        audit_facts: None,
        link: Default::default(),
    };
    let kept =
        tracked(serde_json::from_str(&audit_facts_json(&record, &request, &breakdown)).unwrap());
    let e = expected(kept).unwrap();
    let view = |e: &ExpectedShipment| {
        format!(
            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            e.tracking_number,
            e.reference,
            e.service,
            e.quoted_total,
            e.quoted,
            e.declared_weight,
            e.declared_dimensions,
            e.residential,
            e.lane
        )
    };
    assert_eq!(view(&e), view(&legacy));
}

#[test]
fn a_multi_parcel_quote_is_not_held_against_one_package() {
    let e = expected(facts(2)).unwrap();
    assert_eq!(e.quoted_total, None);
    assert!(e.quoted.is_empty());
    assert!(
        e.declared_weight.is_some(),
        "the first parcel's weight still applies"
    );
}

#[test]
fn ground_is_not_guaranteed_and_fedex_compares_no_service_code() {
    let mut f = facts(1);
    f.service_class = Some("standard".into());
    assert!(!expected(f.clone()).unwrap().guaranteed);
    assert_eq!(billing_service("fedex", "FEDEX_GROUND"), None);
    assert_eq!(billing_service("dhl_express", "P").as_deref(), Some("P"));
    assert_eq!(billing_service("ups", "03").as_deref(), Some("003"));
    f.shipment.total_amount = "twelve".into();
    assert!(matches!(
        expected(f.clone()),
        Err(ReconcileError::Store(StoreError::Corrupt(_)))
    ));
}

fn package(tracking: &str, invoice: &str, date: Option<Date>, charge: bool) -> InvoicePackage {
    InvoicePackage {
        account: None,
        carrier: InvoiceCarrier::Ups,
        tracking_number: tracking.into(),
        reference: None,
        service: None,
        service_name: None,
        invoice_number: invoice.into(),
        invoice_date: date,
        ship_date: None,
        delivered_on: None,
        currency: shiphub_carriers::model::Currency::USD,
        entered_weight: None,
        billed_weight: None,
        billed_dimensions: None,
        zone: None,
        charges: vec![InvoiceCharge {
            category: if charge {
                ChargeCategory::Base
            } else {
                ChargeCategory::Surcharge
            },
            code: None,
            description: "freight".into(),
            amount: dec!(10),
            basis: None,
            adjustment: false,
            line: 2,
        }],
    }
}

#[test]
fn a_batch_bills_each_shipment_on_its_earliest_dated_invoice() {
    use time::macros::date;
    let batch = vec![
        package("1ZA", "480", Some(date!(2026 - 11 - 21)), true),
        package("1ZA", "470", Some(date!(2026 - 11 - 21)), true),
        package("1ZB", "490", Some(date!(2026 - 11 - 28)), true),
        // A surcharge alone does not bill the shipment; an undated line cannot be ordered.
        package("1ZC", "400", Some(date!(2026 - 11 - 01)), false),
        package("1ZD", "410", None, true),
    ];
    let on = billed_on(&batch);
    assert_eq!(on["1ZA"], ("2026-11-21".to_string(), "470"));
    assert_eq!(on["1ZB"], ("2026-11-28".to_string(), "490"));
    assert!(!on.contains_key("1ZC") && !on.contains_key("1ZD"));
    // ISO dates order as text: a later billing compares greater.
    assert!(("2026-12-01", "100") > (on["1ZB"].0.as_str(), on["1ZB"].1));
}

#[test]
fn chunked_reports_hand_over_every_byte_in_order() {
    let out = Arc::new(Mutex::new(Vec::new()));
    {
        let mut w = ChunkSink::new("report.csv", out.clone());
        for _ in 0..3 {
            w.write_all(&vec![b'x'; CHUNK / 2 + 1]).unwrap();
        }
    }
    let chunks = out.lock().unwrap();
    assert_eq!(chunks.iter().map(|c| c.seq).collect::<Vec<_>>(), [0, 1]);
    let total: usize = chunks.iter().map(|c| c.content.len()).sum();
    assert_eq!(total, 3 * (CHUNK / 2 + 1));
}

#[test]
fn settings_are_checked_field_by_field() {
    let mut d = AuditSettingsDoc::default();
    assert!(d.validate().is_ok());
    d.fuel.push(FuelRow {
        carrier: "royal_mail".into(),
        from: time::macros::date!(2026 - 01 - 01),
        percent: dec!(10),
    });
    assert_eq!(d.validate().unwrap_err().0, "/fuel/0/carrier");
    d.fuel[0].carrier = "ups".into();
    d.tolerances.late_grace_minutes = 90;
    let s = d.to_settings();
    assert_eq!(s.tolerances.late_grace, Duration::minutes(90));
    assert_eq!(s.fuel[0].carrier, InvoiceCarrier::Ups);
}
