//! Work done once per key for the whole run, such as starting the resident
//! container of an image: every caller with the same key waits for the first
//! and gets the same value.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::OnceCell;

pub struct OncePerKey<V: 'static> {
    slots: Mutex<BTreeMap<String, &'static OnceCell<V>>>,
}

impl<V: Send + Sync + 'static> OncePerKey<V> {
    pub const fn new() -> Self {
        OncePerKey {
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    /// The value for `key`, made by `make` on the first call.
    pub async fn get<F: Future<Output = V>>(
        &self,
        key: &str,
        make: impl FnOnce() -> F,
    ) -> &'static V {
        let slot = {
            // A test that panicked while holding the lock left the map usable.
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Leaked on purpose: one cell per key, kept until the process ends.
            *slots
                .entry(key.to_owned())
                .or_insert_with(|| Box::leak(Box::new(OnceCell::new())))
        };
        slot.get_or_init(make).await
    }
}
