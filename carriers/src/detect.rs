//! Which carrier issued a tracking number, from its shape and check digit alone: pure, no
//! I/O, no registry. The hub uses it when a tracker is created without a carrier; an empty
//! answer means "unrecognisable", more than one candidate is a real ambiguity for the caller
//! to resolve (a 22-digit `92…` number is a valid USPS IMpb and a valid FedEx SmartPost one).
//!
//! A number in a format that has a check digit is a candidate only when the digit is right:
//! a typo should be refused before a carrier request is spent on it. Formats without a check
//! digit (DHL Express `JD` piece IDs) come back as [`Detection::FormatOnly`].
//!
//! Each carrier declares the formats it issues in its registry entry (`CarrierEntry::numbers`,
//! with the algorithm and where it is published next to it in the carrier's folder); this
//! module only asks every entry and ranks the answers. Shared check digits:
//! `crate::check_digit`.

use serde::Serialize;

use crate::carrier::CarrierCode;
use crate::model::TrackingNumber;
use crate::registry::CarrierEntry;

/// How sure a candidate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    /// The format matches and its check digit is right.
    CheckDigit,
    /// The format matches; it has no check digit to verify.
    FormatOnly,
}

/// One carrier that may have issued a number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The carrier's registry code (`ups`, `fedex`, `usps`, `dhl_express`, `sandbox`,
    /// `table_rate`).
    pub carrier: CarrierCode,
    /// The carrier's name for the number format (`1Z`, `Express`, `IMpb`, `SmartPost`…).
    pub format: &'static str,
    /// How sure the match is.
    pub detection: Detection,
    /// The number to track with this carrier: the input without a `420`+ZIP routing prefix.
    pub number: TrackingNumber,
}

/// The carriers among `entries` that may have issued `number`, most likely first (check-digit
/// matches before format-only ones; where two check digits agree, the carrier whose format it
/// primarily is comes first, e.g. USPS before FedEx SmartPost for `92…`). Empty when nothing
/// matches.
pub fn detect(entries: &[&CarrierEntry], number: &TrackingNumber) -> Vec<Candidate> {
    let s = number.as_str();
    let mut out: Vec<(bool, Candidate)> = entries
        .iter()
        .flat_map(|entry| {
            entry.numbers.iter().filter_map(move |format| {
                let n = (format.read)(s)?;
                Some((
                    format.shared,
                    Candidate {
                        carrier: entry.code.clone(),
                        format: format.name,
                        detection: format.detection,
                        number: n.parse().expect("a slice of a tracking number"),
                    },
                ))
            })
        })
        .collect();
    out.sort_by_key(|(shared, c)| (c.detection, *shared));
    out.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<(String, Detection, String)> {
        detect(crate::CARRIERS, &s.parse().unwrap())
            .into_iter()
            .map(|c| {
                (
                    c.carrier.to_string(),
                    c.detection,
                    c.number.as_str().to_string(),
                )
            })
            .collect()
    }

    fn only(s: &str) -> String {
        let f = found(s);
        assert_eq!(f.len(), 1, "{s}: {f:?}");
        assert_eq!(f[0].1, Detection::CheckDigit, "{s}");
        f[0].0.clone()
    }

    /// Every example number in `../shared/carriers/*/` that passes its own check digit.
    /// Those that fail it, so are (rightly) not detected:
    /// - UPS `1Z12345E8791315509`, `1Z12345E8791315413` (Shipping.yaml, postman),
    ///   `1Z1234567891234551` (UPSTrackAlert.yaml `alternateTrackingNumber`).
    /// - FedEx `782514212510` (upload-documents-api.json), `39936862321` (11 digits,
    ///   samples/tracking_response.json).
    /// - USPS `9262593519935271903671`, `9405509898644824249889`, `098765432109`
    ///   (domestic-labels.yaml), `4201234567899212391234567812345671` (samples/label_request.json).
    /// - DHL Express `1234567890` (placeholder in MyDHL spec and samples).
    #[test]
    fn every_valid_example_number_in_the_shared_specs_is_detected_as_its_carrier() {
        let ups = [
            "1Z4096YY0316914058",
            "1Z1234567891234556",
            "1ZA2F8810719086435",
            "1Z1442YY7229014688",
            "1ZCIETST0422222228",
            "1ZCIETST0111111114",
            "1Z204W4R0308071865",
            "1ZISUS010330563105",
            "1Z6568YY1200043419",
            "1Z023E2X0214323462",
        ];
        let fedex = [
            "128667043726",
            "794791292805",
            "794791341818",
            "794791341829",
            "794791341830",
            "794791341840",
            "794791341851",
            "794791341862",
            "794791341873",
            "794791341884",
            "794791341895",
            "794791341900",
            "794791341910",
            "794791341921",
            "794791341932",
            "794791341943",
            "794791341954",
            "794791341965",
            "794791341976",
            "794791341987",
            "794791341998",
            "794791342001",
            "794791342012",
            "794817895080",
            "794953535000",
            "794953555571",
            "795803657326",
            "858488600850",
            // shipping_request.json: a 20-digit SmartPost number.
            "49092000070120032835",
        ];
        let usps = [
            "9205590006662200704797",
            "9205590006662202169556",
            "9400109104250532908587",
            "EZ000012162US",
            "MM000043788US",
        ];
        // MyDHL's test waybills (mydhl-express-api-3.1.1.yaml, tracking) and sample numbers.
        let dhl = [
            "9356579890",
            "4818240420",
            "5584773180",
            "5786694550",
            "2449648740",
            "5980622760",
            "5980622970",
            "5980623180",
            "5980770460",
            "6781059250",
            "9077880070",
            "5786694760",
            "7957673080",
            "5786696720",
            "8066924740",
            "1103733901",
            "3249551701",
            "5310907744",
            "5374534546",
            "5374534616",
            "7777777770",
        ];
        for (carrier, numbers) in [
            ("ups", &ups[..]),
            ("fedex", &fedex[..]),
            ("usps", &usps[..]),
            ("dhl_express", &dhl[..]),
        ] {
            for n in numbers {
                let f = found(n);
                assert!(
                    f.first()
                        .is_some_and(|c| c.0 == carrier && c.1 == Detection::CheckDigit),
                    "{n}: {f:?}"
                );
            }
        }
        // USPS `92…` numbers are also valid SmartPost numbers; the rest are unambiguous.
        assert_eq!(only("1Z4096YY0316914058"), "ups");
        assert_eq!(only("9400109104250532908587"), "usps");
    }

    #[test]
    fn the_spec_examples_that_fail_their_check_digit_are_not_detected() {
        for n in [
            "1Z12345E8791315509",
            "1Z12345E8791315413",
            "1Z1234567891234551",
            "782514212510",
            "39936862321",
            "9262593519935271903671",
            "9405509898644824249889",
            "098765432109",
            "4201234567899212391234567812345671",
            "1234567890",
        ] {
            assert_eq!(found(n), [], "{n}");
        }
    }

    #[test]
    fn published_examples_beyond_the_shared_specs_are_detected() {
        // jkeen/tracking_number_data couriers/{ups,fedex,dhl}.json "valid" test numbers.
        for n in [
            "1Z5R89390357567127",
            "1Z879E930346834440",
            "1Z8V92A70367203024",
        ] {
            assert_eq!(only(n), "ups", "{n}");
        }
        for n in [
            "986578788855",
            "477179081230",
            "799531274483",
            "974367662710",
            "041441760228964",
            "568283610012000",
            "568283610012734",
            "9611020987654312345672",
            "61299998820821171811",
        ] {
            assert_eq!(only(n), "fedex", "{n}");
        }
        for n in ["3318810025", "8487135506", "1099255990", "3821724944"] {
            assert_eq!(only(n), "dhl_express", "{n}");
        }
        // The same sources' "invalid" numbers.
        for n in [
            "1Z1111111111111111",
            "996578788855",
            "568283610012732",
            "9600000000000000000001",
            "9261292700768711948020",
            "3318810010",
            "3318810034",
        ] {
            assert_eq!(found(n), [], "{n}");
        }
    }

    #[test]
    fn a_22_digit_92_number_is_both_usps_impb_and_fedex_smartpost() {
        // 9205590006662202169556: the Cancel example in USPS domestic-labels.yaml;
        // 9261292700768711948021: a SmartPost example in jkeen couriers/fedex.json.
        for n in ["9205590006662202169556", "9261292700768711948021"] {
            let f = found(n);
            let carriers: Vec<&str> = f.iter().map(|c| c.0.as_str()).collect();
            assert_eq!(carriers, ["usps", "fedex"], "{n}");
            assert!(f.iter().all(|c| c.1 == Detection::CheckDigit && c.2 == n));
        }
    }

    #[test]
    fn a_routing_prefix_is_stripped_from_the_number_to_track() {
        let f = found("420201269205590006662202169556");
        assert_eq!(
            f[0],
            (
                "usps".into(),
                Detection::CheckDigit,
                "9205590006662202169556".into()
            )
        );
        assert_eq!(f.len(), 2, "also a SmartPost number: {f:?}");
        let f = found("4202012612349400109104250532908587");
        assert_eq!(
            f,
            [(
                "usps".into(),
                Detection::CheckDigit,
                "9400109104250532908587".into()
            )]
        );
        // 420 + ZIP5 + a 20-digit SmartPost number.
        let f = found("4202012661299998820821171811");
        assert_eq!(
            f,
            [(
                "fedex".into(),
                Detection::CheckDigit,
                "61299998820821171811".into()
            )]
        );
        assert_eq!(found("430201269205590006662202169556"), []);
    }

    #[test]
    fn dhl_piece_ids_match_on_format_only() {
        // mydhl-express-api-3.1.1.yaml and samples/shipment_response.json piece IDs.
        for n in [
            "JD014600004617230711",
            "JD014600001234567890",
            "JD012345678901234567",
        ] {
            assert_eq!(
                found(n),
                [("dhl_express".into(), Detection::FormatOnly, n.into())]
            );
        }
        assert_eq!(found("JD01460000461723071"), [], "17 digits");
    }

    #[test]
    fn sandbox_numbers_carry_a_luhn_digit() {
        // Hand-computed in sandbox/number.rs; table-rate numbers: rating/src/table_rate/number.rs.
        assert_eq!(only("SB0170000000000426"), "sandbox");
        for n in [
            "SB0170000000000427",
            "SB0170000000000246",
            "SB017000000000042",
            "SB9170000000000427",
        ] {
            assert_eq!(found(n), [], "{n}");
        }
    }

    #[test]
    fn s10_numbers_from_other_posts_and_junk_are_unrecognised() {
        // LE339614461CN: a China Post S10 in yunexpress/openapi-unofficial.yaml.
        for n in [
            "LE339614461CN",
            "EZ000012163US",
            "HELLOWORLD",
            "123456",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ] {
            assert_eq!(found(n), [], "{n}");
        }
    }
}
