//! The reaper: what this process's containers become when it is killed.
//! A container the suite made is removed when the value that owns it is
//! dropped, but SIGKILL (or Ctrl-C) drops nothing. So the first use of the
//! engine starts a second process, this test binary again in its own process
//! group, holding the write end of a pipe from this one: when this process
//! ends, however it ends, the kernel closes the pipe, and the reaper removes
//! every container labelled with this run's [`RUN_LABEL`] before it exits.
//! testcontainers' own reaper, Ryuk, is an image from a registry; this needs
//! none.

use crate::probe::engine::{containers_labelled, remove_container};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, Mutex};

/// Every container of this run carries this label, valued [`run_id`].
pub const RUN_LABEL: &str = "org.calc.suite.run";

/// Tells the reaper process which run is its own.
const REAPER_VARIABLE: &str = "CALC_SUITE_REAPER_FOR";

/// The reaper's entry point in this binary, run by name with `--ignored`.
const REAPER_TEST: &str = "probe::reaper::reap_the_runs_containers_when_the_run_ends";

/// This run, unique across the processes that share an engine.
pub fn run_id() -> &'static str {
    static ID: LazyLock<String> = LazyLock::new(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        format!("{}-{nanos}", std::process::id())
    });
    &ID
}

/// The reaper process, kept (and its pipe open) for as long as this one lives.
static REAPER: Mutex<Option<Child>> = Mutex::new(None);

/// Starts the reaper, once. Without it the run still works; a killed run
/// then leaves its containers, which `.ci/no-leftover-containers` reports.
pub fn start() -> Result<(), String> {
    let mut reaper = REAPER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // A reaper starts no reaper of its own.
    if reaper.is_some() || std::env::var_os(REAPER_VARIABLE).is_some() {
        return Ok(());
    }
    let binary =
        std::env::current_exe().map_err(|e| format!("cannot find this test binary: {e}"))?;
    let child = Command::new(binary)
        .args([
            REAPER_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--quiet",
        ])
        .env(REAPER_VARIABLE, run_id())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C meant for the run does not reach it.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the reaper: {e}"))?;
    *reaper = Some(child);
    Ok(())
}

/// Not a test: the reaper's body, which does nothing unless this binary was
/// started as a reaper by [`start`]. It waits for the end of its stdin, the
/// end of the run that started it, then removes that run's containers.
#[test]
#[ignore = "the reaper's entry point, run by the suite itself"]
fn reap_the_runs_containers_when_the_run_ends() {
    let Ok(run) = std::env::var(REAPER_VARIABLE) else {
        return;
    };
    let mut rest = Vec::new();
    // Returns at end of input: the run's process has ended.
    let _ = std::io::stdin().read_to_end(&mut rest);
    crate::block_on(async {
        if let Ok(ids) = containers_labelled(RUN_LABEL, &run).await {
            for id in ids {
                remove_container(&id).await;
            }
        }
    });
}
