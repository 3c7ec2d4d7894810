//! Carrier push intake: scans a carrier pushes to the hub (UPS Track Alert) go through the same
//! path as polled ones (dedup, `decide`, events for subscribers). Here: which account a push
//! names and its push secret, the client check for the carrier's token request, and recording
//! what was pushed. How a carrier authenticates and encodes a push is its registry entry's
//! `PushIntake`; the HTTP face is `api::carrier_events`.

use shiphub_carriers::model::TrackingResult;
use shiphub_carriers::registry::PushIntake;

use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::AccountRecord;

/// The account a push names, with its push secret and its carrier's intake.
pub struct PushAccount {
    pub tenant: TenantId,
    pub record: AccountRecord,
    /// The account's `push_secret`: the bearer token the carrier sends, and its client secret.
    pub secret: String,
    pub intake: PushIntake,
}

/// What a push delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// Scans recorded on a tracker.
    pub accepted: u64,
    /// Scans for numbers no tracker follows (dropped).
    pub unknown_numbers: u64,
}

/// The account `account` of carrier `carrier` (as given), if that carrier pushes and the
/// account has a push secret (16+ characters) in its credentials.
pub async fn account(app: &AppState, carrier: &str, account: &str) -> Result<PushAccount, Error> {
    // The carrier's registry entry says whether and how it pushes.
    let intake = app
        .carriers
        .entry(carrier)
        .and_then(|e| e.push)
        .ok_or(Error::NotFound("push intake for this carrier"))?;
    let id = AccountId::parse(account).ok_or(Error::NotFound("carrier account"))?;
    let (tenant, record) = app
        .store
        .account_by_id(&id)
        .await?
        .filter(|(_, r)| r.carrier == carrier)
        .ok_or(Error::NotFound("carrier account"))?;
    let creds = app.master_key.account_credentials(&tenant, &record)?;
    let secret = creds["push_secret"]
        .as_str()
        .filter(|s| s.len() >= 16)
        .ok_or(Error::Unauthorized(
            "this account has no push_secret (16+ characters) in its credentials",
        ))?
        .to_string();
    Ok(PushAccount {
        tenant,
        record,
        secret,
        intake,
    })
}

impl PushAccount {
    /// Whether `given` (`client_id:client_secret`) is this account's id and push secret.
    pub fn client_matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        let expected = format!("{}:{}", self.record.id, self.secret);
        // Digests compared, so the comparison takes the same time wherever they differ.
        Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
    }

    /// Parses a push body (already authenticated) and records each scan on the tracker that
    /// follows its number.
    pub async fn take(&self, app: &AppState, body: &[u8]) -> Result<Taken, Error> {
        let carrier = self.record.carrier.as_str();
        let pushed = (self.intake.parse)(body).map_err(|e| Error::Malformed(e.to_string()))?;
        let mut taken = Taken::default();
        for p in pushed {
            // A push names the number, not the network an aggregator tracks it in: it is about
            // each open tracker of the number (almost always one).
            let trackers = app
                .store
                .open_trackers_of_number(&self.tenant, carrier, p.tracking_number.as_str())
                .await?;
            if trackers.is_empty() {
                taken.unknown_numbers += 1;
                continue;
            }
            let result = TrackingResult {
                tracking_number: p.tracking_number.clone(),
                status: p.event.status,
                carrier_code: p.event.carrier_code.clone(),
                events: vec![p.event],
                estimated_delivery: p.estimated_delivery,
                signed_by: p.signed_by,
                warnings: Vec::new(),
                other_shipments: Vec::new(),
            };
            for t in &trackers {
                super::trackers::record_result(app, &self.tenant, &t.id, &result).await?;
            }
            taken.accepted += 1;
        }
        metrics::counter!("shiphub_tracking_pushed_events_total", "carrier" => carrier.to_string())
            .increment(taken.accepted);
        Ok(taken)
    }
}
