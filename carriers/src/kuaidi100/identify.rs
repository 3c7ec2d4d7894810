//! Number → network: Kuaidi100's auto-number service (`GET autonumber/auto?num=…&key=…`)
//! answers the networks whose number ranges fit, likeliest first, as
//! `[{"comCode": "zhongtong", "name": …}, …]`; an empty list when none does. A refusal comes
//! as the common envelope.

use crate::error::CarrierError;
use crate::model::{NetworkGuess, TrackingNumber};

use super::error::{Op, is_fine, refusal};
use super::wire::{AutoGuess, Envelope};

/// The query string.
pub(super) fn query(number: &TrackingNumber, key: &str) -> [(&'static str, String); 2] {
    [
        ("num", number.as_str().to_string()),
        ("key", key.to_string()),
    ]
}

/// What the service answered: an array of guesses, or a refusal (the envelope).
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub(super) enum Answer {
    Guesses(Vec<AutoGuess>),
    Refusal(Envelope),
}

/// The guesses, in Kuaidi100's order, each network once.
pub(super) fn parse(a: Answer) -> Result<Vec<NetworkGuess>, CarrierError> {
    let guesses = match a {
        Answer::Guesses(g) => g,
        Answer::Refusal(e) => {
            let code = e.return_code.as_deref().unwrap_or("");
            if is_fine(Op::AutoNumber, code) {
                return Ok(Vec::new());
            }
            return Err(refusal(Op::AutoNumber, code, e.message.as_deref()));
        }
    };
    let mut out: Vec<NetworkGuess> = Vec::with_capacity(guesses.len());
    for g in guesses {
        let Some(code) = g
            .com_code
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        if out.iter().any(|o| o.code == code) {
            continue;
        }
        out.push(NetworkGuess {
            code,
            name: g
                .name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
        });
    }
    Ok(out)
}
