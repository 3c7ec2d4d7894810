//! SF's `msgDigest` and the form every std/service call is sent as.
//!
//! `msgDigest = Base64(MD5(urlencode(msgData + timestamp + checkword)))`: the concatenation is
//! URL-encoded form style (UTF-8, space as `+`, only `A-Z a-z 0-9 * - . _` left as they are:
//! what SF's Java SDK's `URLEncoder.encode(…, "UTF-8")` does and `url::form_urlencoded`
//! implements), MD5 is taken over the encoded ASCII, and its 16 raw bytes are Base64-encoded
//! (standard alphabet, padded).

use base64::Engine;
use md5::{Digest, Md5};

/// The digest of one call.
pub(super) fn digest(msg_data: &str, timestamp: &str, checkword: &str) -> String {
    let mut md5 = Md5::new();
    let plain = [msg_data, timestamp, checkword].concat();
    for chunk in url::form_urlencoded::byte_serialize(plain.as_bytes()) {
        md5.update(chunk.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(md5.finalize())
}

/// The six public parameters of one call, form-encoded in SF's order.
pub(super) struct Envelope<'a> {
    pub(super) partner_id: &'a str,
    pub(super) request_id: &'a str,
    pub(super) service_code: &'a str,
    pub(super) timestamp: &'a str,
    pub(super) msg_data: &'a str,
}

impl Envelope<'_> {
    /// `application/x-www-form-urlencoded` body, signed with `checkword`.
    pub(super) fn form(&self, checkword: &str) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("partnerID", self.partner_id)
            .append_pair("requestID", self.request_id)
            .append_pair("serviceCode", self.service_code)
            .append_pair("timestamp", self.timestamp)
            .append_pair("msgData", self.msg_data)
            .append_pair(
                "msgDigest",
                &digest(self.msg_data, self.timestamp, checkword),
            )
            .finish()
    }
}

/// Whether `got` is the digest of `msg_data` + `timestamp` under `key`, compared in constant
/// time (a push verified with the account's push secret; the simulator checks calls with it).
pub fn verify(msg_data: &str, timestamp: &str, key: &str, got: &str) -> bool {
    let want = digest(msg_data, timestamp, key);
    let (a, b) = (want.as_bytes(), got.trim().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors computed independently of this code, with Python's standard library:
    /// ```text
    /// python3 -c 'import hashlib,base64,urllib.parse
    /// m = <msgData>
    /// print(base64.b64encode(hashlib.md5(urllib.parse.quote_plus(m+"1700000000"+"fc34c561a34f").encode()).digest()).decode())'
    /// ```
    /// (`quote_plus` and `URLEncoder` differ only on `~` and `*`, which neither input has.)
    #[test]
    fn digest_matches_an_independent_computation() {
        let routes = r#"{"language":"0","trackingType":"1","trackingNumber":["SF7444407228423"],"methodType":"1"}"#;
        assert_eq!(
            digest(routes, "1700000000", "fc34c561a34f"),
            "H+xhaDHMnHKuasW0ZYj3IA=="
        );
        // Chinese text and a space (encoded as `+`) are part of what is hashed.
        let chinese = r#"{"contact":"郭襄阳","address":"环城东路 122号"}"#;
        assert_eq!(
            digest(chinese, "1700000000", "fc34c561a34f"),
            "dhxpPHdYYD+QOxCB25e9GA=="
        );
        assert!(verify(
            chinese,
            "1700000000",
            "fc34c561a34f",
            "dhxpPHdYYD+QOxCB25e9GA=="
        ));
        assert!(!verify(
            chinese,
            "1700000001",
            "fc34c561a34f",
            "dhxpPHdYYD+QOxCB25e9GA=="
        ));
        assert!(!verify(
            chinese,
            "1700000000",
            "wrong",
            "dhxpPHdYYD+QOxCB25e9GA=="
        ));
    }

    #[test]
    fn the_form_carries_six_fields_and_its_digest() {
        let e = Envelope {
            partner_id: "P1",
            request_id: "r-1",
            service_code: "EXP_RECE_SEARCH_ROUTES",
            timestamp: "1700000000",
            msg_data: r#"{"a":"顺丰 x"}"#,
        };
        let form = e.form("cw");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "partnerID",
                "requestID",
                "serviceCode",
                "timestamp",
                "msgData",
                "msgDigest"
            ]
        );
        assert_eq!(pairs[4].1, r#"{"a":"顺丰 x"}"#);
        assert_eq!(pairs[5].1, digest(r#"{"a":"顺丰 x"}"#, "1700000000", "cw"));
    }
}
