//! Clean-up that runs when a value is dropped, also while a trial panics: a
//! container or a temporary tag must not outlive the trial that made it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

/// How long a drop waits for its clean-up before giving up on it.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs its work on the current async runtime when dropped, and waits for
/// it. The work sits behind a lock only so that a value holding an `OnDrop`
/// can be shared between threads.
pub struct OnDrop(Mutex<Option<Work>>);

impl OnDrop {
    pub fn new(work: impl Future<Output = ()> + Send + 'static) -> Self {
        OnDrop(Mutex::new(Some(Box::pin(work))))
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let work = self
            .0
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(work) = work else {
            return;
        };
        let (done, wait) = std::sync::mpsc::channel();
        // The work runs on a runtime worker; this thread only waits for it.
        tokio::runtime::Handle::current().spawn(async move {
            work.await;
            let _ = done.send(());
        });
        let _ = wait.recv_timeout(CLEANUP_TIMEOUT);
    }
}
