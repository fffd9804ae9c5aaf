//! A row's smoke run, made under given flags, and its verdict: a command
//! and its exact output, a server and its answer over the network, or a
//! service becoming ready.

use crate::command::CommandRun;
use crate::row::{HttpRun, Row, Smoke};
use crate::service::start_ready;
use crate::verdict::{Mismatch, Problem, plain, text};
use image_probe::network::{HttpAnswer, http_get};
use image_probe::readiness::ReadyWhen;
use image_probe::run::RunRequest;
use image_probe::{Confinement, Engine, Outcome, ProbeError};
use std::time::Duration;

/// How long a server may take to answer its first request, once it is ready.
pub const SERVER_DEADLINE: Duration = Duration::from_secs(10);
/// How long a command run may take; one slower has hung.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// What a smoke run showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    Ran(Outcome),
    Answered(HttpAnswer),
    /// The service became ready, after this long.
    BecameReady(Duration),
    /// A service's life (see [`crate::service::live`]): `None` when every
    /// step passed, else the first that did not.
    Lived(Option<String>),
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

/// The server of `row` started under `confinement`, ready as `readiness`
/// says (else asked until it answers), then asked for its path, which must
/// answer within `deadline`; it is removed afterwards.
pub async fn ask_server(
    engine: &Engine,
    image: &str,
    row: &Row,
    run: &HttpRun,
    readiness: Option<&(ReadyWhen, Duration)>,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<HttpAnswer, ProbeError> {
    let started = start_ready(engine, image, row, confinement, readiness).await?;
    http_get(engine, &started.serving, &run.path, deadline).await
}

/// The smoke run under `confinement`.
pub async fn observe(
    engine: &Engine,
    image: &str,
    row: &Row,
    smoke: &Smoke,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<Observed, ProbeError> {
    let readiness = row.readiness();
    match smoke {
        Smoke::Command(run) => run_command(engine, image, run, confinement, deadline)
            .await
            .map(Observed::Ran),
        Smoke::Http(run) => ask_server(
            engine,
            image,
            row,
            run,
            readiness.as_ref(),
            confinement,
            deadline,
        )
        .await
        .map(Observed::Answered),
        Smoke::BecomingReady => {
            let started = start_ready(engine, image, row, confinement, readiness.as_ref()).await?;
            Ok(Observed::BecameReady(
                started.ready_after.unwrap_or_default(),
            ))
        }
    }
}

/// The row's smoke run under `confinement`, within its kind's deadline.
pub async fn observe_smoke(
    engine: &Engine,
    image: &str,
    row: &Row,
    confinement: &Confinement,
) -> Result<Observed, ProbeError> {
    let deadline = match row.smoke {
        Smoke::Command(_) => COMMAND_DEADLINE,
        Smoke::Http(_) | Smoke::BecomingReady => SERVER_DEADLINE,
    };
    observe(engine, image, row, &row.smoke, confinement, deadline).await
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
        (Smoke::BecomingReady, Observed::BecameReady(_)) => Vec::new(),
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
        Observed::BecameReady(after) => format!("ready after {} ms", after.as_millis()),
        Observed::Lived(None) => "started, ready, asked and stopped as claimed".to_owned(),
        Observed::Lived(Some(step)) => step.clone(),
    }
}

/// Whether the run gave exactly what the smoke run expects.
pub fn passes(smoke: &Smoke, observed: &Observed) -> bool {
    verdict("", "", smoke, observed).is_ok()
}
