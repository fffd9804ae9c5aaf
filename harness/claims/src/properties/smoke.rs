//! The smoke run: the image does what its row says, with no flags.

use super::Verdict;
use crate::failure::Failure;
use crate::row::Row;
use crate::smoke::{observe_smoke, verdict};
use crate::suite::Suite;
use std::sync::Arc;

pub async fn smoke_run_gives_its_expected_output(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let observed = observe_smoke(
        suite.engine(),
        subject.image(),
        &row.smoke,
        &row.unconfined(),
    )
    .await
    .map_err(|error| Failure::probe(&subject, error))?;
    // A negative control's smoke run is no claim: it must work, or its
    // other checks would fail for the wrong reason.
    verdict(&subject.label, &row.smoke.describe(), &row.smoke, &observed).map_err(Failure::Refuted)
}
