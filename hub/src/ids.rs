//! Prefixed, time-ordered ids (`shp_0193…`): a uuid v7 in hex behind a type prefix, so ids
//! sort by creation time (cursor pagination) and say what they point at.

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// This process, as the owner of what it leases (idempotency keys, background pulls): one per
/// process, so a restarted hub is a new owner and recovers its predecessor's work like any
/// other instance's.
pub fn instance() -> &'static str {
    static ID: LazyLock<String> =
        LazyLock::new(|| format!("inst_{}", uuid::Uuid::now_v7().simple()));
    &ID
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, uuid::Uuid::now_v7().simple()))
            }
            /// An id from input; `None` unless it has this type's prefix and a 32-hex body.
            pub fn parse(s: &str) -> Option<Self> {
                let body = s.strip_prefix($prefix)?.strip_prefix('_')?;
                (body.len() == 32 && body.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| Self(s.to_string()))
            }
            /// An id read back from the store (trusted).
            pub fn from_db(s: String) -> Self {
                Self(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(TenantId, "ten");
prefixed_id!(ApiKeyId, "key");
prefixed_id!(AccountId, "car");
prefixed_id!(ShipmentId, "shp");
prefixed_id!(DocumentId, "doc");
prefixed_id!(EventId, "evt");
prefixed_id!(StationId, "pst");
prefixed_id!(PrintJobId, "pjb");
prefixed_id!(WebhookId, "whk");
prefixed_id!(DeliveryId, "whd");
prefixed_id!(AttemptId, "wha");
prefixed_id!(TrackerId, "trk");
prefixed_id!(ReconciliationId, "rec");
prefixed_id!(PickupId, "pku");
prefixed_id!(ManifestId, "mnf");
prefixed_id!(BatchId, "bat");
prefixed_id!(UserId, "usr");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_their_own_prefix_and_sort_by_time() {
        let a = ShipmentId::generate();
        let b = ShipmentId::generate();
        assert!(a < b);
        assert_eq!(ShipmentId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(AccountId::parse(a.as_str()), None);
        assert_eq!(ShipmentId::parse("shp_123"), None);
    }
}
