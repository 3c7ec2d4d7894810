//! Adapter CPU per rate request, without the network: build + serialize the carrier request,
//! deserialize + parse the carrier's answer, over the golden fixtures.

use criterion::{Criterion, criterion_group, criterion_main};
use shiphub_carriers::model::RateRequest;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/src/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn rate_cycles(c: &mut Criterion) {
    let cases = [
        (
            "ups_rate_build_parse",
            "ups/fixtures/rate/us_domestic_ground",
            shiphub_carriers::bench::ups_rate_cycle as fn(&RateRequest, &[u8]) -> _,
        ),
        (
            "fedex_rate_build_parse",
            "fedex/fixtures/rate/us_domestic_all_services",
            shiphub_carriers::bench::fedex_rate_cycle,
        ),
        (
            "dhl_express_rate_build_parse",
            "dhl_express/fixtures/rate/de_to_us_worldwide",
            shiphub_carriers::bench::dhl_express_rate_cycle,
        ),
        (
            "usps_rate_build_parse",
            "usps/fixtures/rate/us_domestic",
            shiphub_carriers::bench::usps_rate_cycle,
        ),
        (
            "yunexpress_rate_build_sign_parse",
            "yunexpress/fixtures/rate/sz_to_berlin",
            shiphub_carriers::bench::yunexpress_rate_cycle,
        ),
        (
            "sf_express_rate_build_parse",
            "sf_express/fixtures/rate/shiyan_to_xiangyang",
            shiphub_carriers::bench::sf_express_rate_cycle,
        ),
    ];
    for (name, base, cycle) in cases {
        let req: RateRequest =
            serde_json::from_slice(&fixture(&format!("{base}.input.json"))).expect("input");
        let resp = fixture(&format!("{base}.wire_response.json"));
        let (_, quotes) = cycle(&req, &resp).expect("fixture cycles");
        assert!(quotes > 0);
        c.bench_function(name, |b| {
            b.iter(|| cycle(std::hint::black_box(&req), std::hint::black_box(&resp)))
        });
    }
}

/// Kuaidi100 tracks (it has no rates): one query's `param` built, signed (MD5) and
/// form-encoded, then a three-scan answer parsed.
fn kuaidi100_track_cycle(c: &mut Criterion) {
    let resp = fixture("kuaidi100/fixtures/track/zto_in_transit.wire_response.json");
    let (_, events) =
        shiphub_carriers::bench::kuaidi100_track_cycle(&resp).expect("fixture cycles");
    assert_eq!(events, 3);
    c.bench_function("kuaidi100_track_build_sign_parse", |b| {
        b.iter(|| shiphub_carriers::bench::kuaidi100_track_cycle(std::hint::black_box(&resp)))
    });
}

criterion_group!(benches, rate_cycles, kuaidi100_track_cycle);
criterion_main!(benches);
