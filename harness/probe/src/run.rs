//! Running an image: `docker run -i --rm [FLAGS] IMAGE [ARGS...]`, through
//! the bollard client testcontainers re-exports, with what is given on
//! stdin, and the container removed in every case: a normal exit, a start
//! that fails, a deadline, a caller that gives up, a panic.

use crate::cleanup::OnDrop;
use crate::confinement::Confinement;
use crate::engine::{Engine, REQUEST_LABEL, RequestLabel, remove_container};
use crate::error::ProbeError;
use crate::outcome::Outcome;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;
use testcontainers::bollard::Docker;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::models::{ContainerCreateBody, HostConfig};
use testcontainers::bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions, LogsOptionsBuilder, WaitContainerOptions,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// How often the removal of a request's containers is retried.
const REMOVAL_POLL: Duration = Duration::from_millis(20);
/// How long the engine may take to remove the container of a run that
/// passed its deadline. One it cannot remove is a start wedged in the runtime.
const REMOVAL_DEADLINE: Duration = Duration::from_secs(15);

/// One run of an image, as `docker run` would be given it.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    /// A reference or an image ID.
    pub image: String,
    /// Replaces the image's entrypoint (`--entrypoint`), with arguments of its own.
    pub entrypoint: Option<Vec<String>>,
    /// `--env NAME=value`, besides the image's.
    pub env: Vec<String>,
    /// `--user`; unset, the image's (or the confinement's, if it sets one).
    pub user: Option<String>,
    /// `--workdir`; unset, the image's.
    pub workdir: Option<String>,
    /// The arguments; empty keeps the image's CMD, as `docker run IMAGE` does.
    pub args: Vec<String>,
    /// Written to stdin, which is then closed; `None` closes it at once.
    pub stdin: Option<Vec<u8>>,
    pub confinement: Confinement,
}

impl RunRequest {
    pub fn new(image: &str, args: &[&str]) -> Self {
        RunRequest {
            image: image.to_owned(),
            args: args.iter().map(|&arg| arg.to_owned()).collect(),
            ..RunRequest::default()
        }
    }

    pub fn with_entrypoint(mut self, entrypoint: &str) -> Self {
        self.entrypoint = Some(vec![entrypoint.to_owned()]);
        self
    }

    pub fn with_stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    pub fn under(mut self, confinement: &Confinement) -> Self {
        self.confinement = confinement.clone();
        self
    }

    /// The command line, for messages.
    pub fn describe(&self) -> String {
        let mut words = Vec::new();
        if let Some(entrypoint) = &self.entrypoint {
            words.extend(entrypoint.iter().cloned());
        }
        words.extend(self.args.iter().cloned());
        let flags = self.confinement.describe();
        match (words.is_empty(), flags.is_empty()) {
            (true, true) => "its default command".to_owned(),
            (true, false) => format!("its default command under {flags}"),
            (false, true) => words.join(" "),
            (false, false) => format!("{} under {flags}", words.join(" ")),
        }
    }
}

/// The container body of a run: stdin attached by this process, and the run's labels.
pub(crate) fn container_body(
    engine: &Engine,
    request: &RunRequest,
    label: &RequestLabel,
    auto_remove: bool,
) -> ContainerCreateBody {
    let mut host = HostConfig {
        auto_remove: Some(auto_remove),
        ..HostConfig::default()
    };
    request.confinement.apply(&mut host);
    let mut labels = engine.labels();
    labels.insert(REQUEST_LABEL.to_owned(), label.0.clone());
    ContainerCreateBody {
        image: Some(request.image.clone()),
        entrypoint: request.entrypoint.clone(),
        env: (!request.env.is_empty()).then(|| request.env.clone()),
        user: request
            .user
            .clone()
            .or_else(|| request.confinement.user.clone()),
        working_dir: request.workdir.clone(),
        // None keeps the image's CMD, as `docker run IMAGE` does.
        cmd: (!request.args.is_empty()).then(|| request.args.clone()),
        labels: Some(labels),
        open_stdin: Some(true),
        attach_stdin: Some(true),
        // The container's stdin closes when the attached client disconnects.
        stdin_once: Some(true),
        host_config: Some(host),
        ..ContainerCreateBody::default()
    }
}

/// A body whose container is given no stdin: a server, which runs its own
/// command until stopped.
pub(crate) fn without_stdin(body: &mut ContainerCreateBody) {
    body.open_stdin = Some(false);
    body.attach_stdin = Some(false);
    body.stdin_once = Some(false);
}

impl Engine {
    /// Runs the request to its exit and returns its output.
    pub async fn run(&self, request: &RunRequest) -> Result<Outcome, ProbeError> {
        self.run_as(request, &self.new_request()).await
    }

    /// [`Engine::run`] within `deadline`: a run still going then is ended,
    /// and its container removed, or reported as wedged if it cannot be.
    pub async fn run_within(
        &self,
        request: &RunRequest,
        deadline: Duration,
    ) -> Result<Outcome, ProbeError> {
        let label = self.new_request();
        match tokio::time::timeout(deadline, self.run_as(request, &label)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ProbeError::StillRunning {
                after: deadline,
                left: self.end_request(&label, REMOVAL_DEADLINE).await.err(),
            }),
        }
    }

    /// [`Engine::run`], its container labelled as `label`, so that a caller can
    /// find it whatever became of the run.
    pub async fn run_as(
        &self,
        request: &RunRequest,
        label: &RequestLabel,
    ) -> Result<Outcome, ProbeError> {
        let docker = self.docker();
        let image = &request.image;
        let created = docker
            .create_container(
                None::<CreateContainerOptions>,
                container_body(self, request, label, false),
            )
            .await
            .map_err(|e| ProbeError::engine(format!("create a container of {image}"), e))?;
        let _removal = remove_on_drop(docker, &created.id);
        let attach = AttachContainerOptionsBuilder::new()
            .stream(true)
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .build();
        let attached = docker
            .attach_container(&created.id, Some(attach))
            .await
            .map_err(|e| ProbeError::engine(format!("attach to {image}"), e))?;
        if let Err(error) = docker.start_container(&created.id, None).await {
            let runtime_said = runtime_said_after_failure(docker, &created.id).await;
            return Err(ProbeError::start_refused(image, runtime_said, error));
        }
        let input = request.stdin.clone().unwrap_or_default();
        let (stdout, stderr) = exchange(attached.input, attached.output, Some(&input)).await?;
        let mut waiting = docker.wait_container(&created.id, None::<WaitContainerOptions>);
        let code = match waiting.next().await {
            Some(Ok(exit)) => exit.status_code,
            // bollard reports a non-zero exit as an error that carries the code.
            Some(Err(BollardError::DockerContainerWaitError { code, .. })) => code,
            Some(Err(error)) => {
                return Err(ProbeError::engine(format!("wait for {image}"), error));
            }
            None => return Err(ProbeError::missing(format!("exit status of {image}"))),
        };
        Ok(Outcome::from_streams(&stdout, &stderr, code))
    }

    /// Removes the containers of a request, and makes sure they are gone
    /// within `deadline`: `Err` names what the engine could not remove, a
    /// start wedged where the engine's API cannot end it.
    pub async fn end_request(
        &self,
        label: &RequestLabel,
        deadline: Duration,
    ) -> Result<(), String> {
        let removal = async {
            loop {
                let ids = self
                    .containers_labelled(REQUEST_LABEL, &label.0)
                    .await
                    .map_err(|problem| problem.to_string())?;
                if ids.is_empty() {
                    return Ok::<(), String>(());
                }
                for id in &ids {
                    self.remove_container(id).await;
                }
                tokio::time::sleep(REMOVAL_POLL).await;
            }
        };
        match tokio::time::timeout(deadline, removal).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the engine could not remove its container ({REQUEST_LABEL}={}) within {} s: a \
                 start wedged in the runtime, which only a kill on the engine's host ends",
                label.0,
                deadline.as_secs()
            )),
        }
    }
}

/// Removes a container when dropped, panics and abandoned futures included.
pub fn remove_on_drop(docker: &Docker, id: &str) -> OnDrop {
    let (docker, id) = (docker.clone(), id.to_owned());
    OnDrop::new(async move { remove_container(&docker, &id).await })
}

/// How long the engine may take to hand over what a failed start wrote: it
/// answers the start before its log of the container is always complete.
/// Half a second was not always enough with four trials at once on two
/// cores (2026-12-01: the log was still empty once in three such runs).
const LOG_SETTLE_TRIES: usize = 40;
const LOG_SETTLE_POLL: Duration = Duration::from_millis(50);

/// [`runtime_said`] of a container whose start just failed, waiting a moment
/// for the log if it is still empty.
pub async fn runtime_said_after_failure(docker: &Docker, id: &str) -> Option<String> {
    for _ in 1..LOG_SETTLE_TRIES {
        if let Some(said) = runtime_said(docker, id).await {
            return Some(said);
        }
        tokio::time::sleep(LOG_SETTLE_POLL).await;
    }
    runtime_said(docker, id).await
}

/// The first line of what a container whose start failed wrote: the
/// runtime's own error (runc's init writes it to the container's stderr),
/// where Docker's answer may name only a consequence, such as "bind-mount
/// /proc/N/ns/net … no such file". A crash's stack trace follows its first
/// line, and is only counted.
pub async fn runtime_said(docker: &Docker, id: &str) -> Option<String> {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let mut chunks = docker.logs(id, Some(options));
    // The first line is what counts: 64 KiB of a log is read, whatever its
    // length (500 MB of one took 100 MB, and put a 21.8 MB line into a
    // failure message, 2026-12-03).
    let mut read = Vec::new();
    let mut whole = true;
    while let Some(chunk) = chunks.next().await {
        let Ok(chunk) = chunk else { continue };
        read.extend_from_slice(&chunk.into_bytes());
        if read.len() >= MAX_LOG_BYTES {
            read.truncate(MAX_LOG_BYTES);
            whole = false;
            break;
        }
    }
    let text = String::from_utf8_lossy(&read);
    let mut lines = text.trim().lines();
    let first = lines.next()?;
    let first: String = if first.chars().count() > MAX_SAID_CHARS {
        let head: String = first.chars().take(MAX_SAID_CHARS).collect();
        format!("{head}…")
    } else {
        first.to_owned()
    };
    let more = lines.count();
    Some(match (more, whole) {
        (0, true) => first,
        (more, true) => format!("{first} (and {more} more lines)"),
        (_, false) => format!("{first} (and more: the log is longer than {MAX_LOG_BYTES} bytes)"),
    })
}

/// The most of a failed container's log read for what the runtime said.
const MAX_LOG_BYTES: usize = 64 * 1024;
/// The most characters of its first line a message shows.
const MAX_SAID_CHARS: usize = 400;

/// The most bytes of each stream a run or an exec keeps: what a check
/// compares is far smaller, and an image's program may write without end
/// (2 GB of `y` took 3.9 GB of memory before this bound, 2026-12-03).
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

pub type Writer = Pin<Box<dyn AsyncWrite + Send>>;
type Frames = Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>;

/// Writes `input` if any and closes the write side (end of input for the
/// program), then collects stdout and stderr until the stream ends.
pub async fn exchange(
    mut writer: Writer,
    mut output: Frames,
    input: Option<&[u8]>,
) -> Result<(Vec<u8>, Vec<u8>), ProbeError> {
    let input = input.map(<[u8]>::to_vec);
    let write = async move {
        match input {
            Some(input) => {
                writer.write_all(&input).await?;
                writer.shutdown().await
            }
            None => Ok(()),
        }
    };
    let read = async move {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        while let Some(frame) = output.next().await {
            let (kept, name, message) =
                match frame.map_err(|e| ProbeError::engine("read a container's output", e))? {
                    LogOutput::StdOut { message } => (&mut stdout, "stdout", message),
                    LogOutput::StdErr { message } => (&mut stderr, "stderr", message),
                    _ => continue,
                };
            if kept.len() + message.len() > MAX_OUTPUT_BYTES {
                // Reading stops here; the caller removes the container.
                return Err(ProbeError::Bound {
                    what: format!("it wrote more than {MAX_OUTPUT_BYTES} bytes to {name}"),
                    bound: format!("{MAX_OUTPUT_BYTES} bytes of each stream"),
                });
            }
            kept.extend_from_slice(&message);
        }
        Ok::<_, ProbeError>((stdout, stderr))
    };
    let write = async move {
        match write.await {
            // A program that exits without reading all its input closes the
            // pipe: what it printed, and its exit code, still say what happened.
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(ProbeError::unreadable("the run's stdin", error))
            }
            _ => Ok(()),
        }
    };
    // A read that fails (past its bound) ends the write too, which may be
    // blocked on a program that never reads.
    let ((), output) = tokio::try_join!(write, read)?;
    Ok(output)
}
