//! Running calc: one-shot containers through testcontainers, `docker run -i`
//! and `docker exec` through the bollard client it re-exports, and the host
//! binary for comparison.

use crate::engine::{docker, remove_container, suite_labels};
use crate::images::{Image, REPOSITORY, built};
use crate::spec::Case;
use futures::{Stream, StreamExt};
use std::io::Write;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use testcontainers::bollard::models::{ContainerCreateBody, HostConfig};
use testcontainers::bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions, WaitContainerOptions,
};
use testcontainers::core::wait::ExitWaitStrategy;
use testcontainers::core::{ContainerRequest, ImageExt, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::OnceCell;

/// How often a one-shot container is polled for its exit.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// What a run of calc printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i64,
}

impl Output {
    fn from_streams(stdout: &[u8], stderr: &[u8], code: i64) -> Self {
        Output {
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            code,
        }
    }
}

/// The host binary's run of a specification case.
pub fn on_host(case: &Case) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_calc"));
    command
        .args(&case.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the host calc binary starts");
    let input = case.stdin.clone().unwrap_or_default();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the host calc binary runs");
    let _ = writer.join();
    Output::from_streams(
        &output.stdout,
        &output.stderr,
        i64::from(output.status.code().unwrap_or(-1)),
    )
}

/// A one-shot `docker run --rm calc:<tag> ARGS...`, waited for until it exits.
pub fn one_shot(image: Image, args: &[&str]) -> ContainerRequest<GenericImage> {
    one_shot_of(GenericImage::new(REPOSITORY, image.tag()), args)
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
pub async fn run_to_exit(request: ContainerRequest<GenericImage>) -> Result<Output, String> {
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

/// Runs a one-shot container of a built image; the verdict is whether it
/// printed exactly `stdout`, nothing on stderr, and exited 0.
pub async fn prints_only(
    image: Image,
    request: ContainerRequest<GenericImage>,
    stdout: &str,
    what: &str,
) -> Result<(), String> {
    built(image).await;
    let observed = run_to_exit(request)
        .await
        .map_err(|problem| format!("{image}: {what}: {problem}"))?;
    let expected = Output {
        stdout: stdout.to_owned(),
        stderr: String::new(),
        code: 0,
    };
    if observed == expected {
        Ok(())
    } else {
        Err(format!(
            "{image}: {what}: gave {observed:?}, expected {expected:?}"
        ))
    }
}

/// Labels each request so that a container whose start failed can be found.
pub const REQUEST_LABEL: &str = "org.calc.suite.request";

async fn remove_request_containers(request_label: &str) {
    if let Ok(ids) = crate::engine::containers_labelled(REQUEST_LABEL, request_label).await {
        for id in ids {
            remove_container(&id).await;
        }
    }
}

/// Reads a finished container's output; it must be read before the container
/// is dropped, since dropping removes it.
async fn output_of(container: &ContainerAsync<GenericImage>) -> Result<Output, String> {
    let stdout = container.stdout_to_vec().await.map_err(|e| e.to_string())?;
    let stderr = container.stderr_to_vec().await.map_err(|e| e.to_string())?;
    let code = container
        .exit_code()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the container has not exited")?;
    Ok(Output::from_streams(&stdout, &stderr, code))
}

/// Removes a container made through bollard when dropped, panics included.
pub struct RemoveOnDrop(pub String);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let id = self.0.clone();
        let (done, wait) = std::sync::mpsc::channel();
        // The removal runs on a runtime worker; this thread only waits for it.
        tokio::runtime::Handle::current().spawn(async move {
            remove_container(&id).await;
            let _ = done.send(());
        });
        let _ = wait.recv_timeout(Duration::from_secs(30));
    }
}

fn stdin_container(image: Image, auto_remove: bool) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(image.reference()),
        labels: Some(suite_labels()),
        open_stdin: Some(true),
        attach_stdin: Some(true),
        // The container's stdin closes when the attached client disconnects.
        stdin_once: Some(true),
        host_config: Some(HostConfig {
            auto_remove: Some(auto_remove),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

type Writer = Pin<Box<dyn AsyncWrite + Send>>;

/// `printf INPUT | docker run -i --rm calc:<tag>`.
pub async fn run_with_stdin(image: Image, input: &[u8]) -> Result<Output, String> {
    built(image).await;
    let docker = docker().await;
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            stdin_container(image, false),
        )
        .await
        .map_err(|e| format!("cannot create a container of {image}: {e}"))?;
    let _removal = RemoveOnDrop(created.id.clone());
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
    let (stdout, stderr) = exchange(attached.input, attached.output, Some(input)).await?;
    let mut waiting = docker.wait_container(&created.id, None::<WaitContainerOptions>);
    let code = match waiting.next().await {
        Some(Ok(exit)) => exit.status_code,
        // bollard reports a non-zero exit as an error that carries the code.
        Some(Err(BollardError::DockerContainerWaitError { code, .. })) => code,
        Some(Err(error)) => return Err(format!("waiting for {image} failed: {error}")),
        None => return Err(format!("{image} gave no exit status")),
    };
    Ok(Output::from_streams(&stdout, &stderr, code))
}

type Frames = Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>;

/// Writes `input` if any and closes the write side (end of input for calc),
/// then collects stdout and stderr until the stream ends.
async fn exchange(
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

/// A container of the image whose calc waits on an open stdin for as long as
/// this test process lives: the target of `docker exec` and `docker top`.
/// Its stdin is attached by this process and closes when the process ends,
/// however it ends; calc then exits and the engine removes the container.
pub struct Resident {
    pub id: String,
    _stdin: Mutex<Writer>,
}

static RESIDENTS: [OnceCell<Result<Resident, String>>; 3] = [
    OnceCell::const_new(),
    OnceCell::const_new(),
    OnceCell::const_new(),
];

pub async fn resident(image: Image) -> &'static Resident {
    match RESIDENTS[image.index()]
        .get_or_init(|| start_resident(image))
        .await
    {
        Ok(resident) => resident,
        Err(message) => panic!("{message}"),
    }
}

async fn start_resident(image: Image) -> Result<Resident, String> {
    built(image).await;
    let docker = docker().await;
    let created = docker
        .create_container(None::<CreateContainerOptions>, stdin_container(image, true))
        .await
        .map_err(|e| format!("cannot create a resident container of {image}: {e}"))?;
    let attach = AttachContainerOptionsBuilder::new()
        .stream(true)
        .stdin(true)
        .build();
    let attached = docker.attach_container(&created.id, Some(attach)).await;
    let started = match attached {
        Ok(attached) => docker
            .start_container(&created.id, None)
            .await
            .map(|()| attached.input),
        Err(error) => Err(error),
    };
    match started {
        Ok(stdin) => Ok(Resident {
            id: created.id,
            _stdin: Mutex::new(stdin),
        }),
        Err(error) => {
            remove_container(&created.id).await;
            Err(format!(
                "cannot start a resident container of {image}: {error}"
            ))
        }
    }
}

/// `docker exec [-i] CONTAINER COMMAND...`, with `input` on stdin if given.
pub async fn exec(
    container: &str,
    command: &[String],
    input: Option<&[u8]>,
) -> Result<Output, String> {
    let docker = docker().await;
    let options = CreateExecOptions {
        cmd: Some(command.to_vec()),
        attach_stdin: Some(input.is_some()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..CreateExecOptions::default()
    };
    let exec = docker
        .create_exec(container, options)
        .await
        .map_err(|e| format!("cannot create exec {command:?}: {e}"))?;
    let started = docker
        .start_exec(&exec.id, Some(StartExecOptions::default()))
        .await
        .map_err(|e| format!("cannot start exec {command:?}: {e}"))?;
    let (stdout, stderr) = match started {
        StartExecResults::Attached {
            output,
            input: writer,
        } => exchange(writer, output, input).await?,
        StartExecResults::Detached => return Err("exec started detached".to_owned()),
    };
    Ok(Output::from_streams(
        &stdout,
        &stderr,
        exec_exit_code(&exec.id).await?,
    ))
}

/// The exit code of a finished exec; the engine may need a moment to record it.
async fn exec_exit_code(exec_id: &str) -> Result<i64, String> {
    for _ in 0..500 {
        let inspected = docker()
            .await
            .inspect_exec(exec_id)
            .await
            .map_err(|e| format!("cannot inspect exec: {e}"))?;
        if let (false, Some(code)) = (inspected.running == Some(true), inspected.exit_code) {
            return Ok(code);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the exec did not finish within 5 s of closing its output".to_owned())
}
