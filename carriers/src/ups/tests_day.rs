//! UPS for a shipper's working day: shipment options on the Rating and Shipping wire, return
//! labels, Address Validation (XAV) and pickups. Golden requests (`*.wire_request.json`,
//! `BLESS=1` rewrites them; `contracts/tests/ups.rs` validates them against UPS's schemas),
//! parses of our spec-shaped fixtures and of the spec's own examples (read from
//! `../shared/carriers/ups` at test time), and wiremock tests of the HTTP glue.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::tests::{test_account, ups_for};
use super::*;
use crate::model::{ChargeKind, Currency, Money, PickupRequest, ShipmentOption};
use crate::testing::Fixtures;

const FX: Fixtures = Fixtures::new("ups");

fn rate_input(name: &str) -> RateRequest {
    serde_json::from_value(FX.read(&format!("rate/{name}.input.json"))).unwrap()
}

fn ship_input(name: &str) -> ShipRequest {
    serde_json::from_value(FX.read(&format!("ship/{name}.input.json"))).unwrap()
}

fn pickup_input(name: &str) -> PickupRequest {
    serde_json::from_value(FX.read(&format!("pickup/{name}.input.json"))).unwrap()
}

fn address_input(name: &str) -> Address {
    serde_json::from_value(FX.read(&format!("address/{name}.input.json"))).unwrap()
}

fn account() -> account::Account {
    test_account("https://wwwcie.ups.com")
}

fn rejected_fields(e: &CarrierError) -> Vec<String> {
    match e {
        CarrierError::Rejected { errors, .. } => errors.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

fn with_options(mut req: RateRequest, options: Value) -> RateRequest {
    req.options = serde_json::from_value(options).unwrap();
    req
}

// ------------------------------------------------------------------ options

#[test]
fn ups_declares_the_options_it_puts_on_the_wire() {
    let offered = ENTRY.capabilities.options;
    for o in [
        ShipmentOption::SignatureAdult,
        ShipmentOption::SignatureDirect,
        ShipmentOption::SaturdayDelivery,
        ShipmentOption::DeclaredValue,
        ShipmentOption::DryIce,
    ] {
        assert!(offered.contains(&o), "{o:?}");
    }
    for o in [
        ShipmentOption::SignatureIndirect,
        ShipmentOption::DeliveryConfirmation,
        ShipmentOption::LithiumBatteries,
    ] {
        assert!(!offered.contains(&o), "{o:?}");
    }
    for cap in [
        Capability::AddressValidation,
        Capability::Return,
        Capability::Pickup,
    ] {
        assert!(ENTRY.capabilities.supports(cap), "{cap:?}");
    }
    assert!(!ENTRY.capabilities.supports(Capability::Manifest));
}

#[test]
fn rate_with_options_puts_each_on_the_rating_wire() {
    let req = rate_input("us_options");
    let body = to_json(&rate::build(&req, &account()).unwrap());
    FX.assert_json("rate/us_options.wire_request", &body);
    let s = &body["RateRequest"]["Shipment"];
    assert_eq!(
        s["ShipmentServiceOptions"],
        json!({"SaturdayDeliveryIndicator": ""})
    );
    let p0 = &s["Package"][0]["PackageServiceOptions"];
    let p1 = &s["Package"][1]["PackageServiceOptions"];
    // US → US: package-level adult signature (DCISType 3).
    assert_eq!(p0["DeliveryConfirmation"]["DCISType"], "3");
    assert_eq!(p1["DeliveryConfirmation"]["DCISType"], "3");
    // 250.01 split over two packages, the cent on the first.
    assert_eq!(p0["DeclaredValue"]["MonetaryValue"], "125.01");
    assert_eq!(p1["DeclaredValue"]["MonetaryValue"], "125.00");
    assert_eq!(p0["DeclaredValue"]["CurrencyCode"], "USD");
    // 1.2 kg = 2.6455… lb, ceiled to 2.7; CFR inside the US; LB is code 01.
    assert_eq!(
        p0["DryIce"],
        json!({"RegulationSet": "CFR", "DryIceWeight": {
            "UnitOfMeasurement": {"Code": "01", "Description": "LBS"}, "Weight": "2.7"}})
    );
}

#[test]
fn ship_international_options_use_shipment_level_signature_beside_the_invoice() {
    let req = ship_input("intl_options");
    let body =
        to_json(&ship::build(&req, &account(), time::macros::date!(2025 - 03 - 14)).unwrap());
    FX.assert_json("ship/intl_options.wire_request", &body);
    let s = &body["ShipmentRequest"]["Shipment"];
    let so = &s["ShipmentServiceOptions"];
    assert_eq!(so["DeliveryConfirmation"]["DCISType"], "1");
    assert_eq!(so["SaturdayDeliveryIndicator"], "");
    assert!(so["InternationalForms"].is_object());
    let p = &s["Package"][0]["PackageServiceOptions"];
    assert!(p.get("DeliveryConfirmation").is_none(), "{p}");
    assert_eq!(
        p["DeclaredValue"],
        json!({"CurrencyCode": "USD", "MonetaryValue": "72.50"})
    );
}

#[test]
fn ship_return_is_a_print_return_label_billed_to_the_return_address() {
    let req = ship_input("us_return");
    let body =
        to_json(&ship::build(&req, &account(), time::macros::date!(2025 - 03 - 14)).unwrap());
    FX.assert_json("ship/us_return.wire_request", &body);
    let s = &body["ShipmentRequest"]["Shipment"];
    assert_eq!(s["ReturnService"]["Code"], "9");
    assert_eq!(s["Shipper"]["ShipperNumber"], "A1B2C3");
    assert_eq!(s["Shipper"]["Address"]["City"], "Atlanta");
    assert_eq!(s["ShipTo"]["Address"]["City"], "Atlanta");
    assert_eq!(s["ShipFrom"]["Address"]["City"], "San Francisco");
    // Package.Description is required with a return service.
    assert_eq!(s["Package"][0]["Description"], "Return");
    // An outbound request carries no ReturnService.
    let mut out = req.clone();
    out.is_return = false;
    let body =
        to_json(&ship::build(&out, &account(), time::macros::date!(2025 - 03 - 14)).unwrap());
    assert!(
        body["ShipmentRequest"]["Shipment"]
            .get("ReturnService")
            .is_none()
    );
    assert_eq!(
        body["ShipmentRequest"]["Shipment"]["Shipper"]["Address"]["City"],
        "San Francisco"
    );
}

#[test]
fn options_ups_does_not_carry_are_refused_on_their_field() {
    let base = rate_input("us_domestic_ground");
    for (options, field) in [
        (
            json!({"lithium_batteries": {"material": "ion", "packing": "contained_in_equipment"}}),
            "/options/lithium_batteries",
        ),
        (
            json!({"delivery_confirmation": true}),
            "/options/delivery_confirmation",
        ),
        (json!({"signature": "indirect"}), "/options/signature"),
        (
            json!({"dry_ice": {"value": "3", "unit": "kg"}}),
            "/options/dry_ice",
        ),
        (
            json!({"declared_value": {"amount": "0", "currency": "USD"}}),
            "/options/declared_value",
        ),
    ] {
        let req = with_options(base.clone(), options.clone());
        let e = rate::build(&req, &account()).unwrap_err();
        assert_eq!(rejected_fields(&e), [field], "{options}");
    }
    // A signature on a return: UPS's delivery confirmation is for forward shipments only.
    let mut ret = ship_input("us_return");
    ret.shipment.options = serde_json::from_value(json!({"signature": "direct"})).unwrap();
    let e = ship::build(&ret, &account(), time::macros::date!(2025 - 03 - 14)).unwrap_err();
    assert_eq!(rejected_fields(&e), ["/options/signature"]);
}

fn ground_and_air_response(ground_sat: &str, air_sat: &str) -> wire::RateResponseWrapper {
    let mut v = FX.read("rate/us_domestic_ground.wire_response.json");
    let rated = v["RateResponse"]["RatedShipment"].as_array_mut().unwrap();
    rated[0]["TimeInTransit"]["ServiceSummary"]["SaturdayDelivery"] = json!(ground_sat);
    rated[1]["TimeInTransit"]["ServiceSummary"]["SaturdayDelivery"] = json!(air_sat);
    serde_json::from_value(v).unwrap()
}

#[test]
fn saturday_delivery_keeps_only_services_ups_says_deliver_on_saturday() {
    let req = with_options(
        rate_input("us_domestic_ground"),
        json!({"saturday_delivery": true}),
    );
    let quotes = rate::parse(ground_and_air_response("0", "1"), &req).unwrap();
    let codes: Vec<_> = quotes.iter().map(|q| q.service.code.as_str()).collect();
    assert_eq!(codes, ["02"]);
    // Without the option every service stays.
    let plain = rate_input("us_domestic_ground");
    assert_eq!(
        rate::parse(ground_and_air_response("0", "1"), &plain)
            .unwrap()
            .len(),
        2
    );
    // No service delivers on Saturday (both arrive on weekdays, neither offers it).
    let e = rate::parse(ground_and_air_response("0", "0"), &req).unwrap_err();
    assert_eq!(rejected_fields(&e), ["/options/saturday_delivery"]);
}

#[test]
fn option_surcharges_come_back_itemized_in_the_quote() {
    let mut v = FX.read("rate/us_domestic_ground.wire_response.json");
    let rs = &mut v["RateResponse"]["RatedShipment"][1];
    rs.as_object_mut().unwrap().remove("NegotiatedRateCharges");
    let total: rust_decimal::Decimal = rs["TotalCharges"]["MonetaryValue"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    rs["ItemizedCharges"].as_array_mut().unwrap().extend([
        json!({"Code": "300", "CurrencyCode": "USD", "MonetaryValue": "16.00"}),
        json!({"Code": "400", "CurrencyCode": "USD", "MonetaryValue": "4.35"}),
    ]);
    let new_total = total + rust_decimal_macros::dec!(20.35);
    rs["TotalCharges"]["MonetaryValue"] = json!(new_total.to_string());
    rs["TransportationCharges"]["MonetaryValue"] = json!(new_total.to_string());
    let req = rate_input("us_domestic_ground");
    let quotes = rate::parse(serde_json::from_value(v).unwrap(), &req).unwrap();
    let q = &quotes[1];
    assert_eq!(q.total, Money::new(new_total, Currency::USD));
    for (code, amount, name) in [
        ("300", rust_decimal_macros::dec!(16.00), "Saturday delivery"),
        ("400", rust_decimal_macros::dec!(4.35), "Declared value"),
    ] {
        let line = q
            .breakdown
            .iter()
            .find(|c| c.code.as_deref() == Some(code))
            .unwrap_or_else(|| panic!("no {code} in {:?}", q.breakdown));
        assert_eq!(line.kind, ChargeKind::Surcharge);
        assert_eq!(line.amount.amount(), amount);
        assert!(line.description.starts_with(name), "{}", line.description);
    }
}

#[test]
fn ups_refusing_an_option_on_the_service_points_at_the_option() {
    let body = json!({"response": {"errors": [
        {"code": "120508", "message": "Saturday Delivery is not allowed for the requested service."}
    ]}});
    let e = error::classify(error::Op::Ship, 400, None, body.to_string().as_bytes());
    assert_eq!(rejected_fields(&e), ["/options/saturday_delivery"]);
    let body = json!({"response": {"errors": [
        {"code": "120509", "message": "Declared Value exceeds the maximum allowed for the ShipTo country."}
    ]}});
    let e = error::classify(error::Op::Rate, 400, None, body.to_string().as_bytes());
    assert_eq!(rejected_fields(&e), ["/options/declared_value"]);
}

#[test]
fn dry_ice_regulation_set_follows_the_lane_and_service() {
    let ship = |from: &str, to: &str, service: &str| -> Value {
        let v = json!({
            "from": {"name": "A", "street": ["1 Rue"], "city": "Paris", "postal_code": "75001",
                     "country": from, "phone": "+33 1 55 55 01 00"},
            "to": {"name": "B", "street": ["1 Strasse"], "city": "Berlin", "postal_code": "10117",
                   "country": to, "phone": "+49 30 555 0100"},
            "parcels": [{"weight": {"value": "4", "unit": "kg"}}],
            "options": {"dry_ice": {"value": "1", "unit": "kg"}},
            "service": service, "label_format": "zpl"
        });
        let mut v = v;
        // FR → DE is international to UPS: any customs declaration will do.
        v["customs"] = FX.read("ship/intl_ddp_gif.input.json")["customs"].clone();
        let req: ShipRequest = serde_json::from_value(v).unwrap();
        let body =
            to_json(&ship::build(&req, &account(), time::macros::date!(2025 - 03 - 14)).unwrap());
        body["ShipmentRequest"]["Shipment"]["Package"][0]["PackageServiceOptions"]["DryIce"].clone()
    };
    let fr_de = ship("FR", "DE", "11");
    assert_eq!(fr_de["RegulationSet"], "ADR");
    // Metric origin: kilograms, code 00.
    assert_eq!(
        fr_de["DryIceWeight"],
        json!({"UnitOfMeasurement": {"Code": "00", "Description": "KGS"}, "Weight": "1"})
    );
    assert_eq!(ship("FR", "DE", "07")["RegulationSet"], "IATA");
}

// ------------------------------------------------------------------ address validation

#[test]
fn xav_request_splits_the_zip_and_keeps_the_schema_lengths() {
    let a = address_input("us_street");
    let body = to_json(&address::build(&a));
    FX.assert_json("address/us_street.wire_request", &body);
    let k = &body["XAVRequest"]["AddressKeyFormat"];
    assert_eq!(k["PostcodePrimaryLow"], "92656");
    assert_eq!(k["PostcodeExtendedLow"], "1521");
    assert_eq!(k["ConsigneeName"], "Ritz Camera Centers");
    assert_eq!(address::path(), "/api/addressvalidation/v2/3");
}

#[test]
fn xav_valid_answer_is_deliverable_with_the_input_contact_kept() {
    let input: Address = serde_json::from_value(json!({
        "name": "Receiver", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
        "postal_code": "94105", "country": "US", "phone": "+1 415 555 0100",
        "email": "r@example.com"
    }))
    .unwrap();
    let check =
        address::parse(FX.typed("address/valid_residential.wire_response"), &input).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Deliverable);
    assert_eq!(check.classification, AddressClassification::Residential);
    let a = check.address.unwrap();
    assert_eq!(a.street, ["1 MARKET ST"]);
    assert_eq!(a.postal_code.as_deref(), Some("94105-1420"));
    assert_eq!(a.name, "Receiver");
    assert_eq!(a.phone.as_deref(), Some("+1 415 555 0100"));
    assert_eq!(a.email.as_deref(), Some("r@example.com"));
    assert!(a.residential);
    let codes: Vec<_> = check.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"ValidAddressIndicator"), "{codes:?}");

    // A different street number is a correction.
    let mut typo = input.clone();
    typo.street = vec!["1 Markt Street".into()];
    let check = address::parse(FX.typed("address/valid_residential.wire_response"), &typo).unwrap();
    assert_eq!(check.verdict, AddressVerdict::DeliverableWithCorrections);
}

#[test]
fn xav_ambiguous_answer_is_undeliverable_with_candidates_and_none_found_has_none() {
    let input = address_input("us_street");
    let check = address::parse(FX.typed("address/ambiguous.wire_response"), &input).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Undeliverable);
    assert!(check.address.is_none());
    assert_eq!(check.classification, AddressClassification::Commercial);
    assert_eq!(check.candidates.len(), 2);
    assert!(!check.candidates[0].residential);
    assert!(check.candidates[1].residential);
    assert_eq!(
        check.candidates[1].postal_code.as_deref(),
        Some("10002-1107")
    );
    assert_eq!(
        check.candidates[1].company.as_deref(),
        Some("Ritz Camera Centers")
    );
    assert_eq!(check.reasons[0].code, "AmbiguousAddressIndicator");

    let check = address::parse(FX.typed("address/no_candidates.wire_response"), &input).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Undeliverable);
    assert!(check.candidates.is_empty());
    assert_eq!(check.classification, AddressClassification::Unknown);
    assert_eq!(check.reasons[0].code, "NoCandidatesIndicator");
}

/// The Postman collection's own XAV answer: a single `Candidate` object with a string
/// `AddressLine` (the pre-v2 shape), Alpharetta GA.
#[test]
fn xav_postman_sample_answer_parses() {
    let Some(c) = FX.sample("postman/UPS_Address_Validation.postman_collection.json") else {
        return;
    };
    let body = c["item"][0]["response"][0]["body"].as_str().unwrap();
    let resp: wire::XavResponseWrapper = serde_json::from_str(body).unwrap();
    let input: Address = serde_json::from_value(json!({
        "name": "Someone", "street": ["12380 Morris Rd"], "city": "Alpharetta", "state": "GA",
        "postal_code": "30005", "country": "US"
    }))
    .unwrap();
    let check = address::parse(resp, &input).unwrap();
    assert_eq!(check.verdict, AddressVerdict::Deliverable);
    let a = check.address.unwrap();
    assert_eq!(a.street, ["12380 MORRIS RD"]);
    assert_eq!(a.postal_code.as_deref(), Some("30005-4616"));
    assert_eq!(a.name, "Someone");
}

// ------------------------------------------------------------------ pickup

#[test]
fn pickup_request_groups_pieces_by_service_and_destination() {
    let req = pickup_input("us_two_services");
    let body = to_json(&pickup::build(&req, &account()).unwrap());
    FX.assert_json("pickup/us_two_services.wire_request", &body);
    let p = &body["PickupCreationRequest"];
    assert_eq!(
        p["PickupPiece"],
        json!([
            {"ServiceCode": "003", "Quantity": "3", "DestinationCountryCode": "US", "ContainerCode": "01"},
            {"ServiceCode": "001", "Quantity": "1", "DestinationCountryCode": "US", "ContainerCode": "01"}
        ])
    );
    assert_eq!(
        p["PickupDateInfo"],
        json!({"CloseTime": "1730", "ReadyTime": "0900", "PickupDate": "20250317"})
    );
    // 9.5 kg = 20.94… lb, ceiled to the tenth.
    assert_eq!(
        p["TotalWeight"],
        json!({"Weight": "21", "UnitOfMeasurement": "LBS"})
    );
    assert_eq!(p["PickupAddress"]["PostalCode"], "30301");
    assert_eq!(
        p["PickupAddress"]["AddressLine"],
        json!(["1 Peachtree St, Dock 4"])
    );
    assert_eq!(p["PaymentMethod"], "01");
    assert_eq!(p["Shipper"]["Account"]["AccountNumber"], "A1B2C3");
}

#[test]
fn pickup_without_shipments_books_ground_for_the_parcels() {
    let mut req = pickup_input("us_two_services");
    req.shipments.clear();
    let body = to_json(&pickup::build(&req, &account()).unwrap());
    assert_eq!(
        body["PickupCreationRequest"]["PickupPiece"],
        json!([{"ServiceCode": "003", "Quantity": "4", "DestinationCountryCode": "US", "ContainerCode": "01"}])
    );
}

#[test]
fn pickup_input_errors_name_the_field() {
    let mut req = pickup_input("us_two_services");
    req.close_time = req.ready_time;
    let e = pickup::build(&req, &account()).unwrap_err();
    assert_eq!(rejected_fields(&e), ["/close_time"]);
    let mut req = pickup_input("us_two_services");
    req.address.phone = None;
    let e = pickup::build(&req, &account()).unwrap_err();
    assert_eq!(rejected_fields(&e), ["/address/phone"]);
    assert_eq!(
        rejected_fields(&pickup::prn("29/30").unwrap_err()),
        ["/confirmation"]
    );
}

#[test]
fn pickup_answers_give_the_prn_and_the_charge() {
    let c = pickup::parse(FX.typed("pickup/created_rated.wire_response")).unwrap();
    assert_eq!(c.confirmation, "2930O2BER9R");
    assert_eq!(
        c.charge,
        Some(Money::new(rust_decimal_macros::dec!(6.51), Currency::USD))
    );
    pickup::parse_cancel(FX.typed("pickup/cancelled.wire_response")).unwrap();
}

/// The Postman collection's creation and cancel answers (PRN, `RateStatus` 04 "Rate not
/// requested": no charge).
#[test]
fn pickup_postman_sample_answers_parse() {
    let Some(c) = FX.sample("postman/UPS_Pickup.postman_collection.json") else {
        return;
    };
    let response = |name: &str| -> String {
        let item = c["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap_or_else(|| panic!("{name}"));
        item["response"][0]["body"].as_str().unwrap().to_string()
    };
    let created: wire::PickupCreationResponseWrapper =
        serde_json::from_str(&response("Pickup Creation")).unwrap();
    let conf = pickup::parse(created).unwrap();
    assert_eq!(conf.confirmation, "2930O2BER9R");
    assert_eq!(conf.charge, None);
    let cancelled: wire::PickupCancelResponseWrapper =
        serde_json::from_str(&response("Pickup Cancel")).unwrap();
    pickup::parse_cancel(cancelled).unwrap();
}

// ------------------------------------------------------------------ HTTP glue (wiremock)

#[tokio::test]
async fn verify_address_posts_xav_with_the_bearer_token() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-xav", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/addressvalidation/v2/3"))
        .and(header("authorization", "Bearer tok-xav"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.read("address/valid_residential.wire_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let to: Address = serde_json::from_value(json!({
        "name": "Receiver", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
        "postal_code": "94105", "country": "US"
    }))
    .unwrap();
    let check = ups.verify_address(&to).await.unwrap();
    assert_eq!(check.verdict, AddressVerdict::Deliverable);
    let sent: Value = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.url.path().starts_with("/api/addressvalidation"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    assert_eq!(sent["XAVRequest"]["AddressKeyFormat"]["CountryCode"], "US");

    // Outside the US and Puerto Rico XAV has no data: Unknown, and no call.
    let de: Address = serde_json::from_value(json!({
        "name": "E", "street": ["Unter den Linden 77"], "city": "Berlin",
        "postal_code": "10117", "country": "DE"
    }))
    .unwrap();
    let check = ups.verify_address(&de).await.unwrap();
    assert_eq!(check.verdict, AddressVerdict::Unknown);
}

#[tokio::test]
async fn verify_address_faults_map_to_retry_or_fix() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-xav-f", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/addressvalidation/v2/3"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3")
                .set_body_json(json!({"response": {"errors": [{"code": "10429", "message": "Rate Limit Exceeded"}]}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/addressvalidation/v2/3"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"response": {"errors": [
            {"code": "264002", "message": "Country Code is invalid or missing."}]}})),
        )
        .mount(&server)
        .await;
    let to = address_input("us_street");
    let e = ups.verify_address(&to).await.unwrap_err();
    assert!(
        matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 3),
        "{e:?}"
    );
    let e = ups.verify_address(&to).await.unwrap_err();
    assert_eq!(rejected_fields(&e), ["/address/country"]);
}

#[tokio::test]
async fn pickups_are_booked_and_cancelled_by_prn() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-pickup", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/pickupcreation/v2409/pickup"))
        .and(header("authorization", "Bearer tok-pickup"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.read("pickup/created_rated.wire_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/shipments/v2409/pickup/02"))
        .and(header("Prn", "2930O2BER9R"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(FX.read("pickup/cancelled.wire_response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let req = pickup_input("us_two_services");
    let c = ups.schedule_pickup(&req).await.unwrap();
    assert_eq!(c.confirmation, "2930O2BER9R");
    ups.cancel_pickup(&PickupRef {
        confirmation: c.confirmation,
        location: c.location,
        date: req.date,
        address: req.address.clone(),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn pickup_faults_map_to_retry_or_fix() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-pickup-f", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/pickupcreation/v2409/pickup"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"response": {"errors": [
            {"code": "9999", "message": "General system error"}]}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/pickupcreation/v2409/pickup"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"response": {"errors": [
            {"code": "9510113", "message": "The pickup postal code is invalid."}]}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/shipments/v2409/pickup/02"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"response": {"errors": [
            {"code": "9510151", "message": "The pickup request has already been cancelled."}]}})),
        )
        .mount(&server)
        .await;
    let req = pickup_input("us_two_services");
    let e = ups.schedule_pickup(&req).await.unwrap_err();
    assert!(
        matches!(
            e,
            CarrierError::Transient {
                maybe_processed: false,
                ..
            }
        ),
        "{e:?}"
    );
    let e = ups.schedule_pickup(&req).await.unwrap_err();
    assert_eq!(rejected_fields(&e), ["/address/postal_code"]);
    let e = ups
        .cancel_pickup(&PickupRef {
            confirmation: "2930O2BER9R".into(),
            location: None,
            date: req.date,
            address: req.address.clone(),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, CarrierError::Rejected { .. }), "{e:?}");
}

#[tokio::test]
async fn a_return_label_is_bought_with_return_service_on_the_wire() {
    let server = MockServer::start().await;
    let ups = ups_for(&server, "tok-return", 1).await;
    let mut answer = FX.read("ship/us_domestic_two_pieces.wire_response.json");
    answer["ShipmentResponse"]["ShipmentResults"]["PackageResults"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    Mock::given(method("POST"))
        .and(path("/api/shipments/v2409/ship"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let wb = ups.ship(&ship_input("us_return")).await.unwrap();
    assert_eq!(wb.pieces.len(), 1);
    let sent: Value = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.url.path().ends_with("/ship"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    assert_eq!(
        sent["ShipmentRequest"]["Shipment"]["ReturnService"]["Code"],
        "9"
    );
}
