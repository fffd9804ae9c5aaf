//! Hygiene: what a trial creates is removed also when the trial fails.
//! (After the whole run, `.ci/no-leftover-containers` counts the run's
//! containers by label.)

use super::Verdict;
use crate::failure::Failure;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use futures::FutureExt;
use image_probe::engine::REQUEST_LABEL;
use image_probe::run::RunRequest;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// An image that can be created and started: any row that is not a control.
async fn any_image(suite: &Suite) -> Result<Arc<Subject>, Failure> {
    let row: Option<&Arc<Row>> = suite.rows().iter().find(|row| !row.negative_control);
    match row {
        Some(row) => suite.subject(row).await,
        None => Err(Failure::row(
            &"the rows",
            "have no row that is not a negative control",
        )),
    }
}

/// A container made for a trial that panics is removed during the unwind.
pub async fn a_failing_trial_leaves_no_container_behind(suite: &Suite) -> Verdict {
    let subject = any_image(suite).await?;
    let engine = suite.engine();
    let mut made = None;
    let failing = AssertUnwindSafe(async {
        let container = engine.unstarted(subject.image()).await;
        made = Some(
            container
                .as_ref()
                .map(|container| container.id.clone())
                .map_err(ToString::to_string),
        );
        if container.is_ok() {
            panic!("a trial failing while its container exists");
        }
    })
    .catch_unwind()
    .await;
    let id = match made {
        Some(Ok(id)) => id,
        Some(Err(error)) => return Err(Failure::row(&subject, error)),
        None => {
            return Err(Failure::row(
                &subject,
                "the failing trial made no container",
            ));
        }
    };
    if failing.is_ok() {
        return Err(Failure::row(&subject, "the inner trial was meant to fail"));
    }
    if engine.docker().inspect_container(&id, None).await.is_ok() {
        return Err(Failure::row(
            &subject,
            format!("container {id} outlived the failing trial"),
        ));
    }
    Ok(())
}

/// A container whose start fails (its entrypoint does not exist) is removed.
pub async fn a_container_whose_start_fails_is_removed(suite: &Suite) -> Verdict {
    let subject = any_image(suite).await?;
    let engine = suite.engine();
    let broken = RunRequest::new(subject.image(), &[]).with_entrypoint("/no-such-program");
    let label = engine.new_request();
    let outcome = engine.run_as(&broken, &label).await;
    if outcome.is_ok() {
        return Err(Failure::row(
            &subject,
            "a container with a missing entrypoint started",
        ));
    }
    let left = engine
        .containers_labelled(REQUEST_LABEL, &label.0)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    if !left.is_empty() {
        return Err(Failure::row(
            &subject,
            format!("containers left after a failed start: {}", left.join(", ")),
        ));
    }
    Ok(())
}
