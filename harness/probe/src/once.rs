//! Work done once per key for as long as its owner lives, such as starting
//! the resident container of an image: every caller with the same key waits
//! for the first and gets a copy of the same value.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub struct OncePerKey<V> {
    slots: Mutex<BTreeMap<String, Arc<OnceCell<V>>>>,
}

impl<V> Default for OncePerKey<V> {
    fn default() -> Self {
        OncePerKey {
            slots: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<V: Clone> OncePerKey<V> {
    /// The value for `key`, made by `make` on the first call.
    pub async fn get<F: Future<Output = V>>(&self, key: &str, make: impl FnOnce() -> F) -> V {
        let slot = {
            // A thread that panicked while holding the lock left the map usable.
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(slots.entry(key.to_owned()).or_default())
        };
        slot.get_or_init(make).await.clone()
    }

    /// Drops every value, here: a value whose drop needs the async runtime
    /// (a container removed) is cleared inside it.
    pub fn clear(&self) {
        let slots = std::mem::take(
            &mut *self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        drop(slots);
    }
}
