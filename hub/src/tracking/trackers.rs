//! Following a parcel shipped elsewhere: which carrier its number is (asked for, taken from the
//! account, detected from the number's format, or else named by an aggregator the tenant has
//! an account with, such as Kuaidi100, with the network it tracks the number in), which of the
//! tenant's accounts polls it (asked for, the aggregator account that named it, or the one with
//! the most quota to spare), and the new tracker, first looked at at once. A tracker with its
//! scans, as it is shown.

use shiphub_carriers::Capability;
use shiphub_carriers::detect::{Detection, detect};
use shiphub_carriers::model::{TrackingNumber, TrackingResult};
use time::OffsetDateTime;

use super::{TrackerOut, new_tracker};
use crate::error::Error;
use crate::ids::{AccountId, TenantId, TrackerId};
use crate::state::AppState;
use crate::store::{AccountRecord, Store, TrackerRecord};

/// What the caller asked to follow (errors point at these fields by name: `/tracking_number`,
/// `/carrier`, `/carrier_account`, `/network`).
#[derive(Clone, Copy, Debug)]
pub struct Follow<'a> {
    pub tracking_number: &'a str,
    pub carrier: Option<&'a str>,
    pub carrier_account: Option<&'a str>,
    /// The network an aggregator tracks the number in (`zhongtong`).
    pub network: Option<&'a str>,
    /// The sender's or receiver's phone, or its last four digits (`/phone`).
    pub phone: Option<&'a str>,
}

/// The last four digits of a phone hint: a phone number (digits, spaces, `+`, `-`, `(`, `)`)
/// with at least four digits, or the four digits alone. All Kuaidi100 wants, and all the hub
/// keeps.
pub fn phone_hint(phone: &str) -> Result<String, Error> {
    let bad = || {
        Error::field(
            "/phone",
            "a phone number (or its last four digits): digits, spaces, +, -, ( and ), at least four digits",
        )
    };
    if phone.len() > 32
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
    {
        return Err(bad());
    }
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return Err(bad());
    }
    Ok(digits[digits.len() - 4..].iter().collect())
}

/// A network code: what the API's schema allows (`^[a-z0-9_]{1,32}$`), checked again here
/// for callers that do not pass through it.
pub fn valid_network(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The tracker that follows `asked`, not stored yet: `Store::insert_tracker` stores it, or
/// finds the tenant's open tracker of the same carrier, number and network, which `again`
/// then updates. (Inserting first spares every new tracker the lookup before its insert.)
pub async fn follow(
    app: &AppState,
    tenant: &TenantId,
    asked: Follow<'_>,
) -> Result<TrackerRecord, Error> {
    let number: TrackingNumber =
        asked
            .tracking_number
            .parse()
            .map_err(|e: shiphub_carriers::model::InvalidValue| {
                Error::field("/tracking_number", e.message)
            })?;
    let accounts = app.store.list_accounts(tenant).await?;
    let account_asked = match asked.carrier_account {
        Some(id) => Some(
            AccountId::parse(id)
                .and_then(|id| accounts.iter().find(|a| a.id == id))
                .ok_or_else(|| Error::field("/carrier_account", "no such carrier account"))?,
        ),
        None => None,
    };
    // An account without `carrier` names the carrier, unless the number's format
    // says it is another carrier's.
    let from_account = match (asked.carrier, account_asked) {
        (None, Some(a)) => {
            let found = detect(&app.carriers.entries, &number);
            if !found.is_empty() && found.iter().all(|c| c.carrier.as_str() != a.carrier) {
                return Err(Error::field(
                    "/carrier_account",
                    format!(
                        "the account is of {}, the number is {}'s",
                        a.carrier, found[0].carrier
                    ),
                ));
            }
            Some(a.carrier.as_str())
        }
        _ => None,
    };
    if let Some(n) = asked.network
        && !valid_network(n)
    {
        return Err(Error::field(
            "/network",
            "a network code: 1 to 32 lower-case letters, digits or _",
        ));
    }
    let phone = asked.phone.map(phone_hint).transpose()?;
    let mut network = asked.network.map(str::to_string);
    let mut identified_by = None;
    let (carrier, number) = match carrier_for(app, &number, asked.carrier.or(from_account))? {
        Some(found) => found,
        None => {
            let (carrier, guess, account) = identify(app, tenant, &accounts, &number).await?;
            network = network.or(Some(guess));
            identified_by = Some(account);
            (carrier, number)
        }
    };
    let account = match account_asked {
        Some(a) if a.carrier != carrier => {
            return Err(Error::field(
                "/carrier_account",
                format!("the account is of {}, the tracker of {carrier}", a.carrier),
            ));
        }
        Some(a) => Some(a.id.clone()),
        None => match &identified_by {
            Some(a) => Some(a.clone()),
            None => most_spare(app, tenant, &carrier, &accounts).await?,
        },
    };
    // An aggregator asked for by name, without the network: the account that will poll names
    // it (the aggregator tracks a number in one network at a time).
    let names_networks = app
        .carriers
        .entry(&carrier)
        .is_some_and(|e| e.capabilities.supports(Capability::Identify));
    if network.is_none()
        && identified_by.is_none()
        && names_networks
        && let Some(record) = account
            .as_ref()
            .and_then(|id| accounts.iter().find(|a| &a.id == id))
    {
        let adapter = app
            .carriers
            .adapter(&app.store, tenant, record, &app.master_key)
            .await?;
        network = app
            .calls
            .identify(&record.id, adapter.as_ref(), &number)
            .await?
            .into_iter()
            .find(|g| valid_network(&g.code))
            .map(|g| g.code);
    }
    let now = OffsetDateTime::now_utc();
    let mut t = new_tracker(
        &app.tracking,
        now,
        number.as_str(),
        &carrier,
        account,
        None,
        None,
        None,
    );
    t.network = network;
    t.phone = phone;
    // Followed from elsewhere, the parcel may be moving already: first look at once
    // (the scheduler keeps it inside the account's quota). The post-label delay is
    // for labels bought here, which no carrier has scanned yet.
    t.next_check_at = t.next_check_at.map(|_| now);
    Ok(t)
}

/// The open tracker `asked` (as `follow` built it) found already following its number:
/// followed again with a phone hint (the network refused it without one), it keeps that.
pub async fn again(
    app: &AppState,
    tenant: &TenantId,
    asked: &TrackerRecord,
    mut found: TrackerRecord,
) -> Result<TrackerRecord, Error> {
    if let Some(p) = asked
        .phone
        .as_ref()
        .filter(|p| found.phone.as_ref() != Some(*p))
    {
        app.store.set_tracker_phone(tenant, &found.id, p).await?;
        found.phone = Some(p.clone());
    }
    Ok(found)
}

/// Our own detection had no answer: the tenant's accounts whose carrier names networks
/// (`Capability::Identify`, an aggregator such as Kuaidi100) are asked in turn, through the
/// call layer, and the first that guesses follows the number in its likeliest network:
/// (carrier, network, the account that named it). No such account, or no guess, is the
/// undetectable number's 422; a failed `identify` is the carrier's error (with its retry
/// class) when no other account guessed.
async fn identify(
    app: &AppState,
    tenant: &TenantId,
    accounts: &[AccountRecord],
    number: &TrackingNumber,
) -> Result<(String, String, AccountId), Error> {
    let mut failed = None;
    for a in accounts {
        let Some(entry) = app.carriers.entry(&a.carrier) else {
            continue;
        };
        if !entry.capabilities.supports(Capability::Identify)
            || !entry.capabilities.supports(Capability::Track)
        {
            continue;
        }
        let adapter = match app
            .carriers
            .adapter(&app.store, tenant, a, &app.master_key)
            .await
        {
            Ok(adapter) => adapter,
            Err(e) => {
                tracing::warn!(account = %a.id, error = ?e, "cannot ask the account to identify a number");
                continue;
            }
        };
        match app.calls.identify(&a.id, adapter.as_ref(), number).await {
            Ok(guesses) => {
                if let Some(g) = guesses.into_iter().find(|g| valid_network(&g.code)) {
                    return Ok((a.carrier.clone(), g.code, a.id.clone()));
                }
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        Some(e) => Err(Error::Carrier(e)),
        None => Err(Error::field(
            "/tracking_number",
            "no carrier issues numbers of this format, and no aggregator account (such as \
             kuaidi100) of the tenant's recognised it; give `carrier`, or add an aggregator \
             account that can identify it",
        )),
    }
}

/// A tracker not stored yet, so without scans: `with_events` without the read.
pub fn unscanned(t: &TrackerRecord) -> TrackerOut {
    TrackerOut {
        events: Some(vec![]),
        ..TrackerOut::new(t, None)
    }
}

/// A tracker with every scan, oldest first (the single-tracker view).
pub async fn with_events(store: &Store, t: &TrackerRecord) -> Result<TrackerOut, Error> {
    let events = store.tracking_events(&t.id).await?;
    Ok(TrackerOut {
        events: Some(events.clone()),
        ..TrackerOut::new(t, events.last())
    })
}

/// The carrier for a number: the one asked for, or the only likely one; `None` when no
/// carrier issues numbers of its format (an aggregator may still know it).
fn carrier_for(
    app: &AppState,
    number: &TrackingNumber,
    asked: Option<&str>,
) -> Result<Option<(String, TrackingNumber)>, Error> {
    if let Some(code) = asked {
        let entry = app
            .carriers
            .entry(code)
            .ok_or_else(|| Error::field("/carrier", format!("unknown carrier `{code}`")))?;
        if !entry.capabilities.supports(Capability::Track) {
            return Err(Error::field(
                "/carrier",
                format!("{code} offers no tracking"),
            ));
        }
        return Ok(Some((code.to_string(), number.clone())));
    }
    let found = detect(&app.carriers.entries, number);
    let Some(best) = found.first() else {
        return Ok(None);
    };
    let tied: Vec<_> = found
        .iter()
        .filter(|c| c.detection == best.detection)
        .collect();
    if tied.len() > 1 || best.detection == Detection::FormatOnly && found.len() > 1 {
        let names: Vec<String> = found
            .iter()
            .map(|c| format!("{} ({})", c.carrier, c.format))
            .collect();
        return Err(Error::field(
            "/carrier",
            format!(
                "the number fits several carriers: {}; give `carrier`",
                names.join(", ")
            ),
        ));
    }
    Ok(Some((best.carrier.to_string(), best.number.clone())))
}

/// The tenant's account of `carrier` with the most quota to spare: the fewest trackers it
/// polls per request its quota allows in a day (the declared rate, or the daily cap when that
/// is lower). Ties go to the oldest account. `None` when the tenant has no such account.
async fn most_spare(
    app: &AppState,
    tenant: &TenantId,
    carrier: &str,
    accounts: &[AccountRecord],
) -> Result<Option<AccountId>, Error> {
    // One account (the usual case) is the choice: the load count below reads every open
    // tracker of the tenant and carrier, which grows with the tenant.
    let mut of_carrier = accounts.iter().filter(|a| a.carrier == carrier);
    if let (first, None) = (of_carrier.next(), of_carrier.next()) {
        return Ok(first.map(|a| a.id.clone()));
    }
    let load = app
        .store
        .polled_trackers_by_account(tenant, carrier)
        .await?;
    let mut best: Option<(&AccountRecord, u128, u128)> = None;
    for a in accounts.iter().filter(|a| a.carrier == carrier) {
        // An account whose adapter cannot be built (credentials it cannot read) polls
        // nothing: it is passed over, and chosen only when no other account is left.
        let adapter = match app
            .carriers
            .adapter(&app.store, tenant, a, &app.master_key)
            .await
        {
            Ok(adapter) => adapter,
            Err(e) => {
                tracing::warn!(account = %a.id, error = ?e, "cannot weigh the account's quota");
                continue;
            }
        };
        let q = adapter.quota();
        let per_day = u128::from(q.requests.max(1)) * 86_400_000 / q.per.as_millis().max(1);
        let per_day = adapter
            .daily_quota()
            .map_or(per_day, |d| per_day.min(u128::from(d)))
            .max(1);
        let trackers = u128::from(load.get(&a.id).copied().unwrap_or(0));
        // trackers / per_day smaller than the best's, compared without division.
        if best.is_none_or(|(_, t, d)| trackers * d < t * per_day) {
            best = Some((a, trackers, per_day));
        }
    }
    Ok(best
        .map(|(a, _, _)| a)
        .or_else(|| accounts.iter().find(|a| a.carrier == carrier))
        .map(|a| a.id.clone()))
}

/// Records what a carrier said of a tracked parcel outside the scheduler's polls (a live look,
/// a carrier's push) as a poll is recorded: scans deduplicated, the next state decided, its
/// events emitted. `None` when the tracker is gone.
pub async fn record_result(
    app: &AppState,
    tenant: &TenantId,
    tracker: &TrackerId,
    result: &TrackingResult,
) -> Result<Option<TrackerRecord>, Error> {
    let policy = app.tracking;
    let recorded = app
        .store
        .record_tracking(tenant, tracker, None, &result.events, |old, fresh| {
            super::decide(&policy, OffsetDateTime::now_utc(), old, fresh, Some(result))
        })
        .await?;
    Ok(recorded)
}
