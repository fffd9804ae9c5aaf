//! The image's configuration (`docker image inspect` of the tested image
//! ID): its entrypoint, command, environment, labels, ports, working
//! directory, user, stop signal and healthcheck, as its row claims.

use super::Verdict;
use crate::checks::config::config_is_as_claimed;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::verdict::Evidence;
use std::sync::Arc;

pub async fn image_config_is_as_claimed(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let claim = row
        .claims
        .config
        .as_ref()
        .ok_or_else(|| Failure::row(&subject, "its row claims no configuration"))?;
    let verdict = config_is_as_claimed(&subject.label, claim, &subject.facts.config);
    // A control's evidence: the first key it gets wrong, and what it holds.
    let evidence = Evidence::of_first_problem(&verdict);
    judge(&subject, "the configuration check", verdict, &evidence)
}
