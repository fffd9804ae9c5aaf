//! Asking a container to stop, as `docker stop` does, and watching what its
//! main process does: a fresh container of the image, started as it stays
//! running, sent one signal through the engine's kill endpoint, then
//! watched until it exits or its time is up.
//!
//! `docker stop` sends the signal, waits, then has the engine send SIGKILL.
//! Here no SIGKILL is sent before the time is up, so an exit within it is
//! the process's own answer to the signal; a container still running then
//! is killed and removed, and that is the observation.
//!
//! The engine's own share of a stop (delivering the signal, seeing the
//! process gone, tearing the container down, answering the wait) is
//! measured at the same moment on a twin: a second container of the same
//! request, killed with SIGKILL as the first is signalled. On a loaded or
//! slow machine that share grows to seconds (0.25 of a core: see the book's
//! faults page), and a time claim counted on it would blame the image for
//! the engine. The container is watched for its time plus the twin's, and
//! [`Stopped::own_time`] is what the process took.

use crate::confinement::Confinement;
use crate::engine::{Engine, RequestLabel};
use crate::error::ProbeError;
use crate::network::published_address;
use crate::readiness::{Reachable, ReadyWhen};
use crate::resident::{Fresh, Residence, StartAs};
use crate::signal_state::Disposition;
use futures::StreamExt;
use std::time::Duration;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::query_parameters::{
    KillContainerOptionsBuilder, TopOptionsBuilder, WaitContainerOptions,
};
use tokio::time::Instant;

/// What `docker stop` sends when the image names no stop signal.
pub const DEFAULT_STOP_SIGNAL: &str = "SIGTERM";

/// How long a container may take to be running its own program, not the
/// runtime's init, once started, and then to settle (see [`Readiness::Running`]).
const EXEC_DEADLINE: Duration = Duration::from_secs(20);
const EXEC_POLL: Duration = Duration::from_millis(20);
/// How long the engine may take to report the exit of the SIGKILLed twin:
/// beyond it, the engine is too slow for a stop to be judged at all.
const TWIN_DEADLINE: Duration = Duration::from_secs(60);

/// How the container shows that it is ready to be asked to stop.
#[derive(Clone, Debug)]
pub enum Readiness {
    /// Its program runs and has settled: its main process has a handler
    /// for the signal installed, or is seen asleep twice in a row (waiting
    /// on input or a child, its start done). No fixed time: a program slow
    /// to install its handlers is waited for, up to [`EXEC_DEADLINE`].
    Running,
    /// Ready as `when` says, within `within`, with `when`'s port published.
    When { when: ReadyWhen, within: Duration },
}

/// One stop to try.
#[derive(Clone, Debug)]
pub struct StopRequest {
    pub image: String,
    pub residence: Residence,
    /// What it starts with in place of the image's own, as a resident.
    pub start: StartAs,
    pub readiness: Readiness,
    /// The signal, by name (`SIGTERM`); `docker stop` sends the image's
    /// own ([`ImageConfig::stop_signal_sent`](crate::ImageConfig::stop_signal_sent)).
    pub signal: String,
    /// How long the container is watched after the signal.
    pub within: Duration,
    /// How long after it is ready it is sent the signal.
    pub after: Duration,
    pub confinement: Confinement,
}

/// What the container did when asked to stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The signal sent.
    pub signal: String,
    pub outcome: StopOutcome,
    /// How long the engine took to report the exit of the twin, killed with
    /// SIGKILL at the same moment: its share of any stop.
    pub engine_share: Duration,
    /// What the main process did with the signal when it was sent, as the
    /// kernel recorded it; `None` where the engine did not show it.
    pub disposition: Option<Disposition>,
}

impl Stopped {
    /// How long the process itself took to exit: the time observed less the
    /// engine's share. `None` while it still ran.
    pub fn own_time(&self) -> Option<Duration> {
        match self.outcome {
            StopOutcome::Exited { after, .. } => Some(after.saturating_sub(self.engine_share)),
            StopOutcome::StillRunning { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// Its main process exited by itself, `after` the signal was sent.
    Exited { code: i64, after: Duration },
    /// Still running when its time was up; then killed.
    StillRunning { after: Duration },
}

impl Engine {
    /// Starts a container of the request's image and its twin, waits until
    /// both are ready and then the request's `after`, sends the container the signal and the twin SIGKILL,
    /// and watches the container for the request's time plus the engine's
    /// share, which the twin measures. Both are removed in every case.
    pub async fn ask_to_stop(&self, request: &StopRequest) -> Result<Stopped, ProbeError> {
        let label = self.new_request();
        let image = &request.image;
        let (subject, twin) = futures::try_join!(
            self.start_ready_to_stop(request, &label),
            self.start_ready_to_stop(request, &label)
        )?;
        tokio::time::sleep(request.after).await;
        let signal = request.signal.clone();
        let disposition = self
            .main_process_signals(&subject.id)
            .await
            .ok()
            .and_then(|state| state.disposition(&signal));
        // Waiting starts before the signals, so that a fast exit is not missed.
        let mut subject_waiting = self
            .docker()
            .wait_container(&subject.id, None::<WaitContainerOptions>);
        let mut twin_waiting = self
            .docker()
            .wait_container(&twin.id, None::<WaitContainerOptions>);
        let sent = Instant::now();
        futures::try_join!(
            self.send_signal(&subject.id, image, &signal),
            self.send_signal(&twin.id, image, "SIGKILL")
        )?;
        let engine_share = match tokio::time::timeout(TWIN_DEADLINE, twin_waiting.next()).await {
            Ok(_) => sent.elapsed(),
            Err(_) => {
                return Err(ProbeError::StillRunning {
                    after: TWIN_DEADLINE,
                    left: Some(format!(
                        "a container of {image} killed with SIGKILL, which the engine had not \
                         reported exited: the engine is too slow for a stop to be judged"
                    )),
                });
            }
        };
        let watched = request.within + engine_share;
        let remaining = watched.saturating_sub(sent.elapsed());
        let outcome = match tokio::time::timeout(remaining, subject_waiting.next()).await {
            Err(_) => StopOutcome::StillRunning { after: watched },
            Ok(waited) => {
                let after = sent.elapsed();
                let code = match waited {
                    Some(Ok(exit)) => exit.status_code,
                    Some(Err(BollardError::DockerContainerWaitError { code, .. })) => code,
                    Some(Err(error)) => {
                        return Err(ProbeError::engine(format!("wait for {image}"), error));
                    }
                    None => return Err(ProbeError::missing(format!("exit status of {image}"))),
                };
                StopOutcome::Exited { code, after }
            }
        };
        Ok(Stopped {
            signal,
            outcome,
            engine_share,
            disposition,
        })
    }

    /// A fresh container of the request, started and ready to be asked to
    /// stop, as its readiness says.
    async fn start_ready_to_stop(
        &self,
        request: &StopRequest,
        label: &RequestLabel,
    ) -> Result<Fresh, ProbeError> {
        let image = &request.image;
        let ports: Vec<u16> = match &request.readiness {
            Readiness::When { when, .. } => when.port().into_iter().collect(),
            Readiness::Running => vec![],
        };
        let started = self
            .start_fresh(
                image,
                request.residence,
                &request.start,
                &request.confinement,
                &ports,
                label,
            )
            .await?;
        match &request.readiness {
            Readiness::Running => {
                self.wait_for_its_program(&started.id, image).await?;
                self.wait_settled(&started.id, image, &request.signal)
                    .await?;
            }
            Readiness::When { when, within } => {
                let mut addresses = Vec::new();
                for &port in &ports {
                    let address =
                        published_address(self.docker(), &started.id, image, port).await?;
                    addresses.push((port, address));
                }
                let reachable = Reachable {
                    id: &started.id,
                    addresses: &addresses,
                };
                self.wait_ready(reachable, when, *within).await?;
            }
        }
        Ok(started)
    }

    /// Waits until the main process catches `signal`, or is seen asleep on
    /// two readings in a row (see [`Readiness::Running`]).
    async fn wait_settled(&self, id: &str, image: &str, signal: &str) -> Result<(), ProbeError> {
        let until = Instant::now() + EXEC_DEADLINE;
        let mut asleep_before = false;
        loop {
            let state = self.main_process_signals(id).await?;
            if state.disposition(signal) == Some(Disposition::Caught)
                || (state.is_asleep() && asleep_before)
            {
                return Ok(());
            }
            asleep_before = state.is_asleep();
            if Instant::now() >= until {
                return Err(ProbeError::StillRunning {
                    after: EXEC_DEADLINE,
                    left: Some(format!(
                        "a container of {image} whose main process neither caught {signal} \
                         nor waited (state {}) when it was to be asked to stop",
                        state.state
                    )),
                });
            }
            tokio::time::sleep(EXEC_POLL).await;
        }
    }

    /// Sends `signal` to the running container `id` and waits up to
    /// `within` for its exit: its exit code, or `None` while it still runs.
    /// No twin: for a run that only needs to know whether it stopped.
    pub async fn signal_and_wait(
        &self,
        id: &str,
        image: &str,
        signal: &str,
        within: Duration,
    ) -> Result<Option<i64>, ProbeError> {
        let mut waiting = self
            .docker()
            .wait_container(id, None::<WaitContainerOptions>);
        self.send_signal(id, image, signal).await?;
        match tokio::time::timeout(within, waiting.next()).await {
            Err(_) => Ok(None),
            Ok(Some(Ok(exit))) => Ok(Some(exit.status_code)),
            Ok(Some(Err(BollardError::DockerContainerWaitError { code, .. }))) => Ok(Some(code)),
            Ok(Some(Err(error))) => Err(ProbeError::engine(format!("wait for {image}"), error)),
            Ok(None) => Err(ProbeError::missing(format!("exit status of {image}"))),
        }
    }

    async fn send_signal(&self, id: &str, image: &str, signal: &str) -> Result<(), ProbeError> {
        self.docker()
            .kill_container(
                id,
                Some(KillContainerOptionsBuilder::new().signal(signal).build()),
            )
            .await
            .map_err(|e| ProbeError::engine(format!("send {signal} to a container of {image}"), e))
    }

    /// Waits until the container runs its own program: `docker top` shows
    /// a process that is not the runtime's init, which execs it.
    async fn wait_for_its_program(&self, id: &str, image: &str) -> Result<(), ProbeError> {
        let options = TopOptionsBuilder::new().ps_args("-o pid,comm").build();
        let until = Instant::now() + EXEC_DEADLINE;
        loop {
            // A container that exited has no processes to list: the top
            // request fails, and the deadline or the stop says so. An
            // engine gone is said at once, not as a program that never ran.
            match self.docker().top_processes(id, Some(options.clone())).await {
                Ok(top) => {
                    let programs = top.processes.unwrap_or_default();
                    if programs
                        .iter()
                        .any(|process| process.last().is_some_and(|comm| !comm.starts_with("runc")))
                    {
                        return Ok(());
                    }
                }
                Err(error) => {
                    let error = ProbeError::engine(
                        format!("list the processes of a container of {image}"),
                        error,
                    );
                    if error.is_engine_gone() {
                        return Err(error);
                    }
                }
            }
            if Instant::now() >= until {
                return Err(ProbeError::StillRunning {
                    after: EXEC_DEADLINE,
                    left: Some(format!(
                        "a container of {image} whose program had not started (the runtime's \
                         init still ran) when it was to be asked to stop"
                    )),
                });
            }
            tokio::time::sleep(EXEC_POLL).await;
        }
    }
}
