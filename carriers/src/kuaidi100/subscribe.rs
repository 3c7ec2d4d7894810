//! The push subscription (`POST poll`, form `schema=json`, `param`): Kuaidi100 then polls the
//! parcel itself and POSTs its whole tracking to the callback URL on every change, signed
//! with the salt given here. The `param` carries the authorization key; nothing else signs
//! it. An existing subscription (`returnCode` 501, "still polling") is success.

use crate::error::CarrierError;

use super::error::{Op, is_fine, refusal};
use super::track::RESULTV2;
use super::wire::{Envelope, PollParam, PollParameters};

/// The form fields subscribing `number` in `network`.
pub(super) fn form(
    network: &str,
    number: &str,
    phone: Option<&str>,
    key: &str,
    callback_url: &str,
    salt: &str,
) -> [(&'static str, String); 2] {
    let param = serde_json::to_string(&PollParam {
        company: network,
        number,
        key,
        parameters: PollParameters {
            callbackurl: callback_url,
            salt,
            resultv2: RESULTV2,
            phone,
        },
    })
    .expect("wire types serialize");
    [("schema", "json".to_string()), ("param", param)]
}

/// `Ok` for a subscription made or already running; otherwise the refusal's error.
pub(super) fn parse(e: Envelope) -> Result<(), CarrierError> {
    let code = e.return_code.as_deref().unwrap_or("");
    if is_fine(Op::Subscribe, code) {
        return Ok(());
    }
    Err(refusal(Op::Subscribe, code, e.message.as_deref()))
}
