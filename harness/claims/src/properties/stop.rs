//! Stops when asked: a fresh container of the image, started as its row
//! says it stays running, is sent each claimed signal as `docker stop`
//! sends it, and must exit by itself, in time, with the claimed code.

use super::Verdict;
use crate::checks::stop::{observed, stops_when_asked};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::{Row, Smoke, StopClaim};
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::{Evidence, Mismatch};
use image_probe::stop::{Readiness, StopRequest, Stopped};
use std::sync::Arc;
use std::time::Duration;

pub async fn container_stops_when_asked(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let stops = futures::future::join_all(
        row.claims
            .stops
            .iter()
            .map(|claim| ask_to_stop(suite, &subject, claim)),
    )
    .await;
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    let mut evidence = Vec::new();
    for (claim, stopped) in row.claims.stops.iter().zip(stops) {
        let stopped = stopped?;
        seen.push(format!("{}: {}", stopped.signal, observed(&stopped)));
        if let Err(mismatch) = stops_when_asked(&subject.label, claim, &stopped) {
            evidence.push(observed(&stopped));
            problems.extend(mismatch.problems);
        }
    }
    suite.report().row(&row.name).stop = Some(seen.join("; "));
    judge(
        &subject,
        "the stop check",
        Mismatch::verdict(subject.label.clone(), problems),
        &Evidence::of(evidence),
    )
}

async fn ask_to_stop(
    suite: &Suite,
    subject: &Subject,
    claim: &StopClaim,
) -> Result<Stopped, Failure> {
    let row = &subject.row;
    // A server is asked to stop once it answers, as a load balancer would
    // have it; any other image once its program runs.
    let readiness = match &row.smoke {
        Smoke::Http(run) => Readiness::Answers {
            port: run.port,
            path: run.path.clone(),
        },
        Smoke::Command(_) => Readiness::Running,
    };
    let request = StopRequest {
        image: subject.image().to_owned(),
        residence: row.residence.probe(),
        readiness,
        signal: claim.signal.clone(),
        within: Duration::from_millis(claim.within_ms),
        confinement: row.unconfined(),
    };
    suite
        .engine()
        .ask_to_stop(&request)
        .await
        .map_err(|error| Failure::probe(subject, error))
}
