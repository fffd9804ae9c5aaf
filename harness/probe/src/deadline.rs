//! How long each request that an image can make slow may take. An image
//! controls what its program does and what its files hold, so a start, a
//! listing of its processes or of its files, and a build each have a
//! deadline, past which the request fails with what it was doing.

use crate::error::ProbeError;
use bytes::Bytes;
use futures::channel::oneshot;
use futures::{Stream, StreamExt, TryStreamExt};
use std::future::Future;
use std::time::Duration;
use testcontainers::bollard::errors::Error as BollardError;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// A resident container's start: the engine answers once its program runs.
pub const RESIDENT_START: Duration = Duration::from_secs(60);
/// `docker top`, which runs `ps` on the engine's host.
pub const PROCESS_LISTING: Duration = Duration::from_secs(30);
/// Reading an image's file system (`docker export`) or its layers (`docker
/// save`): the bloated control's 1.8 GB took about 30 s (2026-12-01).
pub const IMAGE_READING: Duration = Duration::from_secs(600);
/// A build: the coldest here, the arm64 images', took 5 min 47 s.
pub const BUILD: Duration = Duration::from_secs(1800);

/// `work` within `deadline`, or a [`ProbeError::Bound`] that says what was
/// being done.
pub async fn within<T>(
    deadline: Duration,
    doing: &str,
    work: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(ProbeError::Bound {
            what: format!("{doing} took more than {}", shown(deadline)),
            bound: shown(deadline),
        }),
    }
}

/// A blocking reader of `stream`, for a thread of its own, and a guard to
/// keep in the async function that waits for that thread: when the
/// function's future is dropped (its deadline passed), the guard goes with
/// it, the stream ends, and the thread reading it ends too.
pub(crate) fn abandonable_reader(
    stream: impl Stream<Item = Result<Bytes, BollardError>> + Send + 'static,
) -> (impl std::io::Read + Send + 'static, oneshot::Sender<()>) {
    let (guard, abandoned) = oneshot::channel::<()>();
    let stream = stream
        .map_err(std::io::Error::other)
        .take_until(abandoned)
        .boxed();
    (SyncIoBridge::new(StreamReader::new(stream)), guard)
}

/// `600 s`, or `10 ms` under a second.
fn shown(deadline: Duration) -> String {
    if deadline.as_secs() >= 1 {
        format!("{} s", deadline.as_secs())
    } else {
        format!("{} ms", deadline.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_past_its_deadline_fails_saying_what_it_was_doing() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let slow = async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<(), ProbeError>(())
        };
        let late = runtime.block_on(within(
            Duration::from_millis(10),
            "reading its file system (docker export)",
            slow,
        ));
        let message = late.err().map(|error| error.to_string());
        assert!(
            message.as_deref().is_some_and(|said| said
                .starts_with("reading its file system (docker export) took more than 10 ms")),
            "{message:?}"
        );
    }
}
