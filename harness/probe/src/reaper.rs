//! The reaper: what a run's containers become when its process is killed.
//! A container is removed when the value that owns it is dropped, and the
//! run's end removes the rest, but SIGKILL (or Ctrl-C) runs neither. So
//! connecting to the engine starts a second process, this same executable in
//! its own process group, holding the read end of a pipe from this one:
//! when this process ends, however it ends, the kernel closes the pipe, and
//! the reaper removes every container labelled with this run's id.
//! testcontainers' own reaper, Ryuk, is an image from a registry; this needs
//! none.
//!
//! An executable serves as its own reaper by calling [`serve_if_asked`]
//! first thing in `main`; the entry points of `image-claims` do.
//!
//! A reaper that finds no engine (it was killed or is restarting) tries
//! again for [`REAPER_PATIENCE`]. What is left after that is removed by
//! the next run on the same machine: every container carries its run's
//! owner (this boot, the PID namespace, the process ID and the process's
//! start time), and a run starting removes the containers of every owner of
//! this boot and namespace whose process is gone. A run on another machine,
//! or in another container, sharing the engine is never taken for gone.

use crate::engine::{
    HARNESS_LABEL, RUN_LABEL, RUN_LABEL_VALUE, containers_with_label, remove_container,
};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use testcontainers::bollard::Docker;

/// Every container of a run also carries its owner, [`owner_of_this_process`].
pub const OWNER_LABEL: &str = "org.image-claims.owner";

/// How long a reaper keeps trying an engine that does not answer, as one
/// restarting does.
pub const REAPER_PATIENCE: Duration = Duration::from_secs(120);
const REAPER_RETRY: Duration = Duration::from_secs(2);

/// Tells the reaper process which run is its own.
const REAPER_VARIABLE: &str = "IMAGE_CLAIMS_REAPER_FOR";

/// Set by [`serve_if_asked`]: this executable can be started as a reaper.
static SERVES_AS_REAPER: AtomicBool = AtomicBool::new(false);

/// The reaper process; dropping it (at the end of the run) closes its pipe.
pub struct Reaper {
    _child: Child,
}

impl Reaper {
    /// Starts the reaper for `run`. Without one the run still works; a
    /// killed run then leaves its containers.
    pub fn start(run: &str) -> Result<Reaper, String> {
        if !SERVES_AS_REAPER.load(Ordering::Relaxed) {
            return Err("this executable does not call reaper::serve_if_asked".to_owned());
        }
        let binary =
            std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
        let child = Command::new(binary)
            .env(REAPER_VARIABLE, run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C meant for the run does not reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the reaper: {e}"))?;
        Ok(Reaper { _child: child })
    }
}

/// If this process was started as a reaper, waits for the end of its run
/// and removes the run's containers, then returns `true`: `main` should
/// return at once. Otherwise records that this executable can serve as a
/// reaper and returns `false`.
pub fn serve_if_asked() -> bool {
    let Ok(run) = std::env::var(REAPER_VARIABLE) else {
        SERVES_AS_REAPER.store(true, Ordering::Relaxed);
        return false;
    };
    let mut rest = Vec::new();
    // Returns at end of input: the run's process has ended.
    let _ = std::io::stdin().read_to_end(&mut rest);
    if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        runtime.block_on(remove_run(&run));
    }
    true
}

async fn remove_run(run: &str) {
    let attempts = REAPER_PATIENCE.as_secs() / REAPER_RETRY.as_secs();
    for _ in 0..attempts {
        if let Ok(docker) = testcontainers::core::client::docker_client_instance().await
            && let Ok(containers) = containers_with_label(&docker, RUN_LABEL, run).await
        {
            for id in containers.into_iter().filter_map(|c| c.id) {
                remove_container(&docker, &id).await;
            }
            return;
        }
        tokio::time::sleep(REAPER_RETRY).await;
    }
}

/// This process as an owner of containers: `BOOT/NAMESPACE/PID/START`,
/// this boot's ID, its PID namespace (a process ID means nothing in
/// another), the process ID, and the process's start time in clock ticks
/// after boot (which a later process of the same ID does not share); `None`
/// where /proc does not say.
pub fn owner_of_this_process() -> Option<String> {
    let pid = std::process::id();
    let start = process_start(pid)?;
    Some(format!("{}/{}/{pid}/{start}", boot_id()?, pid_namespace()?))
}

/// This process's PID namespace, as `pid:[4026531836]`.
fn pid_namespace() -> Option<String> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(link.to_string_lossy().into_owned())
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_owned())
}

/// Field 22 of /proc/PID/stat, counted after the command's name (which may
/// hold spaces and parentheses).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `owner` is a process of this boot and PID namespace that has ended.
fn is_gone(owner: &str) -> bool {
    let parts: Vec<&str> = owner.split('/').collect();
    let [boot, namespace, pid, start] = parts.as_slice() else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    let here =
        boot_id().as_deref() == Some(*boot) && pid_namespace().as_deref() == Some(*namespace);
    here && process_start(pid) != Some(start)
}

/// Removes every container of a run whose process, of this boot, is gone:
/// what a run killed while its engine was down, or restarting, left behind.
/// Returns how many it removed.
pub async fn remove_abandoned(docker: &Docker) -> usize {
    let Ok(containers) = containers_with_label(docker, HARNESS_LABEL, RUN_LABEL_VALUE).await else {
        return 0;
    };
    let mut removed = 0;
    for container in containers {
        let owner = container
            .labels
            .as_ref()
            .and_then(|labels| labels.get(OWNER_LABEL))
            .cloned();
        if let (Some(id), Some(owner)) = (container.id, owner)
            && is_gone(&owner)
        {
            remove_container(docker, &id).await;
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_not_gone_and_one_of_another_start_is() {
        let owner = owner_of_this_process().expect("/proc says who this process is");
        assert!(!is_gone(&owner), "{owner}");
        let (boot_namespace_pid, start) = owner.rsplit_once('/').expect("four parts");
        let start: u64 = start.parse().expect("a number");
        assert!(is_gone(&format!("{boot_namespace_pid}/{}", start + 1)));
        // Another boot's or namespace's process may be anything: never taken for gone.
        let (boot, rest) = owner.split_once('/').expect("four parts");
        assert!(!is_gone(
            &format!("another-boot/{rest}").replace(&start.to_string(), "1")
        ));
        let (_, pid_start) = rest.split_once('/').expect("four parts");
        assert!(!is_gone(
            &format!("{boot}/pid:[1]/{pid_start}").replace(&start.to_string(), "1")
        ));
        assert!(!is_gone("not an owner"));
    }
}
