//! Hygiene: what a trial creates is removed also when the trial fails.
//! (After the whole run, `.ci/no-leftover-containers` counts the run's
//! containers by label.)

use super::Verdict;
use crate::failure::Failure;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use image_probe::engine::REQUEST_LABEL;
use image_probe::run::RunRequest;
use std::sync::Arc;
use std::time::Duration;

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

/// A container made for a trial that is abandoned before it ends (as a
/// deadline or a panic abandons it: either way its values are dropped) is
/// removed by the drop.
pub async fn an_abandoned_trial_leaves_no_container_behind(suite: &Suite) -> Verdict {
    let subject = any_image(suite).await?;
    let engine = suite.engine();
    let (made, report) = tokio::sync::oneshot::channel();
    let trial = async {
        let container = engine.unstarted(subject.image()).await;
        let _ = made.send(
            container
                .as_ref()
                .map(|c| c.id.clone())
                .map_err(ToString::to_string),
        );
        // Holds the container until the trial is abandoned.
        std::future::pending::<()>().await;
        drop(container);
    };
    // The trial is abandoned (dropped) as soon as it has made its container.
    let made = tokio::select! {
        () = trial => None,
        made = report => made.ok(),
    };
    let id = match made {
        Some(Ok(id)) => id,
        Some(Err(problem)) => return Err(Failure::row(&subject, problem)),
        None => {
            return Err(Failure::row(
                &subject,
                "the abandoned trial made no container",
            ));
        }
    };
    if engine.docker().inspect_container(&id, None).await.is_ok() {
        return Err(Failure::row(
            &subject,
            format!("container {id} outlived the trial that made it"),
        ));
    }
    Ok(())
}

/// How long the run whose start fails may take: it fails at once.
const BROKEN_START_DEADLINE: Duration = Duration::from_secs(60);

/// A container whose start fails (its entrypoint does not exist) is removed.
/// The entrypoint's name is this run's own, so no image can ship a program
/// there (one that ships `/no-such-program` and never exits hung this
/// trial); and the run has a deadline all the same.
pub async fn a_container_whose_start_fails_is_removed(suite: &Suite) -> Verdict {
    let subject = any_image(suite).await?;
    let engine = suite.engine();
    let label = engine.new_request();
    let missing = format!("/image-claims-no-such-program-{}", label.0);
    let broken = RunRequest::new(subject.image(), &[]).with_entrypoint(&missing);
    let outcome = tokio::time::timeout(BROKEN_START_DEADLINE, engine.run_as(&broken, &label))
        .await
        .map_err(|_| {
            Failure::row(
                &subject,
                format!(
                    "a container whose entrypoint {missing} does not exist was still running \
                     after {} s",
                    BROKEN_START_DEADLINE.as_secs()
                ),
            )
        })?;
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
