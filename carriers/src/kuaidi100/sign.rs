//! Kuaidi100's signatures: the upper-case hex MD5 of the `param` text followed by the
//! account's key and customer id (requests), or by the subscription's `salt` (callbacks).
//! The MD5 is Kuaidi100's published scheme, not our choice.

use md5::{Digest, Md5};

/// `MD5(param + key + customer)`, upper-case hex: the `sign` of a query.
pub(super) fn request(param: &str, key: &str, customer: &str) -> String {
    digest(&[param, key, customer])
}

/// `MD5(param + t + key + secret)`, upper-case hex: the `sign` of an e-waybill call
/// (`label/order`), `t` its timestamp in milliseconds.
pub(super) fn label(param: &str, t: &str, key: &str, secret: &str) -> String {
    digest(&[param, t, key, secret])
}

/// `MD5(param + salt)`, upper-case hex: the `sign` Kuaidi100 puts on a callback.
pub(super) fn callback(param: &str, salt: &str) -> String {
    digest(&[param, salt])
}

fn digest(parts: &[&str]) -> String {
    let mut md5 = Md5::new();
    for p in parts {
        md5.update(p.as_bytes());
    }
    hex::encode_upper(md5.finalize())
}

/// Whether `given` is `expected`, compared without an early exit (a callback's sign must not
/// be guessable byte by byte from response times); case-insensitive, as hex is.
pub(super) fn matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.trim().as_bytes(), expected.as_bytes());
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0u8, |acc, (x, y)| acc | (x.to_ascii_uppercase() ^ y))
            == 0
}
