//! A row's container through its life: started as the row says (the
//! image's own command, or `resident_args`, under given flags, with the
//! ports its smoke run and readiness need published), then waited on until
//! its readiness holds. Every runtime claim of a service is judged on a
//! container that got this far, never on one still starting.

use crate::row::Row;
use image_probe::network::Serving;
use image_probe::readiness::ReadyWhen;
use image_probe::run::RunRequest;
use image_probe::{Confinement, Engine, ProbeError};
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

/// The run that starts a container of `row`'s image as it stays running.
pub fn start_request(image: &str, row: &Row, confinement: &Confinement) -> RunRequest {
    RunRequest {
        args: row.resident_args.clone(),
        ..RunRequest::new(image, &[])
    }
    .under(confinement)
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
    let request = start_request(image, row, confinement);
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
