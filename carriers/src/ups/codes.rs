//! UPS code tables as data: services, packaging, itemized charge kinds, and the tracking
//! status tables. Each table cites its source; nothing here does I/O or formatting.

use crate::carrier::ServiceInfo;
use crate::model::ChargeKind;
use crate::model::ServiceClass::{Economy, Express, Freight, Overnight, Standard};
use crate::model::TrackingStatus::{self, *};

/// Services UPS sells through Rating/Shipping.
///
/// From `../shared/carriers/ups/openapi/Shipping.yaml` (`Shipment_Service.Code`) and
/// `../shared/carriers/ups/karrio-services.csv`; the class is ours: next-day services are
/// `Overnight`, 2/3-day air and international express `Express`, Ground/Standard `Standard`,
/// economy/deferred `Economy`, freight services `Freight`. Mail Innovations, Roadie and
/// Ground Freight (`M*`, `C*`, `T*`) are not offered: they need account programmes and request
/// shapes this adapter does not build.
pub(super) static SERVICES: [ServiceInfo; 24] = [
    svc("01", "UPS Next Day Air", Overnight),
    svc("02", "UPS 2nd Day Air", Express),
    svc("03", "UPS Ground", Standard),
    svc("07", "UPS Worldwide Express", Express),
    svc("08", "UPS Worldwide Expedited", Standard),
    svc("11", "UPS Standard", Standard),
    svc("12", "UPS 3 Day Select", Express),
    svc("13", "UPS Next Day Air Saver", Overnight),
    svc("14", "UPS Next Day Air Early", Overnight),
    svc("17", "UPS Worldwide Economy DDU", Economy),
    svc("54", "UPS Worldwide Express Plus", Express),
    svc("59", "UPS 2nd Day Air A.M.", Express),
    svc("65", "UPS Worldwide Saver", Express),
    svc("70", "UPS Access Point Economy", Economy),
    svc("71", "UPS Worldwide Express Freight Midday", Freight),
    svc("72", "UPS Worldwide Economy DDP", Economy),
    svc("74", "UPS Express 12:00", Express),
    svc("75", "UPS Heavy Goods", Freight),
    svc("82", "UPS Today Standard", Standard),
    svc("83", "UPS Today Dedicated Courier", Overnight),
    svc("84", "UPS Today Intercity", Overnight),
    svc("85", "UPS Today Express", Overnight),
    svc("86", "UPS Today Express Saver", Overnight),
    svc("96", "UPS Worldwide Express Freight", Freight),
];

const fn svc(
    code: &'static str,
    name: &'static str,
    class: crate::model::ServiceClass,
) -> ServiceInfo {
    ServiceInfo { code, name, class }
}

/// The declared service with this code.
pub(super) fn service(code: &str) -> Option<&'static ServiceInfo> {
    SERVICES.iter().find(|s| s.code == code)
}

/// Packaging codes, from `Shipping.yaml` (`Package_Packaging.Code`). Rate calls the same
/// list `PackagingType`. We send `02` (the shipper's own box), `01` or `04` when a parcel names
/// an envelope or pak (`packaging_code`); the table documents the rest for readers of UPS
/// responses and invoices.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "a reference table: read by the packaging test and by people"
    )
)]
pub(super) static PACKAGING: &[(&str, &str)] = &[
    ("01", "UPS Letter"),
    ("02", "Customer Supplied Package"),
    ("03", "Tube"),
    ("04", "PAK"),
    ("21", "UPS Express Box"),
    ("24", "UPS 25KG Box"),
    ("25", "UPS 10KG Box"),
    ("30", "Pallet"),
    ("2a", "Small Express Box"),
    ("2b", "Medium Express Box"),
    ("2c", "Large Express Box"),
    ("56", "Flats"),
    ("57", "Parcels"),
    ("58", "BPM"),
    ("59", "First Class"),
    ("60", "Priority"),
    ("61", "Machineables"),
    ("62", "Irregulars"),
    ("63", "Parcel Post"),
    ("64", "BPM Parcel"),
    ("65", "Media Mail"),
    ("66", "BPM Flat"),
    ("67", "Standard Flat"),
];

/// The packaging we send without a named one: the shipper's own box.
pub(super) const CUSTOMER_PACKAGING: &str = "02";

/// The UPS packaging code for a parcel's packaging: UPS Letter (`01`) for an envelope, PAK
/// (`04`), else the shipper's own box; `None` for packaging UPS does not sell.
pub(super) fn packaging_code(p: Option<crate::model::Packaging>) -> Option<&'static str> {
    use crate::model::Packaging;
    match p {
        None => Some(CUSTOMER_PACKAGING),
        Some(Packaging::Envelope) => Some("01"),
        Some(Packaging::Pak) => Some("04"),
        Some(_) => None,
    }
}

/// UPS accessorial codes as they come in `ItemizedCharges[].Code`, with UPS's meaning. The specs
/// give no list (`Rating.yaml` says only "Identification code for itemized charge"); the codes
/// are UPS's "Accessorials" appendix of the Rating and Shipping developer guides (*ext*; the
/// same list recurs in public UPS integrations), checked against what the samples here carry:
/// 375 is the fuel-sized line and 190 comes with `SubType` "Extended Area Destination" in
/// `samples/rating_responses.json`, 376 with `SubType` "Urban" in
/// `postman/UPS_Rating.postman_collection.json`. Names are ours, in UPS's words. Codes not here
/// keep UPS's own description, or "UPS charge <code>" when UPS gives none.
static CHARGES: &[(&str, ChargeKind, &str)] = &[
    ("100", ChargeKind::Surcharge, "Additional handling"),
    ("110", ChargeKind::Surcharge, "Collect on delivery"),
    ("120", ChargeKind::Surcharge, "Delivery confirmation"),
    (
        "121",
        ChargeKind::Surcharge,
        "Shipment delivery confirmation",
    ),
    ("190", ChargeKind::Surcharge, "Extended area surcharge"),
    ("199", ChargeKind::Surcharge, "Hazardous materials"),
    ("200", ChargeKind::Surcharge, "Dry ice"),
    (
        "201",
        ChargeKind::Surcharge,
        "International special commodities: seeds",
    ),
    (
        "202",
        ChargeKind::Surcharge,
        "International special commodities: perishables",
    ),
    (
        "203",
        ChargeKind::Surcharge,
        "International special commodities: tobacco",
    ),
    (
        "204",
        ChargeKind::Surcharge,
        "International special commodities: plants",
    ),
    (
        "205",
        ChargeKind::Surcharge,
        "International special commodities: alcoholic beverages",
    ),
    (
        "206",
        ChargeKind::Surcharge,
        "International special commodities: biological substances",
    ),
    (
        "207",
        ChargeKind::Surcharge,
        "International special commodities: special exceptions",
    ),
    ("220", ChargeKind::Surcharge, "Hold for pickup"),
    ("240", ChargeKind::Surcharge, "Certificate of origin"),
    ("250", ChargeKind::Surcharge, "Print return label"),
    ("258", ChargeKind::Surcharge, "Export license verification"),
    ("260", ChargeKind::Surcharge, "Print and mail return label"),
    ("270", ChargeKind::Surcharge, "Residential surcharge"),
    ("280", ChargeKind::Surcharge, "Returns, 1 pickup attempt"),
    ("290", ChargeKind::Surcharge, "Returns, 3 pickup attempts"),
    ("300", ChargeKind::Surcharge, "Saturday delivery"),
    (
        "310",
        ChargeKind::Surcharge,
        "Saturday international processing fee",
    ),
    ("350", ChargeKind::Surcharge, "Electronic return label"),
    (
        "374",
        ChargeKind::Surcharge,
        "UPS prepared export declaration (SED)",
    ),
    ("375", ChargeKind::Fuel, "Fuel surcharge"),
    ("376", ChargeKind::Surcharge, "Delivery area surcharge"),
    ("377", ChargeKind::Surcharge, "Large package surcharge"),
    ("378", ChargeKind::Surcharge, "Shipper pays duty and tax"),
    (
        "379",
        ChargeKind::Surcharge,
        "Shipper pays duty and tax, unpaid",
    ),
    ("380", ChargeKind::Surcharge, "Express Plus surcharge"),
    ("400", ChargeKind::Surcharge, "Declared value (insurance)"),
    (
        "401",
        ChargeKind::Surcharge,
        "Additional handling (shipment)",
    ),
    ("402", ChargeKind::Surcharge, "Shipper release"),
    ("403", ChargeKind::Surcharge, "Check to shipper"),
    ("404", ChargeKind::Surcharge, "UPS Proactive Response"),
    ("405", ChargeKind::Surcharge, "German pickup"),
    ("406", ChargeKind::Surcharge, "German road tax"),
    ("407", ChargeKind::Surcharge, "Extended area pickup"),
    ("410", ChargeKind::Surcharge, "Return of documents"),
    ("430", ChargeKind::Surcharge, "Peak season surcharge"),
    (
        "431",
        ChargeKind::Surcharge,
        "Peak season surcharge, large package",
    ),
    (
        "432",
        ChargeKind::Surcharge,
        "Peak season surcharge, additional handling",
    ),
    // In `samples/rating_responses.json` with `SubType` "Surge_Fee_Commercial"; UPS invoices
    // bill it as "Surge Fee - Com" / "Surge Fee - Resi"
    // (`invoices/ups-charge-description-categories.csv`).
    ("434", ChargeKind::Surcharge, "Surge fee"),
    (
        "440",
        ChargeKind::Surcharge,
        "Large package surcharge (shipment)",
    ),
    ("441", ChargeKind::Surcharge, "Carbon neutral"),
    ("444", ChargeKind::Surcharge, "Import control"),
    ("445", ChargeKind::Surcharge, "Commercial invoice removal"),
    ("452", ChargeKind::Surcharge, "Refrigeration"),
];

/// The kind and our name for an itemized charge line, from its code; an unknown code is a
/// `Surcharge` unless UPS's own description says fuel.
pub(super) fn charge_kind(
    code: &str,
    description: Option<&str>,
) -> (ChargeKind, Option<&'static str>) {
    if let Some((_, kind, name)) = CHARGES.iter().find(|(c, _, _)| *c == code) {
        return (*kind, Some(name));
    }
    let fuel = description.is_some_and(|d| d.to_ascii_lowercase().contains("fuel"));
    (
        if fuel {
            ChargeKind::Fuel
        } else {
            ChargeKind::Surcharge
        },
        None,
    )
}

/// The codes [`charge_kind`] names, for the table's own test.
#[cfg(test)]
pub(super) fn charge_codes() -> impl Iterator<Item = &'static str> {
    CHARGES.iter().map(|(c, _, _)| *c)
}

/// A UPS tracking code table: one section of the Tracking API appendix.
pub(super) struct CodeTable {
    /// The section name, as in the `table` column of the CSV.
    pub(super) name: &'static str,
    groups: &'static [(TrackingStatus, &'static [&'static str])],
}

impl CodeTable {
    /// The status for `code`, when the table lists it.
    pub(super) fn status(&self, code: &str) -> Option<TrackingStatus> {
        self.groups
            .iter()
            .find(|(_, codes)| codes.contains(&code))
            .map(|(s, _)| *s)
    }
    #[cfg(test)]
    pub(super) fn codes(&self) -> impl Iterator<Item = (&'static str, TrackingStatus)> + '_ {
        self.groups
            .iter()
            .flat_map(|(s, codes)| codes.iter().map(move |c| (*c, *s)))
    }
}

/// Every table of `../shared/carriers/ups/tracking-codes/ups-tracking-codes.csv` (compiled from
/// UPS's Tracking API appendix, `UPS-tracking-appendix-codes.html` beside it). A test reads the
/// CSV and proves every `(table, code)` is listed here exactly once.
///
/// How codes were sorted, where UPS's words leave room:
/// - UPS's own normalized `statusCode` ("Status/Description Codes") is authoritative; the other
///   tables refine it or stand in when it is missing (see `track.rs`).
/// - Delays UPS reports as exceptions (weather, mechanical, "operating conditions") are
///   `Exception`, not `InTransit`: UPS sends them only when the committed date is at risk, which
///   is what a shipper wants a webhook for.
/// - Customs progress (cleared, released, in clearance) is `InTransit`; customs holds, missing
///   documents and pending government release are `Exception`.
/// - "Receiver not available / business closed / notice left" is `AttemptFail`; address
///   problems UPS is "attempting to update" are `Exception` (nobody tried to deliver yet).
/// - A failed pickup is `PreTransit`: UPS does not have the parcel yet.
/// - Delivered to an Access Point, locker or post office for collection is
///   `AvailableForPickup`, not `Delivered`: the receiver does not have it yet.
/// - The "Delivery Codes" that only name where a parcel was left (porch, mail room, guard) are
///   `Delivered`.
/// - "Shipment information voided", manifest cancelled and voided pickups are `Cancelled`.
pub(super) static TRACKING_TABLES: &[CodeTable] = &[
    CodeTable {
        name: "Status/Description Codes",
        groups: STATUS_DESCRIPTION_CODES,
    },
    CodeTable {
        name: "Package Activity Types",
        groups: PACKAGE_ACTIVITY_TYPES,
    },
    CodeTable {
        name: "Movement Scans",
        groups: MOVEMENT_SCANS,
    },
    CodeTable {
        name: "Manifest Codes",
        groups: MANIFEST_CODES,
    },
    CodeTable {
        name: "Updates",
        groups: UPDATES,
    },
    CodeTable {
        name: "Delivery Codes",
        groups: DELIVERY_CODES,
    },
    CodeTable {
        name: "Package Exceptions",
        groups: PACKAGE_EXCEPTIONS,
    },
    CodeTable {
        name: "Freight Activity",
        groups: FREIGHT_ACTIVITY,
    },
    CodeTable {
        name: "Freight Exceptions",
        groups: FREIGHT_EXCEPTIONS,
    },
    CodeTable {
        name: "Mail Innovations",
        groups: MAIL_INNOVATIONS,
    },
];

/// The table named `name`.
pub(super) fn table(name: &str) -> &'static CodeTable {
    TRACKING_TABLES
        .iter()
        .find(|t| t.name == name)
        .expect("known table name")
}

// Tables below: from ../shared/carriers/ups/tracking-codes/ups-tracking-codes.csv, one group
// per status; the CSV's description column is UPS's meaning of each code.

/// `Status/Description Codes`: 160 codes.
static STATUS_DESCRIPTION_CODES: &[(TrackingStatus, &[&str])] = &[
    (
        AttemptFail,
        &["22", "23", "24", "60", "61", "62", "66", "145"],
    ),
    (AvailableForPickup, &["17", "40", "144", "161"]),
    (Cancelled, &["7", "43"]),
    (Delivered, &["11", "26", "133", "143", "155", "156"]),
    (
        Exception,
        &[
            "13", "29", "30", "32", "46", "48", "49", "50", "51", "52", "53", "58", "59", "64",
            "68", "69", "76", "83", "85", "86", "90", "93", "104", "105", "123", "124", "125",
            "126", "127", "128", "129", "130", "132", "139", "140", "141", "142", "147", "149",
        ],
    ),
    (
        InTransit,
        &[
            "5", "10", "12", "14", "16", "18", "19", "20", "25", "27", "28", "38", "39", "41",
            "42", "47", "54", "55", "56", "57", "63", "70", "73", "74", "75", "82", "84", "87",
            "92", "94", "95", "96", "97", "98", "99", "100", "101", "102", "103", "106", "107",
            "108", "109", "110", "111", "112", "113", "114", "115", "116", "120", "121", "122",
            "134", "136", "137", "138", "153", "154", "158", "159", "160", "164", "165", "167",
            "168", "169",
        ],
    ),
    (
        OutForDelivery,
        &["6", "21", "37", "71", "72", "78", "89", "91", "146", "162"],
    ),
    (
        PreTransit,
        &[
            "3", "44", "45", "65", "77", "79", "80", "131", "135", "157", "166",
        ],
    ),
    (
        ReturnToSender,
        &["33", "34", "35", "36", "67", "81", "117", "118", "119"],
    ),
    (Unknown, &["0", "88", "148", "163"]),
];

/// `Package Activity Types`: 10 codes.
static PACKAGE_ACTIVITY_TYPES: &[(TrackingStatus, &[&str])] = &[
    (Cancelled, &["MV"]),
    (Delivered, &["D"]),
    (Exception, &["X"]),
    (InTransit, &["I", "DO", "DD", "W", "U"]),
    (PreTransit, &["M"]),
    (Unknown, &["NA"]),
];

/// `Movement Scans`: 38 codes.
static MOVEMENT_SCANS: &[(TrackingStatus, &[&str])] = &[
    (Cancelled, &["VP"]),
    (
        InTransit,
        &[
            "AG", "AR", "AT", "CA", "CD", "CL", "DL", "DP", "DS", "EP", "HU", "IP", "LC", "LM",
            "OR", "PC", "PU", "PT", "UA", "UD", "UL", "WH", "XA", "XD", "XR", "YH", "YM", "YN",
        ],
    ),
    (OutForDelivery, &["OD", "OF", "OT", "YF", "YI", "YP"]),
    (PreTransit, &["OC", "PL", "SP"]),
];

/// `Manifest Codes`: 4 codes.
static MANIFEST_CODES: &[(TrackingStatus, &[&str])] =
    &[(Cancelled, &["VP"]), (PreTransit, &["DP", "MP", "RD"])];

/// `Updates`: 3 codes.
static UPDATES: &[(TrackingStatus, &[&str])] = &[(Delivered, &["PX"]), (InTransit, &["UP", "UT"])];

/// `Delivery Codes`: 151 codes.
static DELIVERY_CODES: &[(TrackingStatus, &[&str])] = &[
    (
        AttemptFail,
        &["7K", "BI", "CI", "CO", "DI", "DO", "EA", "FO", "NS", "NX"],
    ),
    (AvailableForPickup, &["1N", "2Q", "AU", "EP", "ZQ"]),
    (
        Delivered,
        &[
            "2W", "3F", "3G", "3H", "8O", "9E", "AI", "B0", "F7", "FV", "M1", "M2", "M3", "M4",
            "M5", "M6", "M7", "M8", "M9", "MA", "MB", "MC", "MD", "ME", "MG", "MH", "MJ", "MK",
            "ML", "MM", "MN", "MP", "MQ", "MR", "MS", "MU", "MW", "MX", "MY", "NL", "NT", "OO",
            "OZ", "P5", "PF", "UC", "YC", "ZF", "ZG", "ZH", "ZI",
        ],
    ),
    (
        Exception,
        &[
            "0", "9", "12", "28", "32", "41", "42", "44", "50", "53", "57", "5F", "61", "62", "70",
            "74", "7B", "98", "B2", "BL", "BM", "BO", "BS", "CB", "CR", "CU", "DK", "DZ", "EB",
            "EF", "EG", "EI", "EJ", "EK", "EL", "EM", "ET", "F2", "FC", "FZ", "GK", "KU", "L4",
            "L6", "LM", "MV", "OE", "RN", "RQ", "SG", "ST", "TW",
        ],
    ),
    (
        InTransit,
        &[
            "1Z", "2C", "2D", "2J", "38", "4X", "7A", "83", "85", "86", "8N", "8Q", "A0", "BN",
            "EC", "EE", "EQ", "EZ", "F0", "F3", "F1", "FB", "FD", "FI", "GW", "HI", "SB", "SE",
            "UJ", "VS", "YH", "ZE",
        ],
    ),
    (OutForDelivery, &["2K"]),
];

/// `Package Exceptions`: 687 codes.
static PACKAGE_EXCEPTIONS: &[(TrackingStatus, &[&str])] = &[
    (
        AttemptFail,
        &[
            "48", "49", "51", "52", "55", "3L", "5Z", "6L", "AY", "BQ", "C4", "FM", "G3", "G7",
            "GB", "HQ", "IQ", "IR", "KX", "KZ", "L1", "LZ", "OH", "PI", "VG", "YD", "YE", "ZM",
        ],
    ),
    (
        AvailableForPickup,
        &["39", "3S", "5G", "6B", "8I", "HO", "I5", "S7", "ZP"],
    ),
    (Cancelled, &["30", "5D", "6W", "K6"]),
    (Delivered, &["56", "59", "64", "F4", "F7", "K7", "KM"]),
    (
        Exception,
        &[
            "1", "2", "3", "4", "5", "6", "7", "8", "11", "13", "14", "15", "16", "17", "18", "19",
            "22", "23", "26", "29", "31", "33", "34", "40", "43", "45", "46", "47", "60", "67",
            "68", "71", "72", "73", "84", "87", "89", "91", "95", "99", "1A", "1B", "1C", "1E",
            "1F", "1G", "1H", "1K", "1L", "1O", "1Q", "1U", "1V", "1W", "1X", "2A", "2B", "2G",
            "2H", "2N", "2T", "2X", "2Y", "2Z", "3A", "3B", "3C", "3D", "3J", "3T", "3Z", "4C",
            "4H", "4I", "4K", "4P", "4Q", "4T", "4Z", "5A", "5B", "5R", "5T", "5U", "5W", "6C",
            "6D", "6E", "6R", "6X", "6Z", "7E", "7F", "7G", "7I", "7M", "7P", "7R", "7S", "7T",
            "7U", "7V", "7W", "7X", "7Y", "7Z", "8A", "8D", "8G", "8K", "8L", "9F", "9L", "9M",
            "9N", "9O", "9P", "9Q", "9R", "9S", "9T", "9U", "9V", "9X", "9Y", "9Z", "A2", "A3",
            "A5", "A6", "A7", "A8", "A9", "AA", "AC", "AD", "AE", "AF", "AG", "AH", "AJ", "AK",
            "AL", "AN", "AO", "AP", "AQ", "AS", "AT", "AW", "AZ", "B1", "B3", "B4", "B5", "B6",
            "B8", "B9", "BA", "BB", "BD", "BE", "BG", "BH", "BJ", "BK", "BP", "BV", "BW", "BX",
            "BZ", "C3", "C5", "C6", "C7", "CC", "CD", "CE", "CK", "CL", "CN", "CP", "CQ", "CT",
            "CX", "CY", "CZ", "D0", "D1", "D4", "D5", "D9", "DB", "DC", "DD", "DE", "DF", "DG",
            "DJ", "DN", "DR", "DS", "DU", "DW", "DY", "E1", "E3", "E4", "E8", "E9", "ED", "EH",
            "EN", "ER", "ES", "EU", "EV", "EW", "EY", "FA", "FE", "FF", "FG", "G6", "G9", "GC",
            "GF", "GH", "GI", "GN", "GO", "GQ", "GZ", "H1", "H2", "H3", "H4", "H5", "H9", "HA",
            "HD", "HE", "HH", "HN", "HR", "HW", "I9", "IB", "IJ", "IY", "J0", "K1", "K2", "KI",
            "KQ", "KR", "KS", "KT", "L2", "L3", "L5", "LE", "LF", "LH", "LN", "LO", "LQ", "LV",
            "MI", "MT", "NI", "NP", "NW", "O6", "OB", "OD", "OI", "OJ", "OM", "OQ", "OR", "OS",
            "OT", "P6", "PH", "PZ", "Q0", "Q1", "R1", "R4", "R5", "R6", "R7", "RA", "RD", "RE",
            "RJ", "RM", "RO", "RP", "RR", "RS", "RU", "RX", "RY", "RZ", "S1", "S2", "S3", "S4",
            "S5", "S8", "S9", "SF", "SI", "SJ", "SL", "SN", "SP", "SS", "SV", "SY", "T3", "T8",
            "T9", "TC", "TE", "TF", "TH", "TI", "TJ", "TN", "TS", "TT", "TV", "TX", "U0", "U3",
            "UD", "UE", "UK", "UL", "UN", "UO", "UR", "US", "UW", "UX", "VI", "VJ", "VK", "VL",
            "VP", "X2", "X3", "X4", "X5", "X6", "X7", "X8", "X9", "XA", "XB", "XC", "XE", "XG",
            "XJ", "XK", "XL", "XN", "XO", "XS", "XV", "XW", "XY", "Y4", "YA", "YF", "YL", "YM",
            "YS", "YV",
        ],
    ),
    (
        InTransit,
        &[
            "25", "37", "54", "63", "66", "76", "77", "78", "79", "92", "93", "1D", "1M", "1P",
            "1T", "2E", "2O", "2R", "2S", "2U", "2V", "3P", "3Q", "3R", "3U", "3V", "3W", "4B",
            "4F", "4J", "4L", "4M", "4N", "4Y", "5S", "5V", "6G", "6H", "6I", "6J", "6K", "6P",
            "6T", "7C", "7D", "7L", "7N", "7Q", "8C", "8E", "8F", "8M", "8R", "8Y", "8Z", "9C",
            "9D", "9I", "9J", "9K", "A4", "AB", "AM", "AV", "AX", "BF", "BR", "BT", "C8", "C9",
            "CA", "CG", "CH", "CJ", "CM", "CS", "CV", "CW", "D2", "D7", "DA", "DP", "DQ", "DT",
            "E0", "E2", "E7", "EO", "EX", "F0", "F3", "F5", "F8", "FN", "FT", "FW", "G1", "G8",
            "GD", "GR", "GV", "H6", "H7", "HF", "HG", "HJ", "HL", "HM", "I3", "I8", "IP", "J8",
            "J9", "JA", "JB", "JC", "JH", "JI", "JJ", "K5", "K8", "KN", "KO", "L0", "L8", "LI",
            "LU", "LX", "LY", "MF", "O1", "O2", "O3", "O5", "O7", "O8", "O9", "OA", "OL", "P4",
            "P7", "PG", "PP", "R3", "R8", "RB", "RC", "RF", "RG", "RH", "RI", "RW", "S0", "S6",
            "SO", "SU", "SX", "T4", "T5", "T6", "T7", "TA", "TB", "TG", "TK", "TL", "TO", "TR",
            "UG", "UI", "UP", "UT", "UZ", "V9", "VA", "VB", "VD", "VE", "VF", "VH", "VM", "VN",
            "VQ", "VR", "VU", "VV", "VW", "VX", "VZ", "W8", "X0", "XD", "XZ", "Y1", "Y2", "Y3",
            "Y5", "Y7", "Y9", "YG", "YI", "YR", "YT", "YW", "YX", "Z1", "Z3", "Z5", "Z7", "Z8",
            "ZA", "ZB", "ZC", "ZD", "ZK", "ZL", "ZN", "ZO", "ZU", "ZV", "ZW", "ZX", "ZY", "ZZ",
        ],
    ),
    (OutForDelivery, &["RK", "RL", "ZS"]),
    (PreTransit, &["G4", "G5", "KY"]),
    (
        ReturnToSender,
        &[
            "24", "27", "65", "90", "3N", "4R", "4S", "7H", "8H", "A1", "CF", "DL", "H8", "HK",
            "I1", "I2", "KP", "O0", "O4", "RV", "TU", "UA", "UF", "XU", "YJ", "YK", "YU",
        ],
    ),
];

/// `Freight Activity`: 66 codes.
static FREIGHT_ACTIVITY: &[(TrackingStatus, &[&str])] = &[
    (Cancelled, &["014"]),
    (Delivered, &["012", "050"]),
    (Exception, &["013", "053", "058"]),
    (
        InTransit,
        &[
            "002", "004", "005", "006", "007", "009", "010", "015", "016", "017", "020", "022",
            "027", "028", "029", "030", "031", "032", "033", "034", "035", "036", "040", "041",
            "042", "043", "044", "046", "047", "048", "049", "051", "052", "054", "055", "056",
            "057", "059", "060", "061", "062", "063", "065", "066", "067", "068", "069", "070",
            "073", "074", "080",
        ],
    ),
    (OutForDelivery, &["011"]),
    (
        PreTransit,
        &["001", "003", "037", "038", "039", "045", "072"],
    ),
    (Unknown, &["000"]),
];

/// `Freight Exceptions`: 207 codes.
static FREIGHT_EXCEPTIONS: &[(TrackingStatus, &[&str])] = &[
    (AttemptFail, &["02", "IE"]),
    (Cancelled, &["SC"]),
    (
        Exception,
        &[
            "01", "03", "04", "05", "06", "07", "10", "11", "12", "14", "15", "16", "17", "18",
            "19", "20", "22", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34",
            "35", "36", "38", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49", "50",
            "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "64", "65",
            "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "78", "79", "80",
            "81", "82", "84", "87", "88", "89", "90", "91", "92", "93", "94", "95", "96", "97",
            "98", "99", "A1", "A2", "A3", "A4", "A5", "AR", "BL", "BM", "BP", "BW", "D1", "D2",
            "D3", "D4", "D5", "DG", "DH", "DP", "E1", "E2", "E6", "E7", "E8", "E9", "EC", "EF",
            "F1", "F2", "F3", "FX", "G1", "G2", "G3", "G4", "G5", "GD", "HA", "HC", "HD", "HE",
            "HF", "HG", "HN", "HU", "I1", "I2", "I3", "I4", "I5", "I6", "IA", "IC", "IF", "IG",
            "IH", "II", "IJ", "IK", "IL", "IM", "IN", "IO", "IP", "IQ", "IS", "IT", "LC", "LD",
            "MB", "MR", "MS", "PS", "RF", "SA", "TE", "TI", "TM", "U2", "U3", "U4", "U6", "UF",
            "UH", "UI", "UJ", "UK", "UL", "UM", "UN", "UQ", "UX", "UY", "UZ",
        ],
    ),
    (
        InTransit,
        &[
            "08", "09", "21", "42", "63", "77", "83", "85", "AS", "B3", "B4", "B6", "B7", "B8",
            "B9", "C0", "C3", "C7", "DE", "DX", "E4", "E5", "EX", "UG",
        ],
    ),
    (ReturnToSender, &["86"]),
];

/// `Mail Innovations`: 213 codes.
static MAIL_INNOVATIONS: &[(TrackingStatus, &[&str])] = &[
    (
        AttemptFail,
        &[
            "DO", "DP", "DU", "DV", "DW", "DX", "EM", "P6", "QS", "QT", "QU", "QV", "QW", "QX",
            "SR", "ZM",
        ],
    ),
    (
        AvailableForPickup,
        &[
            "1C", "1D", "AU", "DN", "ED", "P0", "PC", "PE", "R1", "RP", "SO", "YD",
        ],
    ),
    (Delivered, &["1E", "1G", "DL", "F4", "P1", "PP", "RQ", "YC"]),
    (
        Exception,
        &[
            "00", "EA", "EC", "EE", "EF", "EG", "EH", "PD", "PG", "PH", "PI", "PK", "PL", "PM",
            "PN", "PO", "PU", "PX", "PY", "Q5", "Q8", "Q9", "QA", "QB", "QC", "QD", "QE", "QF",
            "QG", "QH", "QI", "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QY", "QZ", "R0",
            "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "RA", "RF", "RG", "RH", "RI", "RJ",
            "RK", "RL", "RM", "RN", "RR", "RS", "RT", "RU", "RV", "RW", "RX", "RY", "RZ", "S0",
            "S1", "S2", "S3", "SN", "YE", "YF", "YJ", "YK", "YL", "YM",
        ],
    ),
    (
        InTransit,
        &[
            "1B", "2O", "DM", "DQ", "DR", "DS", "DY", "DZ", "EB", "EN", "MQ", "MR", "MS", "MT",
            "MU", "MV", "MW", "MX", "MY", "MZ", "P2", "P3", "P4", "P5", "P7", "P8", "PA", "PB",
            "PF", "Q1", "Q2", "Q3", "Q4", "Q6", "Q7", "S4", "S5", "S6", "S7", "S8", "VS", "XA",
            "YG", "YH", "YI", "ZN", "ZR", "ZS", "ZT", "ZU", "ZV", "ZW", "ZX", "ZY", "ZZ",
        ],
    ),
    (
        OutForDelivery,
        &["1A", "EL", "OF", "P9", "RB", "RC", "RD", "RE"],
    ),
    (PreTransit, &["2N", "ML", "MP", "Q0"]),
    (
        ReturnToSender,
        &[
            "1F", "EI", "EJ", "EK", "KP", "PJ", "PQ", "PR", "PS", "PT", "PV", "PW", "S9", "SA",
            "SB", "SC", "SD", "SE", "SF", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SP", "SQ",
            "XD", "XO",
        ],
    ),
];
