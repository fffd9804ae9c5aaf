//! Resident containers: one per image and confinement, started on first use
//! and kept for the whole run as the target of `docker exec` and `docker
//! top`, at a tenth of the cost of a container per check.
//!
//! An image stays resident in one of two ways, which its row says:
//! - its program waits on standard input (as calc does): this process holds
//!   that stdin open, and when the process ends, however it ends, the
//!   engine closes it, the program reads end of input and exits, and the
//!   engine removes the container (AutoRemove);
//! - its own command runs until stopped (a server): the run's end removes
//!   it, or the reaper does.

use crate::backstop;
use crate::cleanup::OnDrop;
use crate::confinement::{Backstop, Confinement};
use crate::deadline::{self, within};
use crate::engine::Engine;
use crate::engine::RequestLabel;
use crate::error::ProbeError;
use crate::network::publish;
use crate::outcome::Outcome;
use crate::run::{
    RunRequest, Writer, container_body, exchange, remove_on_drop, runtime_said_after_failure,
    without_stdin,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use testcontainers::bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions,
};
use tokio::sync::Semaphore;

/// Execs at once in one container; more wait their turn. Each exec's runtime
/// init runs its threads inside the container's pids limit, beside what
/// already runs there, so a limit sized for this many execs holds however
/// many trials run at once (calc's specification sizes its limit for two).
pub const EXECS_AT_ONCE: usize = 2;

/// Execs at once in a container under no pids limit of its own (the
/// engine's backstop alone): an exec waits on the engine as much as it
/// computes, so more at once finish sooner, up to about this many on two
/// cores.
pub const UNLIMITED_EXECS_AT_ONCE: usize = 4;

/// How long an exec may run: a program that takes longer has hung.
pub const EXEC_DEADLINE: Duration = Duration::from_secs(30);

/// How long a finished exec may take to report its exit code.
const EXEC_EXIT_TIMEOUT: Duration = Duration::from_secs(5);
const EXEC_EXIT_POLL: Duration = Duration::from_millis(10);

/// How an image stays running while the run execs into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Residence {
    /// Its entrypoint waits on standard input, which is held open.
    StdinHeldOpen,
    /// Its default command runs until stopped.
    OwnCommand,
}

/// What `docker exec` is given besides the container and stdin.
#[derive(Clone, Debug, Default)]
pub struct ExecRequest {
    pub command: Vec<String>,
    /// `NAME=value`, besides the container's environment.
    pub env: Vec<String>,
    /// `--user`; unset, the container's.
    pub user: Option<String>,
    /// `--workdir`; unset, the container's.
    pub workdir: Option<String>,
}

/// A container started for one check, removed when dropped.
pub struct Fresh {
    pub id: String,
    _removal: OnDrop,
    // Behind a lock, so that a value holding it can be shared between threads.
    _stdin: Option<Mutex<Writer>>,
}

/// A running container, and the stdin that keeps it running if it needs one.
pub struct Resident {
    pub id: String,
    _stdin: Option<Mutex<Writer>>,
}

/// The write side of a created container's stdin: while it is held, the
/// program reads no end of input.
pub(crate) async fn held_stdin(docker: &Docker, id: &str) -> Result<Writer, BollardError> {
    let attach = AttachContainerOptionsBuilder::new()
        .stream(true)
        .stdin(true)
        .build();
    Ok(docker.attach_container(id, Some(attach)).await?.input)
}

/// What a container that stays running starts with in place of the
/// image's own: arguments in place of its `CMD` (none: the `CMD`), and
/// optionally another entrypoint, more environment, another user and
/// another working directory, as `docker run` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartAs {
    pub entrypoint: Option<Vec<String>>,
    pub args: Vec<String>,
    /// `NAME=value`, besides the image's.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
}

impl StartAs {
    /// The run a resident container, or a fresh one started as a resident
    /// is, is made of: `image` started so, under `confinement`, whose user
    /// (the arbitrary uid of an any-user check) comes before the start's.
    pub fn request(&self, image: &str, confinement: &Confinement) -> RunRequest {
        RunRequest {
            entrypoint: self.entrypoint.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
            user: match confinement.user {
                Some(_) => None,
                None => self.user.clone(),
            },
            workdir: self.workdir.clone(),
            ..RunRequest::new(image, &[])
        }
        .under(confinement)
    }
}

impl Engine {
    /// The ID of the resident container of `image` under `confinement`,
    /// started on the first call as `start` says. What it execs is confined
    /// alike: runc applies the container's flags and seccomp profile to
    /// every process it starts in it.
    pub async fn resident(
        &self,
        image: &str,
        residence: Residence,
        start: &StartAs,
        confinement: &Confinement,
    ) -> Result<String, ProbeError> {
        let key = format!("{image} {residence:?} {start:?} {}", confinement.identity());
        let started = self
            .residents
            .get(&key, || async {
                let started = self.start_resident(image, residence, start, confinement);
                let doing = format!("starting a resident container of {image}");
                match within(deadline::RESIDENT_START, &doing, started).await {
                    Ok(resident) => Ok(Arc::new(resident)),
                    Err(error) => Err(Arc::new(error)),
                }
            })
            .await;
        let id = started
            .map(|resident| resident.id.clone())
            .map_err(ProbeError::Earlier)?;
        let at_once = match confinement.pids_limit {
            Some(_) => EXECS_AT_ONCE,
            None => UNLIMITED_EXECS_AT_ONCE,
        };
        self.exec_slots_sized(&id, at_once);
        Ok(id)
    }

    async fn start_resident(
        &self,
        image: &str,
        residence: Residence,
        start: &StartAs,
        confinement: &Confinement,
    ) -> Result<Resident, ProbeError> {
        let docker = self.docker();
        let request = start.request(image, confinement);
        let auto_remove = residence == Residence::StdinHeldOpen;
        let mut body = container_body(self, &request, &self.new_request(), auto_remove);
        if residence == Residence::OwnCommand {
            without_stdin(&mut body);
        }
        let created = docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(|e| {
                ProbeError::engine(format!("create a resident container of {image}"), e)
            })?;
        let stdin = match residence {
            Residence::OwnCommand => None,
            Residence::StdinHeldOpen => match held_stdin(docker, &created.id).await {
                Ok(input) => Some(Mutex::new(input)),
                Err(error) => {
                    self.remove_container(&created.id).await;
                    return Err(ProbeError::engine(
                        format!("attach to a resident container of {image}"),
                        error,
                    ));
                }
            },
        };
        if let Err(error) = docker.start_container(&created.id, None).await {
            self.remove_container(&created.id).await;
            return Err(ProbeError::engine(
                format!("start a resident container of {image}"),
                error,
            ));
        }
        if confinement.backstop == Backstop::Watched {
            backstop::watch(docker, &created.id, image);
        }
        Ok(Resident {
            id: created.id,
            _stdin: stdin,
        })
    }

    /// A container of `image` started as a resident is (see [`Residence`]),
    /// as `start` says, but of its own, with `ports` published: for a check
    /// that watches a container from its start (a stop, a healthcheck).
    /// Removed when the returned value is dropped, its stdin held until then.
    pub async fn start_fresh(
        &self,
        image: &str,
        residence: Residence,
        start: &StartAs,
        confinement: &Confinement,
        ports: &[u16],
        label: &RequestLabel,
    ) -> Result<Fresh, ProbeError> {
        let request = start.request(image, confinement);
        self.start_request(&request, residence, ports, label).await
    }

    /// [`Engine::start_fresh`] of a whole request (its arguments, user,
    /// environment): what a server's run starts too.
    pub(crate) async fn start_request(
        &self,
        request: &RunRequest,
        residence: Residence,
        ports: &[u16],
        label: &RequestLabel,
    ) -> Result<Fresh, ProbeError> {
        let docker = self.docker();
        let image = &request.image;
        let mut body = container_body(self, request, label, false);
        if residence == Residence::OwnCommand {
            without_stdin(&mut body);
        }
        if !ports.is_empty() {
            publish(&mut body, ports);
        }
        let created = docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(|e| ProbeError::engine(format!("create a container of {image}"), e))?;
        let removal = remove_on_drop(docker, &created.id);
        let stdin = match residence {
            Residence::OwnCommand => None,
            Residence::StdinHeldOpen => Some(
                held_stdin(docker, &created.id)
                    .await
                    .map_err(|e| ProbeError::engine(format!("attach to {image}"), e))?,
            ),
        };
        if let Err(error) = docker.start_container(&created.id, None).await {
            let runtime_said = runtime_said_after_failure(docker, &created.id).await;
            return Err(ProbeError::start_refused(image, runtime_said, error));
        }
        if request.confinement.backstop == Backstop::Watched {
            backstop::watch(docker, &created.id, image);
        }
        Ok(Fresh {
            id: created.id,
            _removal: removal,
            _stdin: stdin.map(Mutex::new),
        })
    }

    /// Fails with [`ProbeError::NotRunning`] unless `container` runs.
    pub async fn ensure_running(&self, container: &str) -> Result<(), ProbeError> {
        let inspected = self
            .docker()
            .inspect_container(container, None)
            .await
            .map_err(|e| ProbeError::engine("inspect a resident container", e))?;
        let state = inspected.state.unwrap_or_default();
        if state.running == Some(true) {
            return Ok(());
        }
        Err(ProbeError::NotRunning {
            exit_code: state.exit_code,
            said: crate::run::runtime_said(self.docker(), container).await,
        })
    }

    /// `docker exec [-i] CONTAINER COMMAND...`, with `input` on stdin if
    /// given, within [`EXEC_DEADLINE`]: a program that never exits, or never
    /// closes its output, fails instead of hanging the run (it is left in
    /// the container, which the run's end removes).
    pub async fn exec(
        &self,
        container: &str,
        command: &[String],
        input: Option<&[u8]>,
    ) -> Result<Outcome, ProbeError> {
        self.exec_within(container, command, &[], input, EXEC_DEADLINE)
            .await
    }

    /// [`Engine::exec`] with environment variables (`NAME=value`) besides
    /// the container's, within `deadline`.
    pub async fn exec_within(
        &self,
        container: &str,
        command: &[String],
        env: &[String],
        input: Option<&[u8]>,
        deadline: Duration,
    ) -> Result<Outcome, ProbeError> {
        let request = ExecRequest {
            command: command.to_vec(),
            env: env.to_vec(),
            ..ExecRequest::default()
        };
        self.exec_request(container, &request, input, deadline)
            .await
    }

    /// `docker exec [-i] [--env …] [--user …] [--workdir …] CONTAINER
    /// COMMAND...` within `deadline`, with `input` on stdin if given.
    pub async fn exec_request(
        &self,
        container: &str,
        request: &ExecRequest,
        input: Option<&[u8]>,
        deadline: Duration,
    ) -> Result<Outcome, ProbeError> {
        let command = &request.command;
        let exec = self.exec_unbounded(container, request, input);
        match tokio::time::timeout(deadline, exec).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ProbeError::StillRunning {
                after: deadline,
                left: Some(format!(
                    "an exec of {} left running in its container",
                    command.join(" ")
                )),
            }),
        }
    }

    async fn exec_unbounded(
        &self,
        container: &str,
        request: &ExecRequest,
        input: Option<&[u8]>,
    ) -> Result<Outcome, ProbeError> {
        let slots = self.exec_slots_of(container);
        // The semaphore is never closed, so acquiring it cannot fail.
        let _slot = slots.acquire().await.ok();
        let docker = self.docker();
        let command = &request.command;
        let options = CreateExecOptions {
            cmd: Some(command.to_vec()),
            env: (!request.env.is_empty()).then(|| request.env.clone()),
            user: request.user.clone(),
            working_dir: request.workdir.clone(),
            attach_stdin: Some(input.is_some()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..CreateExecOptions::default()
        };
        let doing = |what: &str| format!("{what} an exec of {}", command.join(" "));
        let exec = docker
            .create_exec(container, options)
            .await
            .map_err(|e| ProbeError::engine(doing("create"), e))?;
        let started = docker
            .start_exec(&exec.id, Some(StartExecOptions::default()))
            .await
            .map_err(|e| ProbeError::engine(doing("start"), e))?;
        let (stdout, stderr) = match started {
            StartExecResults::Attached {
                output,
                input: writer,
            } => exchange(writer, output, input).await?,
            StartExecResults::Detached => {
                return Err(ProbeError::missing(format!(
                    "output of {}",
                    command.join(" ")
                )));
            }
        };
        let code = self.exec_exit_code(&exec.id).await?;
        Ok(Outcome::from_streams(&stdout, &stderr, code))
    }

    /// The [`EXECS_AT_ONCE`] slots of `container`.
    /// Sizes the slots of `container`, once, before its first exec.
    fn exec_slots_sized(&self, container: &str, at_once: usize) {
        let mut slots = self
            .exec_slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots
            .entry(container.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(at_once)));
    }

    fn exec_slots_of(&self, container: &str) -> Arc<Semaphore> {
        let mut slots = self
            .exec_slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            slots
                .entry(container.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(EXECS_AT_ONCE))),
        )
    }

    /// The exit code of a finished exec; the engine may need a moment to record it.
    async fn exec_exit_code(&self, exec_id: &str) -> Result<i64, ProbeError> {
        let polls = EXEC_EXIT_TIMEOUT.as_millis() / EXEC_EXIT_POLL.as_millis();
        for _ in 0..polls {
            let inspected = self
                .docker()
                .inspect_exec(exec_id)
                .await
                .map_err(|e| ProbeError::engine("inspect an exec", e))?;
            if let (false, Some(code)) = (inspected.running == Some(true), inspected.exit_code) {
                return Ok(code);
            }
            tokio::time::sleep(EXEC_EXIT_POLL).await;
        }
        Err(ProbeError::StillRunning {
            after: EXEC_EXIT_TIMEOUT,
            left: Some("an exec that closed its output but reported no exit code".to_owned()),
        })
    }
}
