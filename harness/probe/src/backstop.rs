//! The backstop of a container that must look, from inside, as `docker run
//! -d` starts it ([`Backstop::Watched`](crate::confinement::Backstop)): no
//! limit it can read, its processes and memory counted by the engine from
//! outside, and the container killed past the same bounds a limit would
//! set.
//!
//! An image that looked for `pids.max` = 4096 (the backstop as a limit)
//! dropped to its user and answered SIGTERM only then, and passed `user`
//! and `stops` (2026-12-07). A limit on a parent cgroup would be exact and
//! unseen on cgroup v2, but needs the host's cgroup tree, which a client of
//! the engine's API does not have, and shows in `/proc/self/cgroup` on v1.
//!
//! The price is exactness: the engine's stats come once a second, so a
//! fork bomb or an allocation runs that long past the bound before the
//! kill (the limits' exact stop is kept for every other run).

use crate::confinement::{BACKSTOP_MEMORY_BYTES, BACKSTOP_PIDS_LIMIT};
use crate::progress::say;
use futures::StreamExt;
use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{KillContainerOptionsBuilder, StatsOptionsBuilder};

/// What the engine counted of a container, and whether it passes the backstop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    pub processes: u64,
    pub memory_bytes: u64,
}

impl Counted {
    /// The bound it passes, in words, if any.
    pub fn past_the_backstop(&self) -> Option<String> {
        let pids = u64::try_from(BACKSTOP_PIDS_LIMIT).unwrap_or(u64::MAX);
        let memory = u64::try_from(BACKSTOP_MEMORY_BYTES).unwrap_or(u64::MAX);
        if self.processes > pids {
            Some(format!("{} processes, past {pids}", self.processes))
        } else if self.memory_bytes > memory {
            Some(format!(
                "{} bytes of memory, past {memory}",
                self.memory_bytes
            ))
        } else {
            None
        }
    }
}

/// Watches the container `id` of `image` until it is gone, and kills it if
/// it passes the backstop, saying so on stderr (its trial then fails on
/// the exit it did not choose).
pub fn watch(docker: &Docker, id: &str, image: &str) {
    let (docker, id, image) = (docker.clone(), id.to_owned(), image.to_owned());
    tokio::spawn(async move {
        // One sample a call, as the engine's collector makes them (each
        // second, Docker 20.10): the call itself paces the loop.
        let options = StatsOptionsBuilder::new()
            .stream(false)
            .one_shot(true)
            .build();
        loop {
            let sample = docker.stats(&id, Some(options.clone())).next().await;
            let Some(Ok(stats)) = sample else {
                return;
            };
            if stats.read.is_none() && stats.pids_stats.is_none() {
                return;
            }
            let counted = Counted {
                processes: stats.pids_stats.and_then(|pids| pids.current).unwrap_or(0),
                memory_bytes: stats
                    .memory_stats
                    .and_then(|memory| memory.usage)
                    .unwrap_or(0),
            };
            if let Some(past) = counted.past_the_backstop() {
                say(&format!(
                    "a container of {image} ran {past} (the backstop, watched from outside): killed"
                ));
                let kill = KillContainerOptionsBuilder::new().signal("SIGKILL").build();
                let _ = docker.kill_container(&id, Some(kill)).await;
                return;
            }
            // An engine that answers at once (a stopped container's empty
            // sample) is not asked again at once.
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_or_memory_past_the_bound_pass_the_backstop() {
        let within = Counted {
            processes: 4096,
            memory_bytes: 4 << 30,
        };
        assert_eq!(within.past_the_backstop(), None);
        let forked = Counted {
            processes: 4097,
            ..within
        };
        assert_eq!(
            forked.past_the_backstop().as_deref(),
            Some("4097 processes, past 4096")
        );
        let grown = Counted {
            memory_bytes: (4 << 30) + 1,
            ..within
        };
        assert!(grown.past_the_backstop().is_some());
    }
}
