//! A row's smoke run, made under given flags, and its verdict: a command
//! and its exact output, or a server and its answer over the network.

use crate::command::CommandRun;
use crate::row::{HttpRun, Ready, Smoke};
use crate::verdict::{Mismatch, Problem, plain, text};
use image_probe::network::{HttpAnswer, http_get};
use image_probe::readiness::ReadyWhen;
use image_probe::run::RunRequest;
use image_probe::{Confinement, Engine, Outcome, ProbeError};
use std::time::Duration;

/// How long a server may take to answer its first request; one with a
/// readiness condition, once it is ready.
pub const SERVER_DEADLINE: Duration = Duration::from_secs(10);
/// How long a server's container may take to start, besides the deadline to answer.
const SERVER_START: Duration = Duration::from_secs(10);
/// How long the engine may take to remove a server whose start hung.
const REMOVAL_DEADLINE: Duration = Duration::from_secs(15);
/// How long a command run may take; one slower has hung.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// What a smoke run showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    Ran(Outcome),
    Answered(HttpAnswer),
}

/// A command run of `image` under `confinement`, within `deadline`.
pub async fn run_command(
    engine: &Engine,
    image: &str,
    run: &CommandRun,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<Outcome, ProbeError> {
    let request = RunRequest {
        image: image.to_owned(),
        entrypoint: run.entrypoint.clone(),
        args: run.arguments(),
        env: run.environment(),
        user: run.user.clone(),
        workdir: run.workdir.clone(),
        stdin: run.input(),
        confinement: confinement.clone(),
    };
    engine.run_within(&request, deadline).await
}

/// The server started under `confinement`, asked for its path until it
/// answers or `deadline` passes; it is removed afterwards, and so is a
/// container whose start is still going at the deadline. A server with a
/// readiness condition is asked once it is ready, within the condition's
/// own time, and must then answer within `deadline`.
pub async fn ask_server(
    engine: &Engine,
    image: &str,
    run: &HttpRun,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<HttpAnswer, ProbeError> {
    let request = RunRequest::new(image, &[]).under(confinement);
    let label = engine.new_request();
    let ready = run.ready.as_ref().map(|ready| ready.condition(run.port));
    let mut ports = vec![run.port];
    ports.extend(
        ready
            .as_ref()
            .and_then(ReadyWhen::port)
            .filter(|port| *port != run.port),
    );
    let readiness_time = run.ready.as_ref().map(Ready::within).unwrap_or_default();
    let asked = async {
        let serving = engine.serve_as(&request, &ports, &label).await?;
        if let Some(ready) = &ready {
            engine.wait_ready(&serving, ready, readiness_time).await?;
        }
        http_get(engine, &serving, &run.path, deadline).await
    };
    let whole = readiness_time + deadline + SERVER_START;
    match tokio::time::timeout(whole, asked).await {
        Ok(answer) => answer,
        Err(_) => Err(ProbeError::StillRunning {
            after: whole,
            left: engine.end_request(&label, REMOVAL_DEADLINE).await.err(),
        }),
    }
}

/// The smoke run under `confinement`.
pub async fn observe(
    engine: &Engine,
    image: &str,
    smoke: &Smoke,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<Observed, ProbeError> {
    match smoke {
        Smoke::Command(run) => run_command(engine, image, run, confinement, deadline)
            .await
            .map(Observed::Ran),
        Smoke::Http(run) => ask_server(engine, image, run, confinement, deadline)
            .await
            .map(Observed::Answered),
    }
}

/// The row's smoke run under `confinement`, within its kind's deadline.
pub async fn observe_smoke(
    engine: &Engine,
    image: &str,
    smoke: &Smoke,
    confinement: &Confinement,
) -> Result<Observed, ProbeError> {
    let deadline = match smoke {
        Smoke::Command(_) => COMMAND_DEADLINE,
        Smoke::Http(_) => SERVER_DEADLINE,
    };
    observe(engine, image, smoke, confinement, deadline).await
}

/// Whether what was observed is what the smoke run expects.
pub fn verdict(
    subject: &str,
    what: &str,
    smoke: &Smoke,
    observed: &Observed,
) -> Result<(), Mismatch> {
    let problems = match (smoke, observed) {
        (Smoke::Command(run), Observed::Ran(outcome)) => run.differences(outcome),
        (Smoke::Http(run), Observed::Answered(answer)) => {
            let mut problems = Vec::new();
            if answer.status != run.status {
                problems.push(Problem::new(
                    "status",
                    plain(run.status),
                    plain(answer.status),
                ));
            }
            if answer.body != run.body {
                problems.push(Problem::new("body", text(&run.body), text(&answer.body)));
            }
            problems
        }
        _ => vec![Problem::new(
            "kind of run",
            plain(smoke.describe()),
            plain(describe(observed)),
        )],
    };
    Mismatch::verdict(what, problems).map_err(|mismatch| mismatch.within(subject))
}

/// An observation in a few words, for evidence.
pub fn describe(observed: &Observed) -> String {
    match observed {
        Observed::Ran(outcome) => format!(
            "exit {}, stdout {:?}, stderr {:?}",
            outcome.code,
            outcome.stdout,
            outcome.stderr.trim_end()
        ),
        Observed::Answered(answer) => format!("status {}, body {:?}", answer.status, answer.body),
    }
}

/// Whether the run gave exactly what the smoke run expects.
pub fn passes(smoke: &Smoke, observed: &Observed) -> bool {
    verdict("", "", smoke, observed).is_ok()
}
