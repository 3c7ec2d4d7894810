//! Kuaidi100 e-waybill (电子面单 V2) wire contracts. Kuaidi100 publishes no schema in
//! `../shared/carriers/`; its official demo SDK's classes are the contract: the field names
//! of `labelV2.OrderReq`, `ManInfo`, `LabelCancelParam`, `labelV2.Result` and
//! `labelV2.OrderResult` were typed by hand into
//! `carriers/src/kuaidi100/fixtures/ewaybill/demo_fields.json` (sources in that folder's
//! `SOURCES.md`). Every request and answer fixture of the adapter uses only those names,
//! with the documented value sets; the adapter's unit tests check it sends exactly the
//! request fixture.

use serde_json::Value;
use shiphub_contracts::{load, workspace_root};

fn fixture(name: &str) -> Value {
    load(
        &workspace_root()
            .join("carriers/src/kuaidi100/fixtures/ewaybill")
            .join(name),
    )
}

fn names(demo: &Value, class: &str) -> Vec<String> {
    demo[class]
        .as_array()
        .unwrap_or_else(|| panic!("no {class} in demo_fields.json"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn within(v: &Value, demo: &Value, class: &str, at: &str) {
    let allowed = names(demo, class);
    for key in v.as_object().unwrap().keys() {
        if key == "_comment" {
            continue;
        }
        assert!(
            allowed.contains(key),
            "{at}: `{key}` is not a field of the demo's {class}"
        );
    }
}

#[test]
fn the_order_request_uses_the_demos_names_and_value_sets() {
    let demo = fixture("demo_fields.json");
    let order = fixture("hubei_to_xiangyang.order_param.json");
    within(&order, &demo, "OrderReq", "order");
    within(&order["recMan"], &demo, "ManInfo", "recMan");
    within(&order["sendMan"], &demo, "ManInfo", "sendMan");
    assert!(names(&demo, "PayType").contains(&order["payType"].as_str().unwrap().to_string()));
    assert!(names(&demo, "PrintType").contains(&order["printType"].as_str().unwrap().to_string()));
    // `weight` is a Java double and `count` an int: JSON numbers, not strings.
    assert!(order["weight"].is_number() && order["count"].is_u64());
    for man in [&order["recMan"], &order["sendMan"]] {
        assert!(man["name"].is_string() && man["printAddr"].is_string());
        assert!(man["mobile"].is_string() || man["tel"].is_string());
    }
}

#[test]
fn the_answers_use_the_demos_result_and_order_result_names() {
    let demo = fixture("demo_fields.json");
    for name in [
        "order_ok.json",
        "order_two_pieces.json",
        "cancel_ok.json",
        "bad_sign.json",
        "bad_key.json",
        "volume_used_up.json",
        "server_error.json",
        "network_refused.json",
    ] {
        let answer = fixture(name);
        within(&answer, &demo, "Result", name);
        // `code` is an int in the demo's Result.
        assert!(answer["code"].is_i64(), "{name}: code is not an integer");
        if let Some(data) = answer["data"].as_object() {
            within(&Value::Object(data.clone()), &demo, "OrderResult", name);
        }
    }
}
