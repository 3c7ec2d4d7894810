//! `contracts/openapi.json` is the API's published contract: it must equal what the code
//! generates. Run with `BLESS=1` to rewrite it after an intended change, and review the diff.

#[test]
fn openapi_document_matches_contract() {
    let generated = shiphub::api::openapi().to_pretty_json().unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/openapi.json");
    if std::env::var("BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "contracts/openapi.json is out of date with the code; run `BLESS=1 cargo test -p shiphub --test openapi` and review the diff"
    );
}

#[test]
fn every_route_documents_its_errors_as_problem_json() {
    let doc: serde_json::Value =
        serde_json::from_str(&shiphub::api::openapi().to_json().unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/rates",
        "/v1/shipments",
        "/v1/shipments/{id}",
        "/v1/shipments/{id}/void",
        "/v1/shipments/{id}/label",
        "/v1/carriers",
        "/v1/carrier-accounts",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let problem = &doc["paths"]["/v1/shipments"]["post"]["responses"]["422"]["content"]["application/problem+json"];
    assert!(
        problem.is_object(),
        "422 of POST /v1/shipments is not problem+json"
    );
}
