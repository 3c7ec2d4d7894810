//! FedEx code tables: service types, packaging types, label stock, transit-time words and
//! tracking status codes, each citing the file in `../shared/carriers/fedex/` it comes from.
//! Data only: no wire I/O, no HTTP. Tests here prove the tracking table covers every code FedEx
//! publishes and invents none.

use crate::carrier::ServiceInfo;
use crate::model::{Currency, LabelFormat, ServiceClass, TrackingStatus};

const fn service(code: &'static str, name: &'static str, class: ServiceClass) -> ServiceInfo {
    ServiceInfo { code, name, class }
}

/// Parcel and express-freight services sold through the Ship API.
///
/// From `fedex/karrio-services.csv` (carrier_service_code, service_name) and the
/// "U.S. Region Service List", "Canada Region Service List" and "EU Region International
/// Service List" tables of `fedex/reference/fedex-reference-tables.csv`. Left out: LTL freight
/// (`FEDEX_FREIGHT_PRIORITY`/`ECONOMY`, a separate Freight LTL API) and the consolidation-only
/// DirectDistribution / Transborder services, which need a consolidation the Ship API call
/// alone cannot make. A quote for a service not listed here is dropped (with a note), since
/// `ship` would refuse to buy it.
///
/// Classes: overnight = next business day or faster; express = 2-3 day air and international
/// priority; standard = day-definite ground and deferred international (International
/// Economy, Connect Plus); economy = FedEx Ground Economy and Regional Economy.
pub(super) static SERVICES: [ServiceInfo; 26] = [
    service("FEDEX_GROUND", "FedEx Ground", ServiceClass::Standard),
    service(
        "GROUND_HOME_DELIVERY",
        "FedEx Home Delivery",
        ServiceClass::Standard,
    ),
    service("SMART_POST", "FedEx Ground Economy", ServiceClass::Economy),
    service(
        "FEDEX_EXPRESS_SAVER",
        "FedEx Express Saver",
        ServiceClass::Express,
    ),
    service("FEDEX_2_DAY", "FedEx 2Day", ServiceClass::Express),
    service("FEDEX_2_DAY_AM", "FedEx 2Day A.M.", ServiceClass::Express),
    service(
        "STANDARD_OVERNIGHT",
        "FedEx Standard Overnight",
        ServiceClass::Overnight,
    ),
    service(
        "PRIORITY_OVERNIGHT",
        "FedEx Priority Overnight",
        ServiceClass::Overnight,
    ),
    service(
        "FIRST_OVERNIGHT",
        "FedEx First Overnight",
        ServiceClass::Overnight,
    ),
    service("SAME_DAY", "FedEx SameDay", ServiceClass::Overnight),
    service(
        "SAME_DAY_CITY",
        "FedEx SameDay City",
        ServiceClass::Overnight,
    ),
    service(
        "INTERNATIONAL_ECONOMY",
        "FedEx International Economy",
        ServiceClass::Standard,
    ),
    service(
        "FEDEX_INTERNATIONAL_PRIORITY",
        "FedEx International Priority",
        ServiceClass::Express,
    ),
    service(
        "FEDEX_INTERNATIONAL_PRIORITY_EXPRESS",
        "FedEx International Priority Express",
        ServiceClass::Express,
    ),
    service(
        "INTERNATIONAL_FIRST",
        "FedEx International First",
        ServiceClass::Express,
    ),
    service(
        "FEDEX_INTERNATIONAL_CONNECT_PLUS",
        "FedEx International Connect Plus",
        ServiceClass::Standard,
    ),
    service(
        "FEDEX_REGIONAL_ECONOMY",
        "FedEx Regional Economy",
        ServiceClass::Economy,
    ),
    service(
        "FEDEX_1_DAY_FREIGHT",
        "FedEx 1Day Freight",
        ServiceClass::Freight,
    ),
    service(
        "FEDEX_2_DAY_FREIGHT",
        "FedEx 2Day Freight",
        ServiceClass::Freight,
    ),
    service(
        "FEDEX_3_DAY_FREIGHT",
        "FedEx 3Day Freight",
        ServiceClass::Freight,
    ),
    service(
        "FEDEX_FIRST_FREIGHT",
        "FedEx First Overnight Freight",
        ServiceClass::Freight,
    ),
    service(
        "INTERNATIONAL_PRIORITY_FREIGHT",
        "FedEx International Priority Freight",
        ServiceClass::Freight,
    ),
    service(
        "INTERNATIONAL_ECONOMY_FREIGHT",
        "FedEx International Economy Freight",
        ServiceClass::Freight,
    ),
    service(
        "FEDEX_INTERNATIONAL_DEFERRED_FREIGHT",
        "FedEx International Deferred Freight",
        ServiceClass::Freight,
    ),
    service(
        "FEDEX_REGIONAL_ECONOMY_FREIGHT",
        "FedEx Regional Economy Freight",
        ServiceClass::Freight,
    ),
    service(
        "INTL_GROUND_DISTRIBUTION",
        "FedEx International Ground Distribution",
        ServiceClass::Standard,
    ),
];

/// The service with FedEx code `code`.
pub(super) fn service_info(code: &str) -> Option<&'static ServiceInfo> {
    SERVICES.iter().find(|s| s.code == code)
}

/// Packaging types (enumeration, single-package maximum) from the "Package Types" table of
/// `fedex/reference/fedex-reference-tables.csv`. We send `YOUR_PACKAGING` unless the parcels
/// name a FedEx Envelope or Pak (`packaging_type`); a test checks every code we send is
/// listed.
pub(super) const PACKAGING_TYPES: [(&str, &str); 11] = [
    (
        "YOUR_PACKAGING",
        "150 lbs/68 KG (Express), 70 lbs/32 KG (Ground, Home Delivery, Ground Economy)",
    ),
    ("FEDEX_ENVELOPE", "1 lbs/0.5 KG"),
    ("FEDEX_BOX", "20 lbs/9 KG"),
    ("FEDEX_SMALL_BOX", "20 lbs/9 KG"),
    ("FEDEX_MEDIUM_BOX", "20 lbs/9 KG"),
    ("FEDEX_LARGE_BOX", "20 lbs/9 KG"),
    ("FEDEX_EXTRA_LARGE_BOX", "20 lbs/9 KG"),
    ("FEDEX_10KG_BOX", "22 lbs/10 KG"),
    ("FEDEX_25KG_BOX", "55 lbs/25 KG"),
    ("FEDEX_PAK", "20 lbs/9 KG"),
    ("FEDEX_TUBE", "20 lbs/9 KG"),
];

/// What we send as `packagingType` without a named packaging: customer packaging, the first
/// row of the table.
pub(super) const PACKAGING: &str = PACKAGING_TYPES[0].0;

/// The FedEx code of a packaging FedEx sells (Envelope, Pak); `None` for the others.
pub(super) fn packaging_code(p: Option<crate::model::Packaging>) -> Option<&'static str> {
    use crate::model::Packaging;
    match p {
        None => Some(PACKAGING),
        Some(Packaging::Envelope) => Some("FEDEX_ENVELOPE"),
        Some(Packaging::Pak) => Some("FEDEX_PAK"),
        Some(_) => None,
    }
}

/// `(imageType, labelStockType)` for a 4x6 label, from the "Label Stock Types" table of
/// `fedex/reference/fedex-reference-tables.csv`: laser formats (PDF, PNG) print on
/// `PAPER_4X6`, thermal ZPL II on `STOCK_4X6`.
pub(super) fn label_spec(format: LabelFormat) -> (&'static str, &'static str) {
    match format {
        LabelFormat::Pdf => ("PDF", "PAPER_4X6"),
        LabelFormat::Png => ("PNG", "PAPER_4X6"),
        LabelFormat::Zpl => ("ZPLII", "STOCK_4X6"),
    }
}

/// Our label format for a FedEx `docType` / `imageType`.
pub(super) fn label_format(doc_type: &str) -> Option<LabelFormat> {
    match doc_type {
        "PDF" => Some(LabelFormat::Pdf),
        "PNG" => Some(LabelFormat::Png),
        "ZPLII" | "ZPL" => Some(LabelFormat::Zpl),
        _ => None,
    }
}

/// Business days for FedEx's transit-time words (`TransitDays` enum in rate-api.json).
/// `SMARTPOST_TRANSIT_DAYS` and `UNKNOWN` carry no number.
pub(super) fn transit_days(word: &str) -> Option<u32> {
    const WORDS: [&str; 20] = [
        "ONE",
        "TWO",
        "THREE",
        "FOUR",
        "FIVE",
        "SIX",
        "SEVEN",
        "EIGHT",
        "NINE",
        "TEN",
        "ELEVEN",
        "TWELVE",
        "THIRTEEN",
        "FOURTEEN",
        "FIFTEEN",
        "SIXTEEN",
        "SEVENTEEN",
        "EIGHTEEN",
        "NINETEEN",
        "TWENTY",
    ];
    let head = word
        .strip_suffix("_DAYS")
        .or_else(|| word.strip_suffix("_DAY"))?;
    WORDS.iter().position(|w| *w == head).map(|i| i as u32 + 1)
}

/// FedEx's own currency codes where they differ from ISO 4217, from the "Currency Codes"
/// table of `fedex/reference/fedex-reference-tables.csv` ("UKL/GBP (Note: GBP can only be
/// used as a preferred currency in rate requests…)"): amounts we send use the FedEx code,
/// amounts we read may carry either.
pub(super) static CURRENCIES: &[(&str, &str)] = &[
    ("ARN", "ARS"),
    ("CHP", "CLP"),
    ("CID", "KYD"),
    ("DHS", "AED"),
    ("ECD", "XCD"),
    ("JAD", "JMD"),
    ("JYE", "JPY"),
    ("KUD", "KWD"),
    ("NMP", "MXN"),
    ("NTD", "TWD"),
    ("RDD", "DOP"),
    ("SFR", "CHF"),
    ("SID", "SGD"),
    ("UKL", "GBP"),
    ("WON", "KRW"),
];

/// The code FedEx wants for an ISO currency.
pub(super) fn fedex_currency(iso: Currency) -> String {
    CURRENCIES
        .iter()
        .find(|(_, i)| *i == iso.code())
        .map_or_else(|| iso.code().to_string(), |(f, _)| f.to_string())
}

/// The ISO currency for a code FedEx sent (its own or ISO).
pub(super) fn iso_currency(code: &str) -> Option<Currency> {
    let code = code.trim();
    let iso = CURRENCIES
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(code))
        .map(|(_, i)| *i)
        .unwrap_or(code);
    iso.parse().ok()
}

/// Every FedEx surcharge type with our name for it: the `surchargeType` enumeration of
/// `fedex/openapi/rate-api.json` (`Surcharge_2`), the same list as the "Surcharges" table of
/// `fedex/reference/fedex-reference-tables.csv` (which adds `CLEARANCE_ENTRY_FEE`,
/// `DATE_CERTAIN`, `EVENING` and `UNAUTHORIZED`). FedEx usually sends its own `description`,
/// which wins; these names are for lines that come without one, so that a quote never reads
/// `RESIDENTIAL_DELIVERY` and the invoice audit can match it by its words.
static SURCHARGES: &[(&str, &str)] = &[
    (
        "ACCOUNT_NUMBER_PROCESSING_FEE",
        "Account number processing fee",
    ),
    ("ADDITIONAL_HANDLING", "Additional handling surcharge"),
    ("ADDRESS_CORRECTION", "Address correction surcharge"),
    ("ANCILLARY_FEE", "Ancillary fee"),
    ("APPOINTMENT_DELIVERY", "Appointment delivery surcharge"),
    ("BLIND_SHIPMENT", "Blind shipment surcharge"),
    ("BROKER_SELECT_OPTION", "Broker select option surcharge"),
    ("CANADIAN_DESTINATION", "Canadian destination surcharge"),
    ("CLEARANCE_ENTRY_FEE", "Clearance entry fee"),
    (
        "CHARGEABLE_PALLET_WEIGHT",
        "Chargeable pallet weight surcharge",
    ),
    ("COD", "Collect on delivery (COD)"),
    ("CUT_FLOWERS", "Cut flowers surcharge"),
    ("DANGEROUS_GOODS", "Dangerous goods surcharge"),
    ("DATE_CERTAIN", "Date certain delivery surcharge"),
    ("DELIVERY_AREA", "Delivery area surcharge"),
    ("DELIVERY_CONFIRMATION", "Delivery confirmation surcharge"),
    (
        "DELIVERY_ON_INVOICE_ACCEPTANCE",
        "Delivery on invoice acceptance surcharge",
    ),
    ("DEMAND", "Demand surcharge"),
    (
        "DEMAND_ADDITIONAL_HANDLING",
        "Demand additional handling surcharge",
    ),
    ("DEMAND_OVERSIZE", "Demand oversize surcharge"),
    (
        "DEMAND_RESIDENTIAL_DELIVERY",
        "Demand residential delivery surcharge",
    ),
    ("DETENTION", "Detention surcharge"),
    ("DOCUMENTATION_FEE", "Documentation fee"),
    ("DRY_ICE", "Dry ice surcharge"),
    ("EMAIL_LABEL", "Email label surcharge"),
    ("ENHANCED_SECURITY", "Enhanced security surcharge"),
    ("EUROPE_FIRST", "Europe First surcharge"),
    ("EVENING", "Evening delivery surcharge"),
    ("EXCESS_VALUE", "Excess value"),
    ("EXCLUSIVE_USE", "Exclusive use surcharge"),
    ("EXHIBITION", "Exhibition surcharge"),
    ("EXPEDITED", "Expedited surcharge"),
    ("EXPORT", "Export surcharge"),
    ("EXTRA_LABOR", "Extra labor surcharge"),
    (
        "EXTRA_SURFACE_HANDLING_CHARGE",
        "Extra surface handling charge",
    ),
    ("EXTREME_LENGTH", "Extreme length surcharge"),
    ("FEDEX_INTRACOUNTRY_FEES", "FedEx intra-country fees"),
    ("FEDEX_TAG", "FedEx Tag"),
    ("FICE", "FICE surcharge"),
    ("FLATBED", "Flatbed surcharge"),
    (
        "FREIGHT_DIRECT_BASIC_BY_APPOINTMENT_DELIVERY",
        "Freight direct basic by appointment delivery surcharge",
    ),
    (
        "FREIGHT_DIRECT_BASIC_BY_APPOINTMENT_PICKUP",
        "Freight direct basic by appointment pickup surcharge",
    ),
    (
        "FREIGHT_DIRECT_BASIC_DELIVERY",
        "Freight direct basic delivery surcharge",
    ),
    (
        "FREIGHT_DIRECT_BASIC_PICKUP",
        "Freight direct basic pickup surcharge",
    ),
    (
        "FREIGHT_DIRECT_PREMIUM_DELIVERY",
        "Freight direct premium delivery surcharge",
    ),
    (
        "FREIGHT_DIRECT_PREMIUM_PICKUP",
        "Freight direct premium pickup surcharge",
    ),
    (
        "FREIGHT_DIRECT_STANDARD_DELIVERY",
        "Freight direct standard delivery surcharge",
    ),
    (
        "FREIGHT_DIRECT_STANDARD_PICKUP",
        "Freight direct standard pickup surcharge",
    ),
    ("FREIGHT_GUARANTEE", "Freight guarantee surcharge"),
    ("FREIGHT_ON_VALUE", "Freight on value surcharge"),
    ("FREIGHT_TO_COLLECT", "Freight to collect surcharge"),
    ("FUEL", "Fuel surcharge"),
    (
        "HIGH_COST_SERVICE_AREA_DESTINATION",
        "High cost service area destination surcharge",
    ),
    (
        "HIGH_COST_SERVICE_AREA_ORIGIN",
        "High cost service area origin surcharge",
    ),
    ("HIGH_DENSITY", "High density surcharge"),
    ("HOLD_AT_LOCATION", "Hold at location surcharge"),
    ("HOLIDAY_DELIVERY", "Holiday delivery surcharge"),
    ("HOLIDAY_GUARANTEE", "Holiday guarantee surcharge"),
    (
        "HOME_DELIVERY_APPOINTMENT",
        "Home delivery appointment surcharge",
    ),
    (
        "HOME_DELIVERY_DATE_CERTAIN",
        "Home delivery date certain surcharge",
    ),
    ("HOME_DELIVERY_EVENING", "Home delivery evening surcharge"),
    ("INSIDE_DELIVERY", "Inside delivery surcharge"),
    ("INSIDE_PICKUP", "Inside pickup surcharge"),
    ("INSURED_VALUE", "Declared value"),
    ("INTERHAWAII", "Inter-Hawaii surcharge"),
    ("LIFTGATE_DELIVERY", "Liftgate delivery surcharge"),
    ("LIFTGATE_PICKUP", "Liftgate pickup surcharge"),
    (
        "LIMITED_ACCESS_DELIVERY",
        "Limited access delivery surcharge",
    ),
    ("LIMITED_ACCESS_PICKUP", "Limited access pickup surcharge"),
    ("MARKING_OR_TAGGING", "Marking or tagging surcharge"),
    ("METRO_DELIVERY", "Metro delivery surcharge"),
    ("METRO_PICKUP", "Metro pickup surcharge"),
    (
        "MONITORING_AND_INTERVENTION",
        "Monitoring and intervention surcharge",
    ),
    ("NON_BUSINESS_TIME", "Non business time surcharge"),
    ("NON_MACHINABLE", "Non machinable surcharge"),
    ("OFFSHORE", "Offshore surcharge"),
    ("ON_CALL_PICKUP", "On call pickup surcharge"),
    ("ON_DEMAND_CARE", "On demand care surcharge"),
    ("OTHER", "Other surcharge"),
    ("OUT_OF_DELIVERY_AREA", "Out of delivery area surcharge"),
    ("OUT_OF_PICKUP_AREA", "Out of pickup area surcharge"),
    ("OVER_DIMENSION", "Over dimension surcharge"),
    ("OVER_LENGTH", "Over length surcharge"),
    ("OVERSIZE", "Oversize surcharge"),
    ("OVERWEIGHT", "Overweight surcharge"),
    ("PALLET_SHRINKWRAP", "Pallet shrinkwrap surcharge"),
    ("PALLETS_PROVIDED", "Pallets provided surcharge"),
    ("PEAK", "Peak surcharge"),
    (
        "PEAK_ADDITIONAL_HANDLING",
        "Peak additional handling surcharge",
    ),
    ("PEAK_OVERSIZE", "Peak oversize surcharge"),
    (
        "PEAK_RESIDENTIAL_DELIVERY",
        "Peak residential delivery surcharge",
    ),
    ("PERMIT", "Permit surcharge"),
    (
        "PIECE_COUNT_VERIFICATION",
        "Piece count verification surcharge",
    ),
    ("PORT", "Port surcharge"),
    (
        "PRE_DELIVERY_NOTIFICATION",
        "Pre delivery notification surcharge",
    ),
    ("PRIORITY_ALERT", "Priority alert surcharge"),
    (
        "PROTECTION_FROM_FREEZING",
        "Protection from freezing surcharge",
    ),
    ("REGIONAL_MALL_DELIVERY", "Regional mall delivery surcharge"),
    ("REGIONAL_MALL_PICKUP", "Regional mall pickup surcharge"),
    ("REROUTE", "Reroute surcharge"),
    ("RESCHEDULE", "Reschedule surcharge"),
    ("RESIDENTIAL_DELIVERY", "Residential delivery surcharge"),
    ("RESIDENTIAL_PICKUP", "Residential pickup surcharge"),
    ("RETURN_LABEL", "Return label surcharge"),
    ("SATURDAY_DELIVERY", "Saturday delivery surcharge"),
    ("SATURDAY_PICKUP", "Saturday pickup surcharge"),
    ("SHIPMENT_ASSEMBLY", "Shipment assembly surcharge"),
    ("SIGNATURE_OPTION", "Signature option surcharge"),
    ("SINGLE_PIECE", "Single piece surcharge"),
    ("SORT_AND_SEGREGATE", "Sort and segregate surcharge"),
    ("SPECIAL_DELIVERY", "Special delivery surcharge"),
    ("SPECIAL_EQUIPMENT", "Special equipment surcharge"),
    ("STORAGE", "Storage surcharge"),
    ("SUNDAY_DELIVERY", "Sunday delivery surcharge"),
    ("TARP", "Tarp surcharge"),
    ("THIRD_PARTY_BILLING", "Third party billing surcharge"),
    ("THIRD_PARTY_CONSIGNEE", "Third party consignee surcharge"),
    ("TRANSMART_SERVICE_FEE", "TransMart service fee"),
    ("UNAUTHORIZED", "Unauthorized package surcharge"),
    ("USPS", "USPS surcharge"),
    ("WEIGHING", "Weighing surcharge"),
];

/// Our name for a FedEx surcharge type.
pub(super) fn surcharge_name(kind: &str) -> Option<&'static str> {
    SURCHARGES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(kind))
        .map(|(_, n)| *n)
}

/// Which column of FedEx's tracking status table a code comes from. The same two letters mean
/// different things in different columns (`CA` is "Shipment Cancelled" under Movement and
/// "Carrier" under Possession), so a status lookup searches Movement, then Regulatory, then
/// the webhook list, and never Possession, which describes who holds the parcel rather than
/// what happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Group {
    Movement,
    Regulatory,
    Possession,
    /// Codes FedEx also sends (as `eventType` and in webhooks) that the status table omits,
    /// from the "Status Code and Statuses for Webhook Tracking Events" table of
    /// `fedex/reference/fedex-reference-tables.csv`.
    Webhook,
}

/// One FedEx tracking status code.
#[derive(Debug)]
pub(super) struct StatusCode {
    pub group: Group,
    pub code: &'static str,
    /// FedEx's definition.
    pub description: &'static str,
    pub status: TrackingStatus,
    /// Reason for problem statuses, used when the scan gives no `exceptionCode` of its own.
    pub sub_status: Option<&'static str>,
}

const fn code(
    group: Group,
    code: &'static str,
    description: &'static str,
    status: TrackingStatus,
    sub_status: Option<&'static str>,
) -> StatusCode {
    StatusCode {
        group,
        code,
        description,
        status,
        sub_status,
    }
}

use Group::{Movement, Possession, Regulatory, Webhook};
use TrackingStatus::{
    AttemptFail, AvailableForPickup, Cancelled, Delivered, Exception, Expired, InTransit,
    OutForDelivery, PreTransit, ReturnToSender,
};

/// Every code of FedEx's "Tracking Status Codes" table, from
/// `fedex/tracking-codes/fedex-tracking-status-codes.csv` (FedEx's `Tracking-Status-Codes.html`
/// beside it shows the three columns), plus the webhook-only codes. These are the values of
/// `latestStatusDetail.code`, `scanEvents[].eventType` and `scanEvents[].derivedStatusCode`.
pub(super) static STATUS_CODES: &[StatusCode] = &[
    // Movement.
    code(Movement, "AA", "At Airport", InTransit, None),
    code(Movement, "AC", "At Canada Post facility", InTransit, None),
    // FedEx scans AD when the courier is at the delivery address; the door is next.
    code(Movement, "AD", "At Delivery", OutForDelivery, None),
    code(Movement, "AF", "At local FedEx Facility", InTransit, None),
    code(Movement, "AO", "Shipment arriving On-time", InTransit, None),
    // The courier is at the shipper's door: nothing handed over yet.
    code(Movement, "AP", "At Pickup", PreTransit, None),
    code(Movement, "AR", "Arrived at FedEx location", InTransit, None),
    code(Movement, "AX", "At USPS facility", InTransit, None),
    code(Movement, "CA", "Shipment Cancelled", Cancelled, None),
    code(Movement, "CH", "Location Changed", InTransit, None),
    // FedEx files DD, DE, SE and CD together as "Exceptions" (webhook table). DD is a delay of
    // the whole delivery, not a failed attempt: exception, with the reason kept.
    code(
        Movement,
        "DD",
        "Delivery Delay",
        Exception,
        Some("delivery_delay"),
    ),
    // DE is what the courier scans when an attempt at the door fails (customer not available,
    // business closed, access denied: the reason is the scan's `exceptionCode`). FedEx retries
    // by itself, which is our `attempt_fail`, not a parcel that is stuck.
    code(
        Movement,
        "DE",
        "Delivery Exception",
        AttemptFail,
        Some("delivery_exception"),
    ),
    code(Movement, "DL", "Delivered", Delivered, None),
    code(Movement, "DP", "Departed", InTransit, None),
    // A pickup vehicle came and left with nothing: still not handed over.
    code(
        Movement,
        "DR",
        "Vehicle furnished but not used",
        PreTransit,
        None,
    ),
    code(Movement, "DS", "Vehicle Dispatched", PreTransit, None),
    // FedEx's webhook table files DY under estimated delivery date ("Delivery updated"): the
    // date moved, nothing is wrong with the parcel, and the hub judges lateness itself against
    // the promised date.
    code(Movement, "DY", "Delay", InTransit, None),
    code(Movement, "EA", "Enroute to Airport", InTransit, None),
    code(Movement, "ED", "Enroute to Delivery", OutForDelivery, None),
    code(Movement, "EO", "Enroute to Origin Airport", InTransit, None),
    code(Movement, "EP", "Enroute to Pickup", PreTransit, None),
    code(Movement, "FD", "At FedEx Destination", InTransit, None),
    // Held at a FedEx location at someone's request: waiting for the recipient to collect.
    code(Movement, "HL", "Hold at Location", AvailableForPickup, None),
    code(
        Movement,
        "HP",
        "Ready for Recipient Pickup",
        AvailableForPickup,
        None,
    ),
    code(Movement, "IT", "In Transit", InTransit, None),
    code(Movement, "IX", "In transit (see Details)", InTransit, None),
    code(Movement, "LO", "Left Origin", InTransit, None),
    code(Movement, "OC", "Order Created", PreTransit, None),
    code(Movement, "OD", "Out for Delivery", OutForDelivery, None),
    code(Movement, "OF", "At FedEx origin facility", InTransit, None),
    // Published with a lower-case w; lookups ignore case.
    code(Movement, "Ow", "On the way", InTransit, None),
    // Handed to USPS for the last mile (FedEx Ground Economy): still moving.
    code(
        Movement,
        "OX",
        "Shipment information sent to USPS",
        InTransit,
        None,
    ),
    // The parcel has not been collected yet; the shipper still holds it.
    code(Movement, "PD", "Pickup Delay", PreTransit, None),
    code(Movement, "PF", "Plane in Flight", InTransit, None),
    code(Movement, "PL", "Plane Landed", InTransit, None),
    code(Movement, "PM", "In Progress", InTransit, None),
    code(Movement, "PU", "Picked Up", InTransit, None),
    code(Movement, "PX", "Picked up (see Details)", InTransit, None),
    // CDO = customer delivery option (redirect, hold, reschedule): the recipient acted; the
    // parcel keeps moving.
    code(Movement, "RC", "CDO Cancelled", InTransit, None),
    // A return label that exists but has not been used: the return has not started.
    code(Movement, "RD", "Return label link expired", Expired, None),
    code(
        Movement,
        "RG",
        "Return label link expiring soon",
        PreTransit,
        None,
    ),
    code(
        Movement,
        "LP",
        "Return label link cancelled by shipment originator",
        Cancelled,
        None,
    ),
    code(Movement, "RM", "CDO Modified", InTransit, None),
    code(
        Movement,
        "RP",
        "Return label link emailed to return sender",
        PreTransit,
        None,
    ),
    code(Movement, "RR", "CDO requested", InTransit, None),
    code(
        Movement,
        "RS",
        "Return to Shipper",
        ReturnToSender,
        Some("return_to_shipper"),
    ),
    code(
        Movement,
        "SE",
        "Shipment Exception",
        Exception,
        Some("shipment_exception"),
    ),
    code(Movement, "SF", "At Sort Facility", InTransit, None),
    // The pieces of a multi-piece shipment are in different states; each piece has its own.
    code(Movement, "SP", "Split Status", InTransit, None),
    code(Movement, "TR", "Transfer", InTransit, None),
    // Regulatory.
    code(Regulatory, "CC", "Cleared Customs", InTransit, None),
    // Held by customs until someone provides documents or pays: an exception, not a delay
    // that resolves by itself.
    code(
        Regulatory,
        "CD",
        "Clearance Delay",
        Exception,
        Some("customs_delay"),
    ),
    code(Regulatory, "CP", "Clearance in Progress", InTransit, None),
    code(Regulatory, "EA", "Export Approved", InTransit, None),
    code(Regulatory, "SP", "Split Status", InTransit, None),
    // Possession: who holds the parcel. Mapped for completeness; never used for lookups.
    code(Possession, "BR", "Broker", InTransit, None),
    code(Possession, "CA", "Carrier", InTransit, None),
    code(Possession, "CU", "Customs", InTransit, None),
    code(Possession, "RC", "Recipient", Delivered, None),
    code(Possession, "SH", "Shipper", PreTransit, None),
    code(Possession, "SP", "Split status", InTransit, None),
    code(Possession, "TP", "Transfer Partner", InTransit, None),
    // Webhook-only codes.
    code(Webhook, "AE", "Shipment arriving early", InTransit, None),
    code(Webhook, "AS", "Address Corrected", InTransit, None),
    code(Webhook, "DO", "Dropped Off", InTransit, None),
    code(
        Webhook,
        "HA",
        "Hold at location request accepted",
        InTransit,
        None,
    ),
    code(Webhook, "IN", "On Demand Care completed", InTransit, None),
    code(Webhook, "IP", "In FedEx possession", InTransit, None),
    code(
        Webhook,
        "LC",
        "Return label link cancelled by shipment originator",
        Cancelled,
        None,
    ),
    code(Webhook, "MD", "Manifest data", PreTransit, None),
    code(
        Webhook,
        "PR",
        "Performed Redirect - Address Change Completed",
        InTransit,
        None,
    ),
    code(Webhook, "RA", "Address Change Requested", InTransit, None),
    code(
        Webhook,
        "RT",
        "Return to Shipper Requested",
        InTransit,
        None,
    ),
    code(Webhook, "US", "Scheduled delivery updated", InTransit, None),
];

/// The status entry for a code FedEx sent, ignoring case; `None` for codes FedEx has not
/// published (the caller reports those as `unknown`, keeping the raw code).
pub(super) fn status(code: &str) -> Option<&'static StatusCode> {
    [Movement, Regulatory, Webhook]
        .into_iter()
        .find_map(|group| {
            STATUS_CODES
                .iter()
                .find(|c| c.group == group && c.code.eq_ignore_ascii_case(code))
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::fedex::tests::FX;

    /// `(code, description)` rows of a two-column-after-table CSV without quoted commas.
    fn csv_rows(path: &Path) -> Vec<(String, String)> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut cells = l.splitn(3, ',');
                let _table = cells.next();
                let code = cells.next().unwrap_or_default().to_string();
                let description = cells.next().unwrap_or_default().to_string();
                (code, description)
            })
            .collect()
    }

    #[test]
    fn every_published_surcharge_type_has_a_name() {
        let Some(csv) = FX.shared("reference/fedex-reference-tables.csv") else {
            return;
        };
        let text = std::fs::read_to_string(csv).unwrap();
        let published: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Surcharges,row,"))
            .filter_map(|l| l.rsplit(',').next())
            // "DEMAND (Formerly known as PEAK)": the enumeration is the first word.
            .filter_map(|c| c.split_whitespace().next())
            .collect();
        assert!(published.len() > 90, "{} surcharge rows", published.len());
        let missing: Vec<&&str> = published
            .iter()
            .filter(|k| surcharge_name(k).is_none())
            .collect();
        assert!(missing.is_empty(), "unnamed FedEx surcharges: {missing:?}");
        assert_eq!(
            surcharge_name("RESIDENTIAL_DELIVERY"),
            Some("Residential delivery surcharge")
        );
    }

    #[test]
    fn every_published_tracking_code_maps_and_none_is_invented() {
        let Some(csv) = FX.shared("tracking-codes/fedex-tracking-status-codes.csv") else {
            return;
        };
        let rows = csv_rows(&csv);
        assert!(
            rows.len() >= 60,
            "only {} rows in {}",
            rows.len(),
            csv.display()
        );
        for (code, description) in &rows {
            assert!(
                STATUS_CODES
                    .iter()
                    .any(|c| c.code == code && c.description.eq_ignore_ascii_case(description)),
                "FedEx code {code} ({description}) has no entry in STATUS_CODES"
            );
        }
        for c in STATUS_CODES.iter().filter(|c| c.group != Webhook) {
            assert!(
                rows.iter()
                    .any(|(code, d)| code == c.code && d.eq_ignore_ascii_case(c.description)),
                "{} ({}) is not in FedEx's list",
                c.code,
                c.description
            );
        }
    }

    #[test]
    fn webhook_codes_are_in_fedex_webhook_table() {
        let Some(csv) = FX.shared("reference/fedex-reference-tables.csv") else {
            return;
        };
        let text = std::fs::read_to_string(csv).unwrap();
        let table: String = text
            .lines()
            .filter(|l| l.starts_with("Status Code and Statuses for Webhook Tracking Events,row"))
            .collect();
        for c in STATUS_CODES.iter().filter(|c| c.group == Webhook) {
            assert!(
                table.contains(&format!("{}:", c.code)) || table.contains(&format!("{} :", c.code)),
                "{}",
                c.code
            );
        }
    }

    #[test]
    fn lookups_prefer_movement_over_possession_and_ignore_case() {
        assert_eq!(status("CA").unwrap().status, Cancelled);
        assert_eq!(status("RC").unwrap().description, "CDO Cancelled");
        assert_eq!(status("OW").unwrap().status, InTransit);
        assert_eq!(status("dl").unwrap().status, Delivered);
        assert_eq!(status("CD").unwrap().status, Exception);
        assert!(status("ZZ").is_none());
        assert!(status("BR").is_none(), "possession codes are not statuses");
    }

    #[test]
    fn problem_codes_say_why() {
        for c in STATUS_CODES {
            if c.status.is_problem() {
                assert!(c.sub_status.is_some(), "{} needs a sub-status", c.code);
            }
        }
    }

    #[test]
    fn services_are_unique_and_in_fedex_lists() {
        let codes: HashSet<_> = SERVICES.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), SERVICES.len());
        let (Some(karrio), Some(reference)) = (
            FX.shared("karrio-services.csv"),
            FX.shared("reference/fedex-reference-tables.csv"),
        ) else {
            return;
        };
        let known =
            std::fs::read_to_string(karrio).unwrap() + &std::fs::read_to_string(reference).unwrap();
        for s in &SERVICES {
            assert!(
                known.contains(&format!(",{}", s.code)),
                "{} is in neither source table",
                s.code
            );
        }
    }

    #[test]
    fn packaging_we_send_is_a_published_type() {
        use crate::model::Packaging;
        for p in [None, Some(Packaging::Envelope), Some(Packaging::Pak)] {
            let code = packaging_code(p).unwrap();
            assert!(PACKAGING_TYPES.iter().any(|(c, _)| *c == code), "{code}");
        }
        assert_eq!(packaging_code(Some(Packaging::FlatRateEnvelope)), None);
        let Some(reference) = FX.shared("reference/fedex-reference-tables.csv") else {
            return;
        };
        let text = std::fs::read_to_string(reference).unwrap();
        for (code, _) in PACKAGING_TYPES {
            assert!(
                text.lines()
                    .any(|l| l.starts_with("Package Types,row") && l.contains(code)),
                "{code}"
            );
        }
    }

    #[test]
    fn currencies_use_fedex_codes_on_the_wire() {
        assert_eq!(fedex_currency(Currency::GBP), "UKL");
        assert_eq!(fedex_currency(Currency::USD), "USD");
        assert_eq!(iso_currency("UKL"), Some(Currency::GBP));
        assert_eq!(iso_currency("GBP"), Some(Currency::GBP));
        assert_eq!(iso_currency("XXQ"), None);
        let Some(reference) = FX.shared("reference/fedex-reference-tables.csv") else {
            return;
        };
        let text = std::fs::read_to_string(reference).unwrap();
        for (fedex, iso) in CURRENCIES {
            assert!(text.contains(&format!(",{fedex}/{iso}")), "{fedex}/{iso}");
        }
    }

    #[test]
    fn transit_words_are_numbers() {
        assert_eq!(transit_days("ONE_DAY"), Some(1));
        assert_eq!(transit_days("THREE_DAYS"), Some(3));
        assert_eq!(transit_days("TWENTY_DAYS"), Some(20));
        assert_eq!(transit_days("UNKNOWN"), None);
        assert_eq!(transit_days("SMARTPOST_TRANSIT_DAYS"), None);
    }
}
