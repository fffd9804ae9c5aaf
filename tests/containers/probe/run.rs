//! Running an image: one-shot containers through testcontainers, and
//! `docker run -i` through the bollard client it re-exports. Every function
//! takes an image by reference or ID and removes what it creates.

use crate::probe::cleanup::OnDrop;
use crate::probe::confinement::Confinement;
use crate::probe::engine::{containers_labelled, docker, remove_container, suite_labels};
use crate::spec::Outcome;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::models::{ContainerCreateBody, HostConfig};
use testcontainers::bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions, LogsOptionsBuilder, WaitContainerOptions,
};
use testcontainers::core::wait::ExitWaitStrategy;
use testcontainers::core::{ContainerRequest, ImageExt, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// How often a one-shot container is polled for its exit.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A testcontainers image for a reference or an image ID. testcontainers
/// joins name and tag with `:`, so the split is at the last `:` that is not
/// part of a registry's address: `calc:scratch`, `sha256:…` and
/// `registry:5000/calc@sha256:…` all come back whole.
pub fn generic_image(reference: &str) -> GenericImage {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => GenericImage::new(name, tag),
        _ => GenericImage::new(reference, "latest"),
    }
}

/// A one-shot `docker run --rm IMAGE ARGS...`, waited for until it exits.
pub fn one_shot(image: &str, args: &[&str]) -> ContainerRequest<GenericImage> {
    one_shot_of(generic_image(image), args)
}

/// A one-shot run of `base` (an image whose entrypoint may be overridden).
pub fn one_shot_of(base: GenericImage, args: &[&str]) -> ContainerRequest<GenericImage> {
    base.with_wait_for(WaitFor::exit(
        ExitWaitStrategy::new().with_poll_interval(EXIT_POLL_INTERVAL),
    ))
    .with_cmd(args.iter().copied())
}

static REQUEST_NUMBER: AtomicU64 = AtomicU64::new(0);

/// Labels each request so that its container can be found whatever became
/// of the request: a start that failed, or a run ended at its deadline.
pub const REQUEST_LABEL: &str = "org.calc.suite.request";

/// A value of [`REQUEST_LABEL`] unique to one request of this process.
pub struct RequestLabel(String);

impl RequestLabel {
    pub fn new() -> Self {
        RequestLabel(format!(
            "{}-{}",
            std::process::id(),
            REQUEST_NUMBER.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

/// Starts a container, waits for it, and returns its output; the container is
/// removed in every case, also when its start fails (testcontainers does not
/// remove those: they are found by a label unique to this request). A start
/// that fails is reported with what the runtime wrote, which says why.
pub async fn run_to_exit(request: ContainerRequest<GenericImage>) -> Result<Outcome, String> {
    let label = RequestLabel::new();
    let request = request
        .with_labels(suite_labels())
        .with_label(REQUEST_LABEL, &label.0);
    let container = match request.start().await {
        Ok(container) => container,
        Err(error) => {
            let ids = containers_labelled(REQUEST_LABEL, &label.0).await;
            let said = match ids.as_deref().map(<[String]>::first) {
                Ok(Some(id)) => runtime_said(id).await,
                _ => None,
            };
            let ended = end_request(&label, REQUEST_REMOVAL_DEADLINE).await;
            let failure = start_failure(&error.to_string(), said);
            return Err(match ended {
                Ok(()) => failure,
                Err(left) => format!("{failure}; {left}"),
            });
        }
    };
    output_of(&container).await
}

/// How long the engine may take to remove a request's container.
const REQUEST_REMOVAL_DEADLINE: Duration = Duration::from_secs(30);

/// Removes the containers of a request, and makes sure they are gone within
/// `deadline`: `Err` names what the engine could not remove, a start that
/// is wedged where the engine's API cannot end it.
pub async fn end_request(label: &RequestLabel, deadline: Duration) -> Result<(), String> {
    let removal = async {
        loop {
            let ids = containers_labelled(REQUEST_LABEL, &label.0).await?;
            if ids.is_empty() {
                return Ok::<(), String>(());
            }
            for id in &ids {
                remove_container(id).await;
            }
            tokio::time::sleep(EXIT_POLL_INTERVAL).await;
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

/// The first line of what a container whose start failed wrote: the
/// runtime's own error (runc's init writes it to the container's stderr),
/// where Docker's answer may name only a consequence, such as "bind-mount
/// /proc/N/ns/net … no such file". A crash's stack trace follows its first
/// line, and is only counted.
pub async fn runtime_said(id: &str) -> Option<String> {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let chunks: Vec<_> = docker().await.logs(id, Some(options)).collect().await;
    let text: String = chunks
        .into_iter()
        .filter_map(Result::ok)
        .map(|chunk| String::from_utf8_lossy(&chunk.into_bytes()).into_owned())
        .collect();
    let mut lines = text.trim().lines();
    let first = lines.next()?;
    Some(match lines.count() {
        0 => first.to_owned(),
        more => format!("{first} (and {more} more lines)"),
    })
}

/// A failed start in words: what the runtime said first, then the engine.
fn start_failure(engine_said: &str, runtime_said: Option<String>) -> String {
    match runtime_said {
        Some(said) => format!(
            "the container did not start; the runtime said: {said} (the engine: {engine_said})"
        ),
        None => format!("the container did not start: {engine_said}"),
    }
}

/// Reads a finished container's output; it must be read before the container
/// is dropped, since dropping removes it.
async fn output_of(container: &ContainerAsync<GenericImage>) -> Result<Outcome, String> {
    let stdout = container.stdout_to_vec().await.map_err(|e| e.to_string())?;
    let stderr = container.stderr_to_vec().await.map_err(|e| e.to_string())?;
    let code = container
        .exit_code()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the container has not exited")?;
    Ok(Outcome::from_streams(&stdout, &stderr, code))
}

/// Removes a container made through bollard when dropped, panics included.
pub fn remove_on_drop(id: &str) -> OnDrop {
    let id = id.to_owned();
    OnDrop::new(async move { remove_container(&id).await })
}

/// A container of `image` whose stdin is attached by this process, running
/// its entrypoint with `args`, under `confinement`.
pub fn stdin_container(
    image: &str,
    args: &[&str],
    confinement: &Confinement,
    auto_remove: bool,
) -> ContainerCreateBody {
    let mut host = HostConfig {
        auto_remove: Some(auto_remove),
        ..HostConfig::default()
    };
    confinement.apply(&mut host);
    ContainerCreateBody {
        image: Some(image.to_owned()),
        // None keeps the image's CMD, as `docker run IMAGE` does.
        cmd: (!args.is_empty()).then(|| args.iter().map(|&arg| arg.to_owned()).collect()),
        labels: Some(suite_labels()),
        open_stdin: Some(true),
        attach_stdin: Some(true),
        // The container's stdin closes when the attached client disconnects.
        stdin_once: Some(true),
        host_config: Some(host),
        ..ContainerCreateBody::default()
    }
}

pub type Writer = Pin<Box<dyn AsyncWrite + Send>>;

/// `printf INPUT | docker run -i --rm IMAGE`.
pub async fn run_with_stdin(image: &str, input: &[u8]) -> Result<Outcome, String> {
    run_attached(image, &[], Some(input), &Confinement::NONE).await
}

/// `docker run -i --rm [FLAGS] IMAGE ARGS...` with `input`, if any, on stdin
/// (none closes it at once). The container is removed also when this future
/// is dropped unfinished, as a caller's deadline does to a run that hangs.
pub async fn run_attached(
    image: &str,
    args: &[&str],
    input: Option<&[u8]>,
    confinement: &Confinement,
) -> Result<Outcome, String> {
    run_attached_as(&RequestLabel::new(), image, args, input, confinement).await
}

/// [`run_attached`], its container labelled as `request`, so that a caller
/// that gives up on it can find it and [`end_request`].
pub async fn run_attached_as(
    request: &RequestLabel,
    image: &str,
    args: &[&str],
    input: Option<&[u8]>,
    confinement: &Confinement,
) -> Result<Outcome, String> {
    let docker = docker().await;
    let mut body = stdin_container(image, args, confinement, false);
    if let Some(labels) = body.labels.as_mut() {
        labels.insert(REQUEST_LABEL.to_owned(), request.0.clone());
    }
    let created = docker
        .create_container(None::<CreateContainerOptions>, body)
        .await
        .map_err(|e| format!("cannot create a container of {image}: {e}"))?;
    let _removal = remove_on_drop(&created.id);
    let attach = AttachContainerOptionsBuilder::new()
        .stream(true)
        .stdin(true)
        .stdout(true)
        .stderr(true)
        .build();
    let attached = docker
        .attach_container(&created.id, Some(attach))
        .await
        .map_err(|e| format!("cannot attach to {image}: {e}"))?;
    if let Err(error) = docker.start_container(&created.id, None).await {
        let said = runtime_said(&created.id).await;
        return Err(start_failure(&error.to_string(), said));
    }
    let (stdout, stderr) = exchange(
        attached.input,
        attached.output,
        Some(input.unwrap_or_default()),
    )
    .await?;
    let mut waiting = docker.wait_container(&created.id, None::<WaitContainerOptions>);
    let code = match waiting.next().await {
        Some(Ok(exit)) => exit.status_code,
        // bollard reports a non-zero exit as an error that carries the code.
        Some(Err(BollardError::DockerContainerWaitError { code, .. })) => code,
        Some(Err(error)) => return Err(format!("waiting for {image} failed: {error}")),
        None => return Err(format!("{image} gave no exit status")),
    };
    Ok(Outcome::from_streams(&stdout, &stderr, code))
}

type Frames = Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>;

/// Writes `input` if any and closes the write side (end of input for calc),
/// then collects stdout and stderr until the stream ends.
pub async fn exchange(
    mut writer: Writer,
    mut output: Frames,
    input: Option<&[u8]>,
) -> Result<(Vec<u8>, Vec<u8>), String> {
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
            match frame.map_err(|e| e.to_string())? {
                LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                _ => {}
            }
        }
        Ok::<_, String>((stdout, stderr))
    };
    let (written, read) = tokio::join!(write, read);
    written.map_err(|e| format!("cannot write stdin: {e}"))?;
    read
}
