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
    AttachContainerOptionsBuilder, CreateContainerOptions, WaitContainerOptions,
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

/// Starts a container, waits for it, and returns its output; the container is
/// removed in every case, also when its start fails (testcontainers does not
/// remove those: they are found by a label unique to this request).
pub async fn run_to_exit(request: ContainerRequest<GenericImage>) -> Result<Outcome, String> {
    let request_label = format!(
        "{}-{}",
        std::process::id(),
        REQUEST_NUMBER.fetch_add(1, Ordering::Relaxed)
    );
    let request = request
        .with_labels(suite_labels())
        .with_label(REQUEST_LABEL, &request_label);
    let container = match request.start().await {
        Ok(container) => container,
        Err(error) => {
            remove_request_containers(&request_label).await;
            return Err(format!("the container did not start: {error}"));
        }
    };
    output_of(&container).await
}

/// Labels each request so that a container whose start failed can be found.
pub const REQUEST_LABEL: &str = "org.calc.suite.request";

async fn remove_request_containers(request_label: &str) {
    if let Ok(ids) = containers_labelled(REQUEST_LABEL, request_label).await {
        for id in ids {
            remove_container(&id).await;
        }
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
    let docker = docker().await;
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            stdin_container(image, args, confinement, false),
        )
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
    docker
        .start_container(&created.id, None)
        .await
        .map_err(|e| format!("cannot start {image}: {e}"))?;
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
