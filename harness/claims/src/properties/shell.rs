//! No shell: no shell file in the image, and the engine cannot run one in it.

use super::Verdict;
use crate::checks::shell::{SHELL_EXEC, SHELL_PATHS, no_shell};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::Evidence;
use std::sync::Arc;

async fn shell_paths_present(
    suite: &Suite,
    subject: &Subject,
) -> Result<Vec<&'static str>, Failure> {
    let failed = |error| Failure::probe(subject, error);
    let container = suite
        .engine()
        .unstarted(subject.image())
        .await
        .map_err(failed)?;
    let mut present = Vec::new();
    for path in SHELL_PATHS {
        if container.has_path(path).await.map_err(failed)? {
            present.push(*path);
        }
    }
    Ok(present)
}

pub async fn image_has_no_shell_file(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let present = shell_paths_present(suite, &subject).await?;
    suite.report().row(&row.name).shell = Some(!present.is_empty());
    let evidence = Evidence::of(&present);
    judge(
        &subject,
        "the shell-file check",
        no_shell(&subject.label, &present, None),
        &evidence,
    )
}

pub async fn no_shell_runs_in_the_container(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let engine = suite.engine();
    let container = suite.resident(&subject).await?;
    let command: Vec<String> = SHELL_EXEC.iter().map(|word| (*word).to_owned()).collect();
    // `None` when the engine cannot even start it, as in an image with no shell.
    let code = engine
        .exec(&container, &command, None)
        .await
        .ok()
        .map(|outcome| outcome.code);
    // An exec fails in a container that is not running, shell or none: no proof.
    engine
        .ensure_running(&container)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let evidence = match code {
        Some(0) => Evidence::of(["exit code 0"]),
        _ => Evidence::none(),
    };
    judge(
        &subject,
        "the shell exec check",
        no_shell(&subject.label, &[], code),
        &evidence,
    )
}
