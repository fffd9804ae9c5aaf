//! The image's HEALTHCHECK: a container of its own, started as the row says
//! it stays running, is reported healthy by the engine in the time claimed.

use super::Verdict;
use crate::checks::health::healthy_within;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::verdict::Evidence;
use std::sync::Arc;
use std::time::Duration;

/// The report's column of what the engine reported.
const HEALTH_COLUMN: &str = "health";

pub async fn engine_reports_the_image_healthy(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let within = Duration::from_millis(row.claims.healthy_within_ms.unwrap_or_default());
    let health = suite
        .engine()
        .watch_health(
            subject.image(),
            row.residence.probe(),
            &row.start_as(),
            &row.unconfined(),
            within,
        )
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let shown = format!("{} after {} ms", health.status, health.after.as_millis());
    let mut report = suite.report();
    report.add_column(HEALTH_COLUMN);
    report
        .row(&row.name)
        .extra
        .insert(HEALTH_COLUMN.to_owned(), shown);
    drop(report);
    judge(
        &subject,
        "the health check",
        healthy_within(&subject.label, within, &health),
        &Evidence::of([health.status.clone()]),
    )
}
