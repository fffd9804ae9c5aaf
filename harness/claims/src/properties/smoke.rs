//! The smoke run: the image does what its row says, with no flags.

use super::Verdict;
use crate::failure::Failure;
use crate::row::Row;
use crate::smoke::{COMMAND_DEADLINE, SERVER_DEADLINE, observe, verdict};
use crate::suite::Suite;
use image_probe::Confinement;
use std::sync::Arc;

pub async fn smoke_run_gives_its_expected_output(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let deadline = match row.smoke {
        crate::row::Smoke::Command(_) => COMMAND_DEADLINE,
        crate::row::Smoke::Http(_) => SERVER_DEADLINE,
    };
    let observed = observe(
        suite.engine(),
        subject.image(),
        &row.smoke,
        &Confinement::NONE,
        deadline,
    )
    .await
    .map_err(|error| Failure::probe(&subject, error))?;
    // A negative control's smoke run is no claim: it must work, or its
    // other checks would fail for the wrong reason.
    verdict(&subject.label, &row.smoke.describe(), &row.smoke, &observed).map_err(Failure::Refuted)
}
