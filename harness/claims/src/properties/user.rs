//! Non-root: the user the process really runs as, observed on the running
//! process through the engine's top endpoint (not read from the image config).

use super::Verdict;
use crate::checks::user::{runs_as, starts_as};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use crate::users::resolve;
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
    // The user the engine starts it as: the row's start's, else the image's USER.
    let configured = row
        .start
        .user
        .as_ref()
        .unwrap_or(&subject.facts.config.user);
    let resolved = users_files(suite, &subject)
        .await?
        .and_then(|(passwd, group)| resolve(configured, passwd.as_deref(), group.as_deref()));
    for verdict in [
        starts_as(&subject.label, claimed, configured, &resolved),
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

/// The most bytes of `/etc/passwd` or `/etc/group` read.
const MAX_USERS_FILE_BYTES: usize = 1024 * 1024;

/// The image's `/etc/passwd` and `/etc/group`, as its processes would open
/// them (absent: `None`); `Err` with the words of a file the harness
/// cannot read within its bound, which runc would read, so no user can be
/// said.
async fn users_files(
    suite: &Suite,
    subject: &Subject,
) -> Result<Result<(Option<String>, Option<String>), String>, Failure> {
    let container = suite
        .engine()
        .unstarted(subject.image())
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    let mut read = Vec::new();
    for path in ["/etc/passwd", "/etc/group"] {
        match container.read_file(path, MAX_USERS_FILE_BYTES).await {
            Ok(bytes) => read.push(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())),
            Err(error @ image_probe::ProbeError::Bound { .. }) => {
                return Ok(Err(error.to_string()));
            }
            Err(error) => return Err(Failure::probe(subject, error)),
        }
    }
    let group = read.pop().flatten();
    let passwd = read.pop().flatten();
    Ok(Ok((passwd, group)))
}
