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

use crate::engine::{RUN_LABEL, remove_container};
use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use testcontainers::bollard::query_parameters::ListContainersOptionsBuilder;

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
    let Ok(docker) = testcontainers::core::client::docker_client_instance().await else {
        return;
    };
    let filters = HashMap::from([("label", vec![format!("{RUN_LABEL}={run}")])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let Ok(containers) = docker.list_containers(Some(options)).await else {
        return;
    };
    for id in containers.into_iter().filter_map(|c| c.id) {
        remove_container(&docker, &id).await;
    }
}
