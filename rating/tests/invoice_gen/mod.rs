//! Invoice files with known discrepancies, written column by column from the carriers'
//! published layouts (`../shared/carriers/*/invoices/`), independently of the parser: UPS
//! Billing Data (250 columns, one row per charge), FedEx Billing Online (one row per tracking
//! ID, charge pairs from column 106), DHL Express e-billing (`S` lines, XC blocks from
//! column 91). Each package is planted with at most one discrepancy, and the scenario says
//! which finding each should produce. Shared by the tests and the benchmark.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;

use rust_decimal::Decimal;
use shiphub_carriers::model::{Currency, Dimensions, LengthUnit, Weight, WeightUnit};
use shiphub_rating::invoice::{
    AuditSettings, ChargeCategory, ExpectedCharge, ExpectedShipment, FuelRate, InvoiceCarrier,
    Reason,
};
use time::{Date, Duration, Month, OffsetDateTime};

/// Published fuel percentage the generator bills (and the settings' table says).
pub const FUEL: Decimal = Decimal::from_parts(18, 0, 0, false, 0);

/// What a package is planted with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plant {
    Clean,
    Weight,
    Dimensions,
    Surcharge,
    Residential,
    AddressCorrection,
    Fuel,
    BaseRate,
    Duplicate,
    Void,
    Unknown,
    Late,
}

pub const ALL_PLANTS: [Plant; 11] = [
    Plant::Weight,
    Plant::Dimensions,
    Plant::Surcharge,
    Plant::Residential,
    Plant::AddressCorrection,
    Plant::Fuel,
    Plant::BaseRate,
    Plant::Duplicate,
    Plant::Void,
    Plant::Unknown,
    Plant::Late,
];

/// A generated file's ground truth.
pub struct Scenario {
    /// What the hub knows (unknown shipments left out).
    pub shipments: Vec<ExpectedShipment>,
    /// (tracking number, reason, recoverable) of every finding the audit must make.
    pub findings: BTreeSet<(String, Reason, Decimal)>,
    /// Lines that are malformed on purpose.
    pub bad_lines: Vec<u64>,
    /// Charge lines written (excluding header and bad lines).
    pub charge_lines: u64,
    /// Packages written (a duplicate counts twice).
    pub packages: u64,
}

pub fn settings() -> AuditSettings {
    let mut s = AuditSettings::default();
    for carrier in [
        InvoiceCarrier::Ups,
        InvoiceCarrier::Fedex,
        InvoiceCarrier::DhlExpress,
    ] {
        s.fuel.push(FuelRate {
            carrier,
            from: day(1),
            percent: FUEL,
        });
        // An older row that must not apply.
        s.fuel.push(FuelRate {
            carrier,
            from: Date::from_calendar_date(2025, Month::January, 6).unwrap(),
            percent: Decimal::new(155, 1),
        });
    }
    s
}

pub fn day(d: u8) -> Date {
    Date::from_calendar_date(2025, Month::June, d).unwrap()
}

fn dec(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn pct(amount: Decimal, p: Decimal) -> Decimal {
    (amount * p / Decimal::ONE_HUNDRED).round_dp(2)
}

/// One package as billed, carrier-neutral; each layout writes it in its own columns.
struct Billed {
    tracking: String,
    reference: String,
    ship: Date,
    /// Declared weight (what the shipper entered) and billed weight, in the layout's unit.
    entered: Decimal,
    billed_weight: Decimal,
    dims: Option<(Decimal, Decimal, Decimal)>,
    zone: &'static str,
    freight: Decimal,
    /// (category, code, description, amount) besides freight and fuel.
    extras: Vec<(ChargeCategory, &'static str, &'static str, Decimal)>,
    /// An address correction billed as an adjustment line (UPS ADJ/ADC).
    fuel_percent: Decimal,
}

impl Billed {
    fn fuel_basis(&self) -> Decimal {
        self.freight + self.extras.iter().map(|e| e.3).sum::<Decimal>()
    }
    fn fuel(&self) -> Decimal {
        pct(self.fuel_basis(), self.fuel_percent)
    }
    fn total(&self) -> Decimal {
        self.fuel_basis() + self.fuel()
    }
}

struct Layout {
    carrier: InvoiceCarrier,
    unit: WeightUnit,
    length: LengthUnit,
    service: &'static str,
}

fn layout(carrier: InvoiceCarrier) -> Layout {
    match carrier {
        InvoiceCarrier::Ups => Layout {
            carrier,
            unit: WeightUnit::Lb,
            length: LengthUnit::In,
            service: "003",
        },
        InvoiceCarrier::Fedex => Layout {
            carrier,
            unit: WeightUnit::Lb,
            length: LengthUnit::In,
            service: "FedEx Ground",
        },
        _ => Layout {
            carrier,
            unit: WeightUnit::Kg,
            length: LengthUnit::Cm,
            service: "P",
        },
    }
}

/// Writes a file of `clean` clean packages plus (with `plant`) one package of each kind.
pub fn generate(
    carrier: InvoiceCarrier,
    clean: usize,
    plant: bool,
    out: &mut dyn Write,
) -> Scenario {
    let lay = layout(carrier);
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let mut sc = Scenario {
        shipments: Vec::with_capacity(clean + 12),
        findings: BTreeSet::new(),
        bad_lines: Vec::new(),
        charge_lines: 0,
        packages: 0,
    };
    let mut line: u64 = 0;
    if carrier == InvoiceCarrier::Fedex {
        fedex_header(&mut w);
        line += 1;
    }
    let mut plan: Vec<Plant> = Vec::with_capacity(clean + 12);
    let mut plants = ALL_PLANTS.iter();
    for i in 0..clean {
        // Spread the planted ones through the file.
        if plant
            && i % (clean / 12).max(1) == 3
            && let Some(p) = plants.next()
        {
            plan.push(*p);
        }
        plan.push(Plant::Clean);
    }
    if plant {
        plan.extend(plants.copied());
    }
    let mut duplicate: Option<Billed> = None;
    for (n, p) in plan.iter().enumerate() {
        let (billed, expected, finding) = package(&lay, n as u64, *p);
        if let Some(f) = finding {
            sc.findings.insert((billed.tracking.clone(), f.0, f.1));
        }
        if let Some(e) = expected {
            sc.shipments.push(e);
        }
        if *p == Plant::Duplicate {
            duplicate = Some(clone_billed(&billed));
        }
        line = write(&mut w, &lay, &billed, line, &mut sc);
        sc.packages += 1;
        if n == 5 {
            // A malformed row: the import must report it and carry on.
            line += 1;
            sc.bad_lines.push(line);
            bad_row(&mut w, &lay);
            if carrier == InvoiceCarrier::Ups {
                // And an invoice-level fee, which is no package.
                line += 1;
                ups_invoice_fee(&mut w);
            }
        }
    }
    if let Some(d) = duplicate {
        // The same package's shipment charge billed again at the end of the invoice.
        write(&mut w, &lay, &d, line, &mut sc);
        sc.packages += 1;
    }
    w.flush().unwrap();
    sc
}

fn clone_billed(b: &Billed) -> Billed {
    Billed {
        tracking: b.tracking.clone(),
        reference: b.reference.clone(),
        ship: b.ship,
        entered: b.entered,
        billed_weight: b.billed_weight,
        dims: b.dims,
        zone: b.zone,
        freight: b.freight,
        extras: b.extras.clone(),
        fuel_percent: b.fuel_percent,
    }
}

/// The package `n` with plant `p`: what is billed, what the hub knows, the finding expected.
fn package(
    lay: &Layout,
    n: u64,
    p: Plant,
) -> (Billed, Option<ExpectedShipment>, Option<(Reason, Decimal)>) {
    let tracking = match lay.carrier {
        InvoiceCarrier::Ups => format!("1ZA1B2C303{:08}", n),
        InvoiceCarrier::Fedex => format!("7{:011}", n),
        _ => format!("4{:09}", n),
    };
    // Declared weight; billable = ceil to the carrier step (1 lb, 0.5 kg).
    let entered = match lay.unit {
        WeightUnit::Lb => Decimal::new(41 + (n % 30) as i64, 1),
        _ => Decimal::new(21 + (n % 20) as i64, 1),
    };
    let step = if lay.unit == WeightUnit::Lb {
        Decimal::ONE
    } else {
        Decimal::new(5, 1)
    };
    let billable = (entered / step).ceil() * step;
    let freight = dec(900 + (n % 50) as i64 * 13);
    let ship = day(2 + (n % 20) as u8);
    let mut b = Billed {
        tracking: tracking.clone(),
        reference: format!("REF{n:07}"),
        ship,
        entered,
        billed_weight: billable,
        dims: None,
        zone: "005",
        freight,
        extras: Vec::new(),
        fuel_percent: FUEL,
    };
    // Quote at purchase: the clean package's freight and fuel.
    let quoted_fuel = pct(freight, FUEL);
    let mut e = ExpectedShipment {
        tracking_number: tracking.clone(),
        reference: Some(b.reference.clone()),
        service: Some(lay.service.into()),
        zone: Some("5".into()),
        declared_weight: Some(Weight::new(entered, lay.unit).unwrap()),
        declared_dimensions: None,
        residential: Some(false),
        address_validated: true,
        quoted_total: Some(freight + quoted_fuel),
        currency: Some(currency(lay)),
        quoted: vec![
            ExpectedCharge {
                category: ChargeCategory::Base,
                amount: freight,
            },
            ExpectedCharge {
                category: ChargeCategory::Fuel,
                amount: quoted_fuel,
            },
        ],
        ..Default::default()
    };
    let finding = match p {
        Plant::Clean | Plant::Duplicate => None,
        Plant::Weight => {
            // Carrier re-weighed without new dimensions: +3 units, +4.50 freight.
            b.billed_weight = billable + Decimal::from(3);
            b.freight = freight + dec(450);
            Some((
                Reason::WeightAdjustment,
                b.total() - (freight + quoted_fuel),
            ))
        }
        Plant::Dimensions => {
            // We declared a small box; the carrier measured a big one (dim weight rules):
            // information only, nothing recoverable.
            let side = |d: i64| Decimal::from(d);
            e.declared_dimensions =
                Some(Dimensions::new(side(8), side(6), side(4), lay.length).unwrap());
            let big = if lay.length == LengthUnit::In {
                (side(24), side(20), side(18))
            } else {
                (side(60), side(50), side(45))
            };
            b.dims = Some(big);
            b.billed_weight = if lay.length == LengthUnit::In {
                Decimal::from(63)
            } else {
                Decimal::new(270, 1)
            };
            b.freight = freight + dec(2500);
            Some((Reason::DimensionAdjustment, Decimal::ZERO))
        }
        Plant::Surcharge => {
            b.extras.push((
                ChargeCategory::AdditionalHandling,
                "AHS",
                "Additional Handling",
                dec(1550),
            ));
            Some((Reason::UnexpectedSurcharge, dec(1550)))
        }
        Plant::Residential => {
            b.extras.push((
                ChargeCategory::Residential,
                "RES",
                "Residential Surcharge",
                dec(505),
            ));
            Some((Reason::ResidentialFee, dec(505)))
        }
        Plant::AddressCorrection => {
            b.extras.push((
                ChargeCategory::AddressCorrection,
                "ADC",
                "Address Correction",
                dec(2350),
            ));
            Some((Reason::AddressCorrectionFee, dec(2350)))
        }
        Plant::Fuel => {
            b.fuel_percent = Decimal::from(22);
            let over = b.fuel() - freight * FUEL / Decimal::ONE_HUNDRED;
            Some((
                Reason::FuelOffTable,
                over.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                ),
            ))
        }
        Plant::BaseRate => {
            b.freight = freight + dec(300);
            // Fuel is billed on the higher freight at the right percentage.
            Some((Reason::BaseRateOffContract, dec(300)))
        }
        Plant::Void => {
            e.voided_at = Some(OffsetDateTime::new_utc(ship, time::Time::MIDNIGHT));
            Some((Reason::BilledAfterVoid, b.total()))
        }
        Plant::Unknown => Some((Reason::UnknownShipment, b.total())),
        Plant::Late => {
            e.guaranteed = true;
            let promised = OffsetDateTime::new_utc(
                ship + Duration::days(1),
                time::Time::from_hms(10, 30, 0).unwrap(),
            );
            e.promised_by = Some(promised);
            e.delivered_at = Some(promised + Duration::hours(26));
            Some((Reason::LateDelivery, b.total()))
        }
    };
    // The clean packages are delivered on time on guaranteed services too.
    if p == Plant::Clean && n.is_multiple_of(3) {
        let promised = OffsetDateTime::new_utc(
            ship + Duration::days(1),
            time::Time::from_hms(10, 30, 0).unwrap(),
        );
        e.guaranteed = true;
        e.promised_by = Some(promised);
        e.delivered_at = Some(promised - Duration::hours(1));
    }
    let finding = match (p, finding) {
        (Plant::Duplicate, _) => Some((Reason::DuplicateBilling, b.total())),
        (_, f) => f,
    };
    let expected = (p != Plant::Unknown).then_some(e);
    (b, expected, finding)
}

fn currency(lay: &Layout) -> Currency {
    match lay.carrier {
        InvoiceCarrier::DhlExpress => "EUR".parse().unwrap(),
        _ => Currency::USD,
    }
}

fn write<W: Write>(
    w: &mut csv::Writer<W>,
    lay: &Layout,
    b: &Billed,
    line: u64,
    sc: &mut Scenario,
) -> u64 {
    match lay.carrier {
        InvoiceCarrier::Ups => ups(w, b, line, sc),
        InvoiceCarrier::Fedex => fedex(w, b, line, sc),
        _ => dhl(w, b, line, sc),
    }
}

fn s(d: Decimal) -> String {
    format!("{:.2}", d)
}

// ---- UPS Billing Data: 250 columns, no header, one row per charge ----

fn ups_row(
    b: &Billed,
    category: &str,
    detail: &str,
    class: &str,
    code: &str,
    desc: &str,
    net: Decimal,
) -> Vec<String> {
    let mut r = vec![String::new(); 250];
    let mut set = |pos: usize, v: &str| r[pos - 1] = v.to_owned();
    set(1, "2.1");
    set(3, "0000A1B2C3");
    set(4, "US");
    set(5, "2025-06-28"); // Invoice Date
    set(6, "000000A1B2C3265"); // Invoice Number
    set(7, "E");
    set(10, "USD");
    set(11, "0.00");
    set(12, &b.ship.to_string()); // Transaction Date
    set(14, &b.tracking); // Lead Shipment Number
    set(16, &b.reference);
    set(18, "P/P");
    set(19, "0");
    set(21, &b.tracking); // Tracking Number
    set(22, &b.reference);
    set(27, "0.0");
    set(29, "0.0");
    set(31, "PKG");
    set(34, b.zone);
    set(35, category);
    set(36, detail);
    set(44, class);
    set(45, code);
    set(46, desc);
    set(47, "0000001");
    set(49, "0.00");
    set(51, "USD");
    set(52, "0.00"); // Incentive Amount
    set(53, &s(net)); // Net Amount
    set(67, "SENDER NAME");
    set(75, "RECEIVER NAME");
    set(197, "0000000001");
    r
}

fn ups<W: Write>(w: &mut csv::Writer<W>, b: &Billed, mut line: u64, sc: &mut Scenario) -> u64 {
    let mut rows = Vec::new();
    let mut frt = ups_row(
        b,
        "SHP",
        "ISS",
        "FRT",
        "003",
        "Ground Commercial",
        b.freight,
    );
    frt[18] = "1".into();
    frt[26] = format!("{:.1}", b.entered);
    frt[27] = "L".into();
    frt[28] = format!("{:.1}", b.billed_weight);
    frt[29] = "L".into();
    if let Some((l, wd, h)) = b.dims {
        frt[32] = format!("{l:.1}x {wd:.1}x {h:.1}");
        frt[195] = "I".into();
    }
    rows.push(frt);
    for (cat, code, desc, amt) in &b.extras {
        rows.push(match cat {
            // Address correction comes as an adjustment, billed a week later.
            ChargeCategory::AddressCorrection => {
                let mut r = ups_row(
                    b,
                    "ADJ",
                    "ADC",
                    "FRT",
                    "003",
                    "Address Correction Ground",
                    *amt,
                );
                r[33] = "000".into();
                r
            }
            _ => ups_row(b, "SHP", "ISS", "ACC", code, desc, *amt),
        });
    }
    let mut fsc = ups_row(b, "SHP", "ISS", "FSC", "FSC", "Fuel Surcharge", b.fuel());
    fsc[47] = "USD".into();
    fsc[48] = s(b.fuel_basis()); // Basis Value
    rows.push(fsc);
    for r in rows {
        w.write_record(&r).unwrap();
        line += 1;
        sc.charge_lines += 1;
    }
    line
}

fn ups_invoice_fee<W: Write>(w: &mut csv::Writer<W>) {
    let b = Billed {
        tracking: String::new(),
        reference: String::new(),
        ship: day(2),
        entered: Decimal::ZERO,
        billed_weight: Decimal::ZERO,
        dims: None,
        zone: "",
        freight: Decimal::ZERO,
        extras: vec![],
        fuel_percent: Decimal::ZERO,
    };
    let mut r = ups_row(
        &b,
        "MIS",
        "SVCH",
        "FRT",
        "NSS",
        "Payment Processing Fee",
        dec(67),
    );
    r[13] = String::new();
    r[15] = String::new();
    w.write_record(&r).unwrap();
}

// ---- FedEx Billing Online: header, one row per tracking ID ----

fn fedex_header<W: Write>(w: &mut csv::Writer<W>) {
    let mut r = vec![String::new(); 156];
    let names = [
        (1, "Bill to Account Number"),
        (2, "Invoice Date"),
        (3, "Invoice Number"),
        (9, "Express or Ground Tracking ID"),
        (10, "Transportation Charge Amount"),
        (11, "Net Charge Amount"),
        (12, "Service Type"),
        (14, "Shipment Date"),
        (15, "POD Delivery Date"),
        (19, "Actual Weight Amount"),
        (20, "Actual Weight Units"),
        (21, "Rated Weight Amount"),
        (22, "Rated Weight Units"),
        (28, "Dim Length"),
        (29, "Dim Width"),
        (30, "Dim Height"),
        (31, "Dim Divisor"),
        (32, "Dim Unit"),
        (49, "Original Customer Reference"),
        (64, "Zone Code"),
        (156, "Shipment Notes"),
    ];
    for (p, n) in names {
        r[p - 1] = n.into();
    }
    for i in 0..25 {
        r[105 + 2 * i] = "Tracking ID Charge Description".into();
        r[106 + 2 * i] = "Tracking ID Charge Amount".into();
    }
    w.write_record(&r).unwrap();
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
}

fn fedex<W: Write>(w: &mut csv::Writer<W>, b: &Billed, line: u64, sc: &mut Scenario) -> u64 {
    let mut r = vec![String::new(); 156];
    let mut set = |pos: usize, v: &str| r[pos - 1] = v.to_owned();
    set(1, "123456789");
    set(2, "20250628");
    set(3, "8-123-45678");
    set(5, "0.00");
    set(9, &b.tracking);
    set(10, &s(b.freight));
    set(11, &s(b.total()));
    set(12, "FedEx Ground");
    set(14, &ymd(b.ship));
    set(15, &ymd(b.ship + Duration::days(2)));
    set(19, &format!("{:.1}", b.entered));
    set(20, "L");
    set(21, &format!("{:.1}", b.billed_weight));
    set(22, "L");
    if let Some((l, wd, h)) = b.dims {
        set(28, &l.to_string());
        set(29, &wd.to_string());
        set(30, &h.to_string());
        set(31, "139");
        set(32, "I");
    }
    set(23, "1");
    set(49, &b.reference);
    set(64, "05");
    let mut pairs = vec![("Transportation Charge".to_owned(), b.freight)];
    for (_, _, desc, amt) in &b.extras {
        let d = match *desc {
            "Residential Surcharge" => "Residential Delivery",
            "Address Correction" => "Address Correction",
            other => other,
        };
        pairs.push((d.to_owned(), *amt));
    }
    pairs.push(("Fuel Surcharge".to_owned(), b.fuel()));
    for (i, (d, a)) in pairs.iter().enumerate() {
        r[105 + 2 * i] = d.clone();
        r[106 + 2 * i] = s(*a);
    }
    w.write_record(&r).unwrap();
    sc.charge_lines += pairs.len() as u64;
    line + 1
}

// ---- DHL Express e-billing: S lines, XC blocks ----

fn dhl<W: Write>(w: &mut csv::Writer<W>, b: &Billed, line: u64, sc: &mut Scenario) -> u64 {
    let mut r = vec![String::new(); 153];
    let mut set = |pos: usize, v: &str| r[pos - 1] = v.to_owned();
    set(1, "S");
    set(2, "DE");
    set(4, "MUCIR00012345");
    set(7, "INV");
    set(8, "28/06/2025");
    set(12, "950000000");
    set(24, &b.tracking);
    set(
        25,
        &format!(
            "{:02}/{:02}/{}",
            b.ship.day(),
            b.ship.month() as u8,
            b.ship.year()
        ),
    );
    set(28, &b.reference);
    set(31, "P");
    set(32, "EXPRESS WORLDWIDE");
    set(33, "1");
    set(49, "US");
    if let Some((l, wd, h)) = b.dims {
        set(63, &format!("{l}x{wd}x{h}"));
    }
    set(64, &format!("{:.1}", b.entered));
    set(68, if b.dims.is_some() { "W" } else { "A" });
    set(69, &format!("{:.1}", b.billed_weight));
    set(70, "EUR");
    set(71, &s(b.total()));
    set(77, &s(b.freight));
    let mut xcs: Vec<(&str, &str, Decimal)> = b
        .extras
        .iter()
        .map(|(cat, _, desc, amt)| {
            let code = match cat {
                ChargeCategory::AdditionalHandling => "YY",
                ChargeCategory::AddressCorrection => "MA",
                ChargeCategory::Residential => "TK",
                _ => "XX",
            };
            let name = match cat {
                ChargeCategory::AdditionalHandling => "OVERWEIGHT PIECE",
                ChargeCategory::Residential => "RESIDENTIAL ADDRESS",
                ChargeCategory::AddressCorrection => "ADDRESS CORRECTION",
                _ => desc,
            };
            (code, name, *amt)
        })
        .collect();
    xcs.push(("FF", "FUEL SURCHARGE", b.fuel()));
    set(89, &s(xcs.iter().map(|x| x.2).sum()));
    for (i, (code, name, amt)) in xcs.iter().enumerate() {
        let pos = 91 + 7 * i;
        r[pos - 1] = (*code).into();
        r[pos] = (*name).into();
        r[pos + 1] = s(*amt);
        r[pos + 5] = "0.00".into();
        r[pos + 6] = s(*amt);
    }
    w.write_record(&r).unwrap();
    sc.charge_lines += 1 + xcs.len() as u64;
    line + 1
}

fn bad_row<W: Write>(w: &mut csv::Writer<W>, lay: &Layout) {
    let b = Billed {
        tracking: "BADROW".into(),
        reference: String::new(),
        ship: day(2),
        entered: Decimal::ONE,
        billed_weight: Decimal::ONE,
        dims: None,
        zone: "005",
        freight: Decimal::ONE,
        extras: vec![],
        fuel_percent: FUEL,
    };
    let mut sc = Scenario {
        shipments: vec![],
        findings: BTreeSet::new(),
        bad_lines: vec![],
        charge_lines: 0,
        packages: 0,
    };
    let mut buf = csv::Writer::from_writer(Vec::new());
    write(&mut buf, lay, &b, 0, &mut sc);
    let text = String::from_utf8(buf.into_inner().unwrap()).unwrap();
    let first = text.lines().next().unwrap();
    let mut fields: Vec<String> = first.split(',').map(str::to_owned).collect();
    // An amount that is not one, in the column each layout bills freight in.
    let pos = match lay.carrier {
        InvoiceCarrier::Ups => 53,
        InvoiceCarrier::Fedex => 107,
        _ => 77,
    };
    fields[pos - 1] = "12,5O".replace(',', "");
    w.write_record(&fields).unwrap();
}
