//! The engine's verdict on the image's HEALTHCHECK against the claim.

use crate::verdict::{Mismatch, Problem, plain};
use image_probe::health::Health;
use std::time::Duration;

/// Healthy, as the engine reports it, within `within` of the start.
pub fn healthy_within(image: &str, within: Duration, health: &Health) -> Result<(), Mismatch> {
    let mut problems = Vec::new();
    if health.status != "healthy" || health.after > within {
        let mut observed = format!("{} after {} ms", health.status, health.after.as_millis());
        if let Some(check) = &health.last_check {
            observed.push_str(&format!(", its last check: {check}"));
        }
        problems.push(Problem::new(
            "health",
            plain(format!("healthy within {} ms", within.as_millis())),
            plain(observed),
        ));
    }
    Mismatch::verdict(format!("{image}: its HEALTHCHECK"), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(status: &str, after_ms: u64) -> Health {
        Health {
            status: status.to_owned(),
            after: Duration::from_millis(after_ms),
            last_check: Some("exit 1, output \"refused\"".to_owned()),
        }
    }

    #[test]
    fn healthy_in_time_passes_and_unhealthy_or_late_fails() {
        let within = Duration::from_millis(5000);
        assert!(healthy_within("web", within, &health("healthy", 1200)).is_ok());
        let unhealthy = healthy_within("web", within, &health("unhealthy", 3100));
        assert_eq!(
            unhealthy.map_err(|mismatch| mismatch.to_string()),
            Err("web: its HEALTHCHECK\n  health: expected healthy within 5000 ms, observed unhealthy after 3100 ms, its last check: exit 1, output \"refused\"".to_owned())
        );
        assert!(healthy_within("web", within, &health("starting", 5000)).is_err());
        assert!(healthy_within("web", within, &health("healthy", 5001)).is_err());
    }
}
