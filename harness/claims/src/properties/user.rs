//! Non-root: the user the process really runs as, observed on the running
//! process through the engine's top endpoint (not read from the image config).

use super::Verdict;
use crate::checks::user::{runs_as, starts_as};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::verdict::{Evidence, Mismatch};
use std::sync::Arc;

pub async fn process_runs_as_the_claimed_user(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let Some(claimed) = row.claims.user else {
        return Ok(());
    };
    let subject = suite.subject(row).await?;
    let engine = suite.engine();
    let container = suite.resident(&subject).await?;
    let processes = engine
        .process_users(&container)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    if processes.is_empty() {
        // No process: the container ended between the checks; say why.
        engine
            .ensure_running(&container)
            .await
            .map_err(|error| Failure::probe(&subject, error))?;
    }
    let observed: Vec<String> = processes.iter().map(ToString::to_string).collect();
    suite.report().row(&row.name).user = Some(observed.join(", "));
    let mut problems = Vec::new();
    for verdict in [
        starts_as(&subject.label, claimed, &subject.facts.config.user),
        runs_as(&subject.label, claimed, &processes),
    ] {
        if let Err(mismatch) = verdict {
            problems.extend(mismatch.problems);
        }
    }
    judge(
        &subject,
        "the user check",
        Mismatch::verdict(subject.label.clone(), problems),
        &Evidence::of(&observed),
    )
}
