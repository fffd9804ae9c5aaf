//! Clean-up that runs when a value is dropped, also while a test panics: a
//! container or a temporary tag must not outlive the test that made it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long a drop waits for its clean-up before giving up on it.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs its work on the suite's runtime when dropped, and waits for it.
pub struct OnDrop(Option<Work>);

impl OnDrop {
    pub fn new(work: impl Future<Output = ()> + Send + 'static) -> Self {
        OnDrop(Some(Box::pin(work)))
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let Some(work) = self.0.take() else {
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
