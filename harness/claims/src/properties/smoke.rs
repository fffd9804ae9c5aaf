//! The smoke run: the image does what its row says, with no flags; and a
//! server that is never ready is reported so.

use super::Verdict;
use crate::command::Pattern;
use crate::failure::Failure;
use crate::row::{Ready, ReadyCondition, Row};
use crate::service::start_ready;
use crate::smoke::{observe_smoke, verdict};
use crate::suite::Suite;
use image_probe::ProbeError;
use std::sync::Arc;

pub async fn smoke_run_gives_its_expected_output(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let observed = observe_smoke(suite.engine(), subject.image(), row, &row.unconfined())
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    // A negative control's smoke run is no claim: it must work, or its
    // other checks would fail for the wrong reason.
    verdict(&subject.label, &row.smoke.describe(), &row.smoke, &observed).map_err(Failure::Refuted)
}

/// A log line no server writes, for [`a_server_never_ready_fails_as_not_ready`].
const NEVER_LOGGED: &str = "^image-claims: a line no server writes$";

/// How long the never-ready server is waited on.
const NEVER_READY_WITHIN_MS: u64 = 1500;

/// The readiness wait can fail: the first service row that waits on a log
/// line, waited on for a line it never writes, fails as not ready in time.
pub async fn a_server_never_ready_fails_as_not_ready(suite: &Suite) -> Verdict {
    let candidate = suite.rows().iter().find(|row| {
        row.ready
            .as_ref()
            .is_some_and(|ready| matches!(ready.condition, ReadyCondition::Log(_)))
    });
    let Some(row) = candidate else {
        suite.report().not_proven.push(
            "that a server never ready fails as not ready: no row's server waits on a log line"
                .to_owned(),
        );
        return Ok(());
    };
    let subject = suite.subject(row).await?;
    let never_logged =
        Pattern::new(NEVER_LOGGED).map_err(|problem| Failure::row(&subject, problem))?;
    let never = Ready {
        condition: ReadyCondition::Log(never_logged),
        within_ms: NEVER_READY_WITHIN_MS,
    };
    let waited = never
        .condition(None)
        .ok_or_else(|| Failure::row(&subject, "a log line's readiness needs no port"))?;
    let started = start_ready(
        suite.engine(),
        subject.image(),
        row,
        &row.unconfined(),
        Some(&(waited, never.within())),
    )
    .await;
    let gave = match started {
        Err(ProbeError::NotReady { .. }) => return Ok(()),
        Ok(_) => "ready".to_owned(),
        Err(error) => error.to_string(),
    };
    Err(Failure::row(
        &subject,
        format!(
            "waited on for a log line it never writes ({NEVER_LOGGED}) for \
             {NEVER_READY_WITHIN_MS} ms, the server should have failed as not ready, but it \
             gave: {gave}"
        ),
    ))
}
