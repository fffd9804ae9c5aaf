//! Any user: the image works when started as an arbitrary uid of group 0,
//! as OpenShift starts images: its smoke run, as `docker run --user
//! 1000650000:0` makes it, gives its expected output. (A row's commands are
//! not run again as that user: for calc's two rows that would double their
//! execs, 4.5 s more of a warm suite here. A command that must work as
//! another user says so with its own `user`.)

use super::Verdict;
use super::commands::first_line_said;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::smoke::{Observed, describe, observe_smoke, verdict};
use crate::suite::Suite;
use crate::verdict::Evidence;
use std::sync::Arc;

/// The arbitrary user: a uid from OpenShift's range, which no image's
/// /etc/passwd names, and group 0, which OpenShift gives it.
pub const ANY_USER: &str = "1000650000:0";

pub async fn smoke_run_passes_as_any_user(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let confinement = row.unconfined().as_user(ANY_USER);
    let observed = observe_smoke(suite.engine(), subject.image(), row, &confinement)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let evidence = match &observed {
        Observed::Ran(outcome) => Evidence::of(first_line_said(outcome)),
        answered => Evidence::of([describe(answered)]),
    };
    let what = format!("{} as --user {ANY_USER}", row.smoke.describe());
    judge(
        &subject,
        "the any-user check",
        verdict(&subject.label, &what, &row.smoke, &observed),
        &evidence,
    )
}
