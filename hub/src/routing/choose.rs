//! Choosing among quotes with the tenant's history and rules: rate-shop (`rates::shop`), tell
//! every quote what the history says about its service on this lane, drop or favour quotes
//! by the rules, then rank them by the strategy, and say why each sits where it does.
//!
//! `deliver_by`: the cheapest quote whose transit at the asked percentile arrives by the date.
//! `on_time`: the cheapest quote whose measured on-time rate on this lane reaches the
//! threshold. A thin history (fewer than `min_samples` deliveries) falls back to the carrier's
//! own estimate for `deliver_by`, and never qualifies for `on_time` (there is nothing to
//! measure). Quotes that do not qualify stay in the answer, after those that do.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::Settings;
use super::rules::{self, Rule};
use super::transit::{self, TransitStats};
use crate::error::Error;
use crate::ids::TenantId;
use crate::rates::{self, AccountQuote, Failure, Shop};
use crate::state::AppState;
use crate::tracking::add_business_days;

/// How to choose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Choice {
    /// One of the rate-shopping strategies (cheapest, fastest, best value).
    Plain(rates::Strategy),
    /// Arrive by `date` with probability `confidence` (0 < c ≤ 1).
    DeliverBy { date: Date, confidence: Decimal },
    /// On-time rate on the lane at least `threshold` (0 ≤ t ≤ 1).
    OnTime { threshold: Decimal },
}

impl Choice {
    pub fn name(&self) -> &'static str {
        match self {
            Choice::Plain(rates::Strategy::Cheapest) => "cheapest",
            Choice::Plain(rates::Strategy::Fastest) => "fastest",
            Choice::Plain(rates::Strategy::BestValue) => "best_value",
            Choice::DeliverBy { .. } => "deliver_by",
            Choice::OnTime { .. } => "on_time",
        }
    }
}

/// What the history says about a quote's service on this lane.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuoteTransit {
    /// `history` (enough deliveries: the percentiles are measured) or `carrier_estimate`
    /// (thin history: the carrier's own transit days are used).
    pub source: &'static str,
    /// The lane, at the tenant's granularity (`US:100>US:941`).
    pub lane: String,
    /// Deliveries on the lane in the window.
    pub samples: u64,
    pub window_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p75: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub on_time_rate: Option<Decimal>,
    /// Why the carrier's estimate was used, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A rule that touched a quote (or dropped it), and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleNote {
    pub rule: String,
    /// `excluded`, `preferred`, `price_cap`, `signature`.
    pub effect: &'static str,
    pub detail: String,
}

/// A quote with its history, the rules that touched it and its place.
pub struct Routed {
    pub quote: AccountQuote,
    pub transit: QuoteTransit,
    pub rules: Vec<RuleNote>,
    /// 1 = best.
    pub rank: u32,
    /// Whether the strategy's condition holds (always for the plain strategies).
    pub qualifies: bool,
    /// Why it ranked where it did.
    pub reason: String,
}

/// A quote a rule dropped.
pub struct Dropped {
    pub quote: AccountQuote,
    pub rules: Vec<RuleNote>,
}

pub struct Outcome {
    pub lane: String,
    pub quotes: Vec<Routed>,
    pub excluded: Vec<Dropped>,
    pub failures: Vec<Failure>,
    /// Notes of rules that changed the request itself (a signature).
    pub request_rules: Vec<RuleNote>,
}

impl Outcome {
    /// The quote the strategy chose: the first one that qualifies.
    pub fn chosen(&self) -> Option<&Routed> {
        self.quotes.first().filter(|q| q.qualifies)
    }
}

/// Rate-shops `asked` under the tenant's rules and ranks by `choice`.
pub async fn route(
    app: &AppState,
    tenant: &TenantId,
    mut asked: Shop<'_>,
    choice: Choice,
    tags: &[String],
    now: OffsetDateTime,
) -> Result<Outcome, Error> {
    let doc = match app.routing.rules(tenant) {
        Some(doc) => doc,
        None => {
            let doc = std::sync::Arc::new(rules::load(&app.store, tenant).await?);
            app.routing.put_rules(tenant.clone(), doc.clone());
            doc
        }
    };
    let matched = rules::matching(&doc, &asked.shipment, tags);
    let request_rules = rules::adjust_request(&matched, &mut asked.shipment)
        .into_iter()
        .map(|(rule, detail)| RuleNote {
            rule,
            effect: "signature",
            detail,
        })
        .collect::<Vec<_>>();
    asked.strategy = match choice {
        Choice::Plain(s) => s,
        _ => rates::Strategy::Cheapest,
    };
    let ship_date = asked.shipment.ship_date.unwrap_or(now.date());
    let (from, to) = (asked.shipment.from.clone(), asked.shipment.to.clone());
    // The history is read while the carriers are asked.
    let (shopped, lane) = tokio::join!(
        rates::shop(app, tenant, asked),
        lane_stats(app, tenant, &from, &to, &doc.settings, now.date())
    );
    let (shopped, (lane, stats)) = (shopped?, lane?);
    let by_service: HashMap<(&str, &str), &TransitStats> = stats
        .iter()
        .map(|s| ((s.carrier.as_str(), s.service.as_str()), s))
        .collect();
    let mut kept = vec![];
    let mut excluded = vec![];
    for q in shopped.quotes {
        let notes = rule_notes(&matched, &q);
        if notes.iter().any(|n| n.effect == "excluded") {
            excluded.push(Dropped {
                quote: q,
                rules: notes,
            });
            continue;
        }
        let s = by_service
            .get(&(q.carrier.as_str(), q.quote.service.code.as_str()))
            .copied();
        let transit = quote_transit(&lane, s, &doc.settings);
        kept.push((
            q,
            transit,
            notes,
            s.filter(|s| s.samples >= u64::from(doc.settings.min_samples)),
        ));
    }
    let quotes = rank(kept, choice, ship_date);
    Ok(Outcome {
        lane,
        quotes,
        excluded,
        failures: shopped.failures,
        request_rules,
    })
}

/// The lane's statistics, from the cache when fresh.
async fn lane_stats(
    app: &AppState,
    tenant: &TenantId,
    from: &shiphub_carriers::model::Address,
    to: &shiphub_carriers::model::Address,
    settings: &Settings,
    today: Date,
) -> Result<(String, std::sync::Arc<Vec<TransitStats>>), Error> {
    let from = transit::lane_end(
        from.country.as_str(),
        from.postal_code.as_deref(),
        settings.lane_prefix,
    );
    let to = transit::lane_end(
        to.country.as_str(),
        to.postal_code.as_deref(),
        settings.lane_prefix,
    );
    let name = transit::lane_name(&from, &to);
    let key = (tenant.clone(), name.clone(), settings.window_days, today);
    if let Some(stats) = app.routing.lane(&key) {
        return Ok((name, stats));
    }
    let stats = std::sync::Arc::new(
        transit::lookup(
            &app.store,
            tenant,
            transit::Lookup {
                carrier: None,
                service: None,
                from,
                to,
                today,
                window_days: settings.window_days,
            },
        )
        .await?,
    );
    app.routing.put_lane(key, stats.clone());
    Ok((name, stats))
}

/// What the matched rules do to one quote.
fn rule_notes(matched: &[&Rule], q: &AccountQuote) -> Vec<RuleNote> {
    let (carrier, service) = (q.carrier.as_str(), q.quote.service.code.as_str());
    let mut notes = vec![];
    for r in matched {
        if let Some(t) = r.then.exclude.iter().find(|t| t.matches(carrier, service)) {
            notes.push(RuleNote {
                rule: r.name.clone(),
                effect: "excluded",
                detail: format!("excludes {}", t.describe()),
            });
        }
        if let Some(cap) = r.then.max_price {
            let total = q.quote.total;
            if total.currency() != cap.currency() {
                notes.push(RuleNote {
                    rule: r.name.clone(),
                    effect: "price_cap",
                    detail: format!(
                        "cap of {} {} not applied: the quote is in {}",
                        cap.amount(),
                        cap.currency().as_str(),
                        total.currency().as_str()
                    ),
                });
            } else if total.amount() > cap.amount() {
                notes.push(RuleNote {
                    rule: r.name.clone(),
                    effect: "excluded",
                    detail: format!(
                        "{} {} is over the cap of {}",
                        total.amount(),
                        total.currency().as_str(),
                        cap.amount()
                    ),
                });
            }
        }
        if let Some(t) = r.then.prefer.iter().find(|t| t.matches(carrier, service)) {
            notes.push(RuleNote {
                rule: r.name.clone(),
                effect: "preferred",
                detail: format!("prefers {}", t.describe()),
            });
        }
    }
    notes
}

fn quote_transit(lane: &str, s: Option<&TransitStats>, settings: &Settings) -> QuoteTransit {
    let samples = s.map_or(0, |s| s.samples);
    let thick = samples >= u64::from(settings.min_samples);
    let pick = |f: fn(&TransitStats) -> u32| s.filter(|_| thick).map(f);
    QuoteTransit {
        source: if thick { "history" } else { "carrier_estimate" },
        lane: lane.to_string(),
        samples,
        window_days: settings.window_days,
        p50: pick(|s| s.p50),
        p75: pick(|s| s.p75),
        p90: pick(|s| s.p90),
        p95: pick(|s| s.p95),
        p99: pick(|s| s.p99),
        on_time_rate: s.filter(|_| thick).and_then(|s| s.on_time_rate),
        note: (!thick).then(|| {
            format!(
                "history too thin: {samples} deliveries in {} days, fewer than {}; the carrier's estimate is used",
                settings.window_days, settings.min_samples
            )
        }),
    }
}

type Candidate<'a> = (
    AccountQuote,
    QuoteTransit,
    Vec<RuleNote>,
    Option<&'a TransitStats>,
);

fn pct(q: Decimal) -> String {
    (q * Decimal::ONE_HUNDRED).normalize().to_string()
}

fn rank(kept: Vec<Candidate<'_>>, choice: Choice, ship_date: Date) -> Vec<Routed> {
    // The base order (rates' own strategy) groups currencies; it is the tie-breaker throughout
    // and amounts are only compared within a currency group.
    let group_of = |i: usize, kept: &[Candidate<'_>]| {
        let c = kept[i].0.quote.total.currency();
        kept.iter()
            .position(|k| k.0.quote.total.currency() == c)
            .unwrap_or(i)
    };
    struct Judged {
        qualifies: bool,
        /// For ordering the quotes that do not qualify (arrival day or on-time rate).
        miss: i64,
        reason: String,
    }
    let judged: Vec<Judged> = kept
        .iter()
        .map(|(q, _, _, s)| match choice {
            Choice::Plain(_) => Judged {
                qualifies: true,
                miss: 0,
                reason: String::new(),
            },
            Choice::DeliverBy { date, confidence } => {
                let (days, how) = match s {
                    Some(s) => (
                        Some(s.at(confidence)),
                        format!(
                            "{} business days at the {}th percentile of {} deliveries",
                            s.at(confidence),
                            pct(confidence),
                            s.samples
                        ),
                    ),
                    None => (
                        q.quote.transit_days.or_else(|| {
                            q.quote.estimated_delivery.map(|d| {
                                super::super::store::routing::business_days_between(ship_date, d)
                                    as u32
                            })
                        }),
                        "the carrier's estimate (thin history)".to_string(),
                    ),
                };
                match days {
                    Some(days) => {
                        let arrives = match s {
                            None => q
                                .quote
                                .estimated_delivery
                                .unwrap_or(add_business_days(ship_date, days)),
                            Some(_) => add_business_days(ship_date, days),
                        };
                        let ok = arrives <= date;
                        Judged {
                            qualifies: ok,
                            miss: i64::from(arrives.to_julian_day()),
                            reason: format!(
                                "arrives {arrives} ({how}), {} {date}",
                                if ok { "on or before" } else { "after" }
                            ),
                        }
                    }
                    None => Judged {
                        qualifies: false,
                        miss: i64::MAX,
                        reason: "no transit time known (no history, no carrier estimate)".into(),
                    },
                }
            }
            Choice::OnTime { threshold } => match s.and_then(|s| s.on_time_rate.map(|r| (r, s))) {
                Some((rate, s)) => {
                    let ok = rate >= threshold;
                    Judged {
                        qualifies: ok,
                        // Higher rates miss by less (rates have 4 decimals).
                        miss: -rust_decimal::prelude::ToPrimitive::to_i64(
                            &(rate * Decimal::from(10_000)).trunc(),
                        )
                        .unwrap_or(0),
                        reason: format!(
                            "on time {}% of {} promised deliveries, {} the {}% asked",
                            pct(rate),
                            s.promised,
                            if ok { "at least" } else { "below" },
                            pct(threshold)
                        ),
                    }
                }
                None => Judged {
                    qualifies: false,
                    miss: i64::MAX,
                    reason: "no measured on-time rate on this lane (thin history or no promises)"
                        .into(),
                },
            },
        })
        .collect();
    let preferred = |k: &Candidate<'_>| k.2.iter().any(|n| n.effect == "preferred");
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|&a, &b| {
        let (ja, jb) = (&judged[a], &judged[b]);
        jb.qualifies
            .cmp(&ja.qualifies)
            .then(group_of(a, &kept).cmp(&group_of(b, &kept)))
            .then(preferred(&kept[b]).cmp(&preferred(&kept[a])))
            .then_with(|| match (choice, ja.qualifies) {
                // Qualifying quotes: cheapest first; others: nearest miss first, then price.
                (Choice::Plain(_), _) => std::cmp::Ordering::Equal,
                (_, true) => kept[a]
                    .0
                    .quote
                    .total
                    .amount()
                    .cmp(&kept[b].0.quote.total.amount()),
                (_, false) => ja.miss.cmp(&jb.miss).then(
                    kept[a]
                        .0
                        .quote
                        .total
                        .amount()
                        .cmp(&kept[b].0.quote.total.amount()),
                ),
            })
            .then(a.cmp(&b))
    });
    let qualifying = judged.iter().filter(|j| j.qualifies).count();
    let mut slots: Vec<Option<(Candidate<'_>, Judged)>> =
        kept.into_iter().zip(judged).map(Some).collect();
    order
        .into_iter()
        .enumerate()
        .map(|(i, idx)| {
            let ((quote, transit, rules, _), j) = slots[idx].take().expect("each once");
            let place = i + 1;
            let pref = rules.iter().any(|n| n.effect == "preferred");
            let mut reason = match choice {
                Choice::Plain(_) => format!("#{place} by {}", choice.name()),
                _ if j.qualifies => format!(
                    "#{place}: {}; the {qualifying} that qualify rank cheapest first",
                    j.reason
                ),
                _ => format!("#{place}: does not qualify: {}", j.reason),
            };
            if pref {
                reason.push_str("; preferred by a rule");
            }
            Routed {
                quote,
                transit,
                rules,
                rank: place as u32,
                qualifies: j.qualifies,
                reason,
            }
        })
        .collect()
}

/// What a strategy purchase keeps for the cost report: the chosen quote's price against the
/// cheapest and the fastest shown in its currency.
pub struct Kept {
    pub chosen: Decimal,
    pub cheapest: Decimal,
    pub fastest: Decimal,
    pub currency: String,
}

/// The comparison kept with the chosen quote (none when nothing was chosen). Fastest: fewest
/// transit days at the median of the history (else the carrier's days), ties by price.
pub fn kept_quotes(o: &Outcome, _choice: Choice) -> Option<Kept> {
    let chosen = o.chosen()?;
    let currency = chosen.quote.quote.total.currency();
    let same: Vec<&Routed> = o
        .quotes
        .iter()
        .filter(|q| q.quote.quote.total.currency() == currency)
        .collect();
    let amount = |q: &Routed| q.quote.quote.total.amount();
    let days = |q: &Routed| {
        q.transit
            .p50
            .or(q.quote.quote.transit_days)
            .unwrap_or(u32::MAX)
    };
    let cheapest = same.iter().map(|q| amount(q)).min()?;
    let fastest = same
        .iter()
        .min_by(|a, b| days(a).cmp(&days(b)).then(amount(a).cmp(&amount(b))))
        .map(|q| amount(q))?;
    Some(Kept {
        chosen: amount(chosen),
        cheapest,
        fastest,
        currency: currency.as_str().to_string(),
    })
}
