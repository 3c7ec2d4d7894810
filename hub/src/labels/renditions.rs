//! Carrier labels converted once: the first fetch of a label in another format, stock or
//! resolution than the carrier issued converts it and stores the result (`label_renditions`);
//! every later fetch is served the stored bytes. A conversion rasterizes the label (several ms
//! of CPU and several MB of memory), so concurrent first fetches of one rendition share one
//! conversion (single-flight), and conversions of different labels run at most one per core at
//! a time, so 64 concurrent first fetches hold 2 rasters on a 2-core machine, not 64.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

use shiphub_carriers::model::LabelFormat;
use time::OffsetDateTime;
use tokio::sync::{OnceCell, Semaphore};

use crate::error::Error;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::{RenditionKey, ShipmentRecord};
use shiphub_labels::RenderOptions as LabelOptions;

static FLIGHTS: LazyLock<Flights<(TenantId, RenditionKey)>> =
    LazyLock::new(|| Flights::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// One key's conversion: set once, shared by every caller that waited for it.
type Flight = Arc<OnceCell<Arc<Vec<u8>>>>;

/// Single-flight with a bound: one `make` per key at a time, however many callers wait for
/// it, and at most `permits` makes of any keys at once.
pub(super) struct Flights<K> {
    permits: Semaphore,
    flying: Mutex<HashMap<K, Flight>>,
}

impl<K: Clone + Eq + std::hash::Hash> Flights<K> {
    pub(super) fn new(permits: usize) -> Self {
        Flights {
            permits: Semaphore::new(permits.max(1)),
            flying: Mutex::new(HashMap::new()),
        }
    }

    /// The bytes for `key`: `make`'s, run under a permit, shared by every caller that asks
    /// while it runs. A failed `make` is not shared: the next waiter tries again.
    pub(super) async fn once<F, Fut>(&self, key: K, make: F) -> Result<Arc<Vec<u8>>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, Error>>,
    {
        let cell = Arc::clone(
            self.flying
                .lock()
                .expect("flights lock")
                .entry(key.clone())
                .or_default(),
        );
        let made = cell
            .get_or_try_init(|| async {
                let _permit = self.permits.acquire().await.expect("never closed");
                make().await.map(Arc::new)
            })
            .await
            .cloned();
        // The flight is over: later callers find the stored rendition (a caller that
        // missed it in the store and starts a new flight looks again inside it).
        let mut flying = self.flying.lock().expect("flights lock");
        if flying.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            flying.remove(&key);
        }
        made
    }
}

/// Whether the carrier's document is served as issued (no conversion): the same format on
/// the 4×6 stock at 203 dpi the adapters ask for. A PNG is always refitted (UPS's is a
/// 1400 × 800 landscape image), so it is a rendition too.
pub(super) fn as_issued(from: LabelFormat, to: LabelFormat, options: LabelOptions) -> bool {
    from == to && from != LabelFormat::Png && options == LabelOptions::default()
}

/// The shipment's carrier label (issued as `from`) in `to` on `options`: the stored rendition,
/// or converted now and stored. `options` carry no printer font (a carrier's label is redrawn
/// from its own pixels).
pub(super) async fn rendition(
    app: &AppState,
    tenant: &TenantId,
    s: &ShipmentRecord,
    from: LabelFormat,
    to: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    let key = RenditionKey {
        shipment_id: s.id.clone(),
        piece: 0,
        format: to.as_str(),
        stock: options.stock.as_str(),
        dpi: u16::try_from(options.dpi.dpi()).unwrap_or(u16::MAX),
    };
    if let Some(stored) = app.store.get_rendition(tenant, &key).await? {
        return Ok(stored);
    }
    let made = FLIGHTS
        .once((tenant.clone(), key.clone()), || async {
            if let Some(stored) = app.store.get_rendition(tenant, &key).await? {
                return Ok(stored);
            }
            let issued = app
                .store
                .get_document(tenant, &s.id, "label", from.as_str())
                .await?
                .ok_or_else(|| Error::Internal(format!("label document of {} missing", s.id)))?;
            // Conversions rasterize: keep them off the async workers.
            let bytes = tokio::task::spawn_blocking(move || {
                super::convert::convert_label(issued, from, to, options)
            })
            .await
            .map_err(|e| Error::Internal(format!("label conversion task: {e}")))??;
            // Counted per conversion: tests read it to see a rendition made once.
            metrics::counter!("shiphub_label_conversions_total", "format" => to.as_str())
                .increment(1);
            app.store
                .put_rendition(tenant, &key, &bytes, OffsetDateTime::now_utc())
                .await?;
            Ok(bytes)
        })
        .await?;
    Ok(Arc::unwrap_or_clone(made))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::watch;

    /// Lets every spawned task run until it waits (current-thread runtime: deterministic).
    async fn settle() {
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_callers_of_one_key_share_one_make() {
        let flights = Arc::new(Flights::new(2));
        let made = Arc::new(AtomicUsize::new(0));
        let (release, gate) = watch::channel(false);
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (flights, made, mut gate) = (flights.clone(), made.clone(), gate.clone());
                tokio::spawn(async move {
                    flights
                        .once("label", || async move {
                            made.fetch_add(1, Ordering::SeqCst);
                            gate.wait_for(|open| *open).await.unwrap();
                            Ok(b"%PDF converted".to_vec())
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        settle().await;
        assert_eq!(made.load(Ordering::SeqCst), 1, "one conversion in flight");
        release.send(true).unwrap();
        for caller in callers {
            assert_eq!(*caller.await.unwrap(), b"%PDF converted");
        }
        assert_eq!(
            made.load(Ordering::SeqCst),
            1,
            "every caller got the one result"
        );
        assert!(
            flights.flying.lock().unwrap().is_empty(),
            "the flight is over"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn makes_of_different_keys_run_at_most_permits_at_once() {
        let flights = Arc::new(Flights::new(2));
        let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (release, gate) = watch::channel(false);
        let callers: Vec<_> = (0..6)
            .map(|n| {
                let (flights, inside, most, mut gate) =
                    (flights.clone(), inside.clone(), most.clone(), gate.clone());
                tokio::spawn(async move {
                    flights
                        .once(n, || async move {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            gate.wait_for(|open| *open).await.unwrap();
                            inside.fetch_sub(1, Ordering::SeqCst);
                            Ok(vec![n])
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        settle().await;
        assert_eq!(
            inside.load(Ordering::SeqCst),
            2,
            "two at once, four waiting"
        );
        release.send(true).unwrap();
        for (n, caller) in callers.into_iter().enumerate() {
            assert_eq!(*caller.await.unwrap(), vec![n as u8]);
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_make_is_not_shared_and_the_next_caller_tries_again() {
        let flights = Flights::new(1);
        let failed = flights
            .once("k", || async { Err(Error::Internal("boom".into())) })
            .await;
        assert!(failed.is_err());
        let made = flights.once("k", || async { Ok(vec![1]) }).await.unwrap();
        assert_eq!(*made, vec![1]);
    }

    #[test]
    fn carrier_labels_are_served_as_issued_only_in_their_format_on_4x6_at_203() {
        use LabelFormat::{Pdf, Png, Zpl};
        let default = LabelOptions::default();
        assert!(as_issued(Zpl, Zpl, default));
        assert!(as_issued(Pdf, Pdf, default));
        assert!(!as_issued(Png, Png, default), "refitted to the stock");
        assert!(!as_issued(Zpl, Pdf, default));
        let at_300 = LabelOptions {
            dpi: shiphub_labels::Dpi::D300,
            ..default
        };
        assert!(!as_issued(Zpl, Zpl, at_300));
    }
}
