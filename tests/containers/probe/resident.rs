//! Resident containers: one per image reference, started on first use and
//! kept for the whole run as the target of `docker exec` and `docker top`,
//! at a tenth of the cost of a container per check.
//!
//! A resident runs the image's own entrypoint with its stdin open, so the
//! image's program must wait on standard input (calc reads expressions from
//! it). This process holds that stdin; when the process ends, however it
//! ends (SIGKILL included), the engine closes it, the program reads end of
//! input and exits, and the engine removes the container (AutoRemove).

use crate::probe::confinement::Confinement;
use crate::probe::engine::{docker, remove_container};
use crate::probe::once::OncePerKey;
use crate::probe::run::{Writer, exchange, stdin_container};
use crate::spec::Outcome;
use std::sync::Mutex;
use std::time::Duration;
use testcontainers::bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use testcontainers::bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptions,
};

/// How long a finished exec may take to report its exit code.
const EXEC_EXIT_TIMEOUT: Duration = Duration::from_secs(5);
const EXEC_EXIT_POLL: Duration = Duration::from_millis(10);

/// A running container and the stdin that keeps it running.
struct Resident {
    id: String,
    _stdin: Mutex<Writer>,
}

static RESIDENTS: OncePerKey<Result<Resident, String>> = OncePerKey::new();

/// The ID of the resident container of `image`, started on the first call.
pub async fn resident(image: &str) -> Result<String, String> {
    confined_resident(image, &Confinement::NONE).await
}

/// The ID of the resident container of `image` under `confinement`, one per
/// image and confinement, started on the first call. What it execs is
/// confined alike: runc applies the container's flags and seccomp profile
/// to every process it starts in it.
pub async fn confined_resident(image: &str, confinement: &Confinement) -> Result<String, String> {
    let key = format!("{image} {}", confinement.identity());
    match RESIDENTS
        .get(&key, || start_resident(image, confinement))
        .await
    {
        Ok(resident) => Ok(resident.id.clone()),
        Err(message) => Err(message.clone()),
    }
}

async fn start_resident(image: &str, confinement: &Confinement) -> Result<Resident, String> {
    let docker = docker().await;
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            stdin_container(image, &[], confinement, true),
        )
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
) -> Result<Outcome, String> {
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
        .map_err(|e| format!("cannot create an exec of {}: {e}", command.join(" ")))?;
    let started = docker
        .start_exec(&exec.id, Some(StartExecOptions::default()))
        .await
        .map_err(|e| format!("cannot start an exec of {}: {e}", command.join(" ")))?;
    let (stdout, stderr) = match started {
        StartExecResults::Attached {
            output,
            input: writer,
        } => exchange(writer, output, input).await?,
        StartExecResults::Detached => return Err("exec started detached".to_owned()),
    };
    Ok(Outcome::from_streams(
        &stdout,
        &stderr,
        exec_exit_code(&exec.id).await?,
    ))
}

/// The exit code of a finished exec; the engine may need a moment to record it.
async fn exec_exit_code(exec_id: &str) -> Result<i64, String> {
    let polls = EXEC_EXIT_TIMEOUT.as_millis() / EXEC_EXIT_POLL.as_millis();
    for _ in 0..polls {
        let inspected = docker()
            .await
            .inspect_exec(exec_id)
            .await
            .map_err(|e| format!("cannot inspect exec: {e}"))?;
        if let (false, Some(code)) = (inspected.running == Some(true), inspected.exit_code) {
            return Ok(code);
        }
        tokio::time::sleep(EXEC_EXIT_POLL).await;
    }
    Err(format!(
        "the exec did not finish within {} s of closing its output",
        EXEC_EXIT_TIMEOUT.as_secs()
    ))
}
