//! A row's container through its life: started as the row says (the
//! image's own command, or its `start` and `resident_args`, under given flags, with the
//! ports its smoke run and readiness need published), then waited on until
//! its readiness holds. Every runtime claim of a service is judged on a
//! container that got this far, never on one still starting.

use crate::command::CommandRun;
use crate::row::{Row, Smoke};
use crate::subject::Subject;
use image_probe::network::{Serving, http_get};
use image_probe::readiness::ReadyWhen;
use image_probe::resident::{EXEC_DEADLINE, ExecRequest};
use image_probe::{Confinement, Engine, Outcome, ProbeError};
use std::time::Duration;

/// How long a container may take to start, besides its readiness's time.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long the engine may take to remove a container whose start hung.
const REMOVAL_DEADLINE: Duration = Duration::from_secs(15);

/// A started container of a row, ready; removed when dropped.
pub struct Started {
    pub serving: Serving,
    /// How long its readiness took to hold; `None` where it has none.
    pub ready_after: Option<Duration>,
}

impl Started {
    pub fn id(&self) -> &str {
        &self.serving.id
    }
}

/// A container of `image`, started as `row` says under `confinement`, and
/// ready as `readiness` says (the row's own, unless a check waits for
/// another). A container whose start or wait is still going at the whole
/// deadline is removed, and the failure says so.
pub async fn start_ready(
    engine: &Engine,
    image: &str,
    row: &Row,
    confinement: &Confinement,
    readiness: Option<&(ReadyWhen, Duration)>,
) -> Result<Started, ProbeError> {
    let request = row.start_as().request(image, confinement);
    let label = engine.new_request();
    let mut ports = row.published_ports();
    ports.extend(
        readiness
            .and_then(|(when, _)| when.port())
            .filter(|port| !ports.contains(port)),
    );
    let readiness_time = readiness.map(|(_, within)| *within).unwrap_or_default();
    let started = async {
        let serving = engine.serve_as(&request, &ports, &label).await?;
        let ready_after = match readiness {
            Some((when, within)) => Some(
                engine
                    .wait_ready(serving.reachable(), when, *within)
                    .await?,
            ),
            None => None,
        };
        Ok(Started {
            serving,
            ready_after,
        })
    };
    let whole = readiness_time + START_DEADLINE;
    match tokio::time::timeout(whole, started).await {
        Ok(started) => started,
        Err(_) => Err(ProbeError::StillRunning {
            after: whole,
            left: engine.end_request(&label, REMOVAL_DEADLINE).await.err(),
        }),
    }
}

/// What `docker exec` runs for `command`: the entrypoint it names, else
/// the image's, then its arguments, else the image's CMD, as `docker run
/// IMAGE ARGS` composes them.
pub fn exec_request(subject: &Subject, command: &CommandRun) -> ExecRequest {
    let config = &subject.facts.config;
    let entrypoint = command.entrypoint.as_ref().unwrap_or(&config.entrypoint);
    let args = command.arguments();
    // An entrypoint given replaces the image's CMD too, as --entrypoint does.
    let args = match (args.is_empty(), command.entrypoint.is_some()) {
        (true, false) => config.cmd.clone(),
        _ => args,
    };
    ExecRequest {
        command: entrypoint.iter().cloned().chain(args).collect(),
        env: command.environment(),
        user: command.user.clone(),
        workdir: command.workdir.clone(),
    }
}

/// `command` exec'd in the running container `container` of `subject`,
/// as `docker exec` of what [`exec_request`] composes, within the exec deadline.
pub async fn exec_in(
    engine: &Engine,
    subject: &Subject,
    container: &str,
    command: &CommandRun,
) -> Result<Outcome, ProbeError> {
    let request = exec_request(subject, command);
    let input = command.input();
    engine
        .exec_request(container, &request, input.as_deref(), EXEC_DEADLINE)
        .await
}

/// A service's whole life under `confinement`: started, ready, asked its
/// smoke request (a server's), each of its commands exec'd in it (where
/// `with_commands`), then sent its first stop claim's signal, after which
/// it must exit with the claimed code in time. `Ok(None)` when every step
/// passed; `Ok(Some(step))` names the first that did not. A seccomp
/// profile derived or proven on this run allows what the stop needs, not
/// only what the start does.
pub async fn live(
    engine: &Engine,
    subject: &Subject,
    confinement: &Confinement,
    with_commands: bool,
) -> Result<Option<String>, ProbeError> {
    let row = &subject.row;
    let image = subject.image();
    let readiness = row.readiness();
    let started = start_ready(engine, image, row, confinement, readiness.as_ref()).await?;
    if let Smoke::Http(run) = &row.smoke {
        let answer = http_get(engine, &started.serving, &run.path, SERVER_ANSWER).await?;
        if (answer.status, answer.body.as_str()) != (run.status, run.body.as_str()) {
            return Ok(Some(format!(
                "{}: status {}, body {:?}",
                row.smoke.describe(),
                answer.status,
                answer.body
            )));
        }
    }
    let commands = if with_commands {
        row.commands.as_slice()
    } else {
        &[]
    };
    for command in commands {
        let outcome = exec_in(engine, subject, started.id(), command).await?;
        if !command.differences(&outcome).is_empty() {
            return Ok(Some(format!(
                "{}: exit {}, stdout {:?}",
                command.describe(),
                outcome.code,
                outcome.stdout
            )));
        }
    }
    let Some(claim) = row.claims.stops.first() else {
        return Ok(None);
    };
    let signal = claim
        .signal
        .clone()
        .unwrap_or_else(|| subject.facts.config.stop_signal_sent());
    let within = Duration::from_millis(claim.within_ms);
    let exit = engine
        .signal_and_wait(started.id(), image, &signal, within)
        .await?;
    Ok(match exit {
        Some(code) if code == claim.exit_code => None,
        Some(code) => Some(format!("asked to stop with {signal}: exit code {code}")),
        None => Some(format!(
            "asked to stop with {signal}: still running after {} ms",
            claim.within_ms
        )),
    })
}

/// How long a server may take to answer, once ready, in a life run.
const SERVER_ANSWER: Duration = Duration::from_secs(10);

/// Whether `error` says the container never became ready: it exited
/// first, or its readiness did not hold in time. That is an observation
/// of the image, judged as a claim, not a failure to observe.
pub fn never_ready(error: &ProbeError) -> bool {
    match error {
        ProbeError::NotReady { .. } | ProbeError::EndedBeforeReady { .. } => true,
        ProbeError::Earlier(earlier) => never_ready(earlier),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subject::made_up;
    use image_probe::ImageConfig;

    fn subject(entrypoint: &[&str], cmd: &[&str]) -> Subject {
        let words = |list: &[&str]| list.iter().map(|word| (*word).to_owned()).collect();
        let config = ImageConfig {
            entrypoint: words(entrypoint),
            cmd: words(cmd),
            ..ImageConfig::default()
        };
        made_up(
            "name = \"row\"\nreference = \"image:1\"\nsmoke = { stdout = \"\" }\n",
            config,
        )
    }

    fn command(text: &str) -> CommandRun {
        toml::from_str(&format!("{text}\nstdout = \"\"")).expect("a command")
    }

    #[test]
    fn an_exec_composes_entrypoint_and_arguments_as_docker_run_does() {
        let busybox = subject(&["/bin/busybox"], &["cat"]);
        let cases = [
            ("", vec!["/bin/busybox", "cat"]),
            (
                "args = [\"echo\", \"hi\"]",
                vec!["/bin/busybox", "echo", "hi"],
            ),
            (
                "entrypoint = [\"/bin/sh\", \"-c\"]\nargs = [\"true\"]",
                vec!["/bin/sh", "-c", "true"],
            ),
            // --entrypoint drops the image's CMD.
            ("entrypoint = [\"/bin/busybox\"]", vec!["/bin/busybox"]),
        ];
        for (written, expected) in cases {
            let request = exec_request(&busybox, &command(written));
            assert_eq!(request.command, expected, "{written}");
        }
        let with = command("env = { A = \"1\" }\nuser = \"1234\"\nworkdir = \"/tmp\"");
        let request = exec_request(&busybox, &with);
        assert_eq!(
            (request.env, request.user, request.workdir),
            (
                vec!["A=1".to_owned()],
                Some("1234".to_owned()),
                Some("/tmp".to_owned())
            )
        );
    }
}
