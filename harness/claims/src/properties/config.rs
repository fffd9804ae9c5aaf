//! The image's configuration (`docker image inspect` of the tested image
//! ID): its entrypoint, command, environment, labels, ports, working
//! directory, user, stop signal and healthcheck, as its row claims.

use super::Verdict;
use crate::checks::config::{config_differences, config_is_as_claimed};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::verdict::{Evidence, Shown};
use std::sync::Arc;

pub async fn image_config_is_as_claimed(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let claim = row
        .claims
        .config
        .as_ref()
        .ok_or_else(|| Failure::row(&subject, "its row claims no configuration"))?;
    let config = &subject.facts.config;
    // A control's evidence: what the first key it gets wrong really holds.
    let first = config_differences(claim, config).into_iter().next();
    let evidence = match first.map(|problem| problem.observed) {
        Some(Shown::Inline(observed)) => Evidence::of([observed]),
        Some(Shown::Block(lines)) => Evidence::of(lines.into_iter().take(1)),
        None => Evidence::none(),
    };
    judge(
        &subject,
        "the configuration check",
        config_is_as_claimed(&subject.label, claim, config),
        &evidence,
    )
}
