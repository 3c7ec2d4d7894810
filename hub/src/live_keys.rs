//! Idempotency keys this process is still working on, whatever their lease in the store says
//! (key recovery skips them: see `Live`).

use crate::ids::TenantId;

/// Keys this process is still working on or settling. Their leases may have run out in the
/// store while the database was away (renewals failed), but their process is alive:
/// recovering them here would take a live request for a dead one (a purchase whose void or
/// release is waiting for the database would be answered "outcome unknown").
static LIVE: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<(String, String), usize>>,
> = std::sync::LazyLock::new(Default::default);

pub(crate) struct Live((String, String));

impl Live {
    pub(crate) fn enter(tenant: &TenantId, key: &str) -> Live {
        let id = (tenant.to_string(), key.to_string());
        *LIVE
            .lock()
            .expect("live keys")
            .entry(id.clone())
            .or_default() += 1;
        Live(id)
    }

    pub(crate) fn is_live(tenant: &TenantId, key: &str) -> bool {
        LIVE.lock()
            .expect("live keys")
            .contains_key(&(tenant.to_string(), key.to_string()))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut live = LIVE.lock().expect("live keys");
        if let Some(n) = live.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                live.remove(&self.0);
            }
        }
    }
}
