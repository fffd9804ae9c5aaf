//! The engine's verdict on an image's HEALTHCHECK: a container of its own,
//! started as it stays running, watched through `docker inspect` until the
//! engine reports it healthy or unhealthy, or the time is up.

use crate::confinement::Confinement;
use crate::engine::Engine;
use crate::error::ProbeError;
use crate::resident::{Residence, StartAs};
use std::time::Duration;
use testcontainers::bollard::models::HealthcheckResult;
use tokio::time::Instant;

/// How often the container's health is read.
const HEALTH_POLL: Duration = Duration::from_millis(100);

/// The most characters of a healthcheck's last output kept.
const MAX_SHOWN_OUTPUT: usize = 200;

/// What the engine reported of a container's health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// `healthy`, `unhealthy` or `starting` (when the time was up).
    pub status: String,
    /// From the start to the status.
    pub after: Duration,
    /// What the last check printed and exited, as the engine kept it.
    pub last_check: Option<String>,
}

/// A healthcheck's exit code and output, its output cut to [`MAX_SHOWN_OUTPUT`] characters.
pub(crate) fn check_said(check: &HealthcheckResult) -> String {
    let output: String = check
        .output
        .clone()
        .unwrap_or_default()
        .trim_end()
        .chars()
        .take(MAX_SHOWN_OUTPUT)
        .collect();
    format!("exit {}, output {output:?}", check.exit_code.unwrap_or(-1))
}

impl Engine {
    /// Starts a container of `image` (as `start` says, as a resident) and
    /// watches its health for `within`.
    pub async fn watch_health(
        &self,
        image: &str,
        residence: Residence,
        start: &StartAs,
        confinement: &Confinement,
        within: Duration,
    ) -> Result<Health, ProbeError> {
        let label = self.new_request();
        let started = self
            .start_fresh(image, residence, start, confinement, &[], &label)
            .await?;
        let since = Instant::now();
        loop {
            let inspected = self
                .docker()
                .inspect_container(&started.id, None)
                .await
                .map_err(|e| ProbeError::engine(format!("inspect a container of {image}"), e))?;
            let state = inspected.state.unwrap_or_default();
            let health = state.health.ok_or_else(|| {
                ProbeError::missing(format!(
                    "a health status of {image}: it declares no HEALTHCHECK"
                ))
            })?;
            let status = health
                .status
                .map(|status| status.to_string())
                .unwrap_or_default();
            let last_check = health.log.unwrap_or_default().last().map(check_said);
            let decided = status == "healthy" || status == "unhealthy";
            let exited = state.running != Some(true);
            if decided || exited || since.elapsed() >= within {
                let status = if exited && !decided {
                    format!("exited {} before a verdict", state.exit_code.unwrap_or(-1))
                } else {
                    status
                };
                return Ok(Health {
                    status,
                    after: since.elapsed(),
                    last_check,
                });
            }
            tokio::time::sleep(HEALTH_POLL).await;
        }
    }
}
