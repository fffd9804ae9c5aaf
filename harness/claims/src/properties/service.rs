//! A service's runtime claims, judged on the service as it runs: started
//! as any user, or under the hardened flags, or under its seccomp profile
//! as well, it must become ready, answer its smoke run (a server's), and
//! pass each of its commands, exec'd in it. A service that runs `--version`
//! under these flags proves nothing of the server; one that becomes ready
//! and answers does.
//!
//! A service that never becomes ready under the flags fails the claim,
//! with what it said last: that is what the claim is about, not a failure
//! to observe.

use super::Verdict;
use super::any_user::ANY_USER;
use super::commands::first_line_said;
use super::seccomp::{checkable_here, under_profile};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::{Row, Smoke};
use crate::service::exec_in;
use crate::service::never_ready;
use crate::smoke::{Observed, SERVER_DEADLINE, describe, verdict};
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::{Evidence, Mismatch, Problem, plain};
use image_probe::Confinement;
use image_probe::network::http_get_at;
use std::sync::Arc;

pub async fn service_is_ready_as_any_user(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let confinement = row.unconfined().as_user(ANY_USER);
    let under = format!("as --user {ANY_USER}");
    works_under(
        suite,
        &subject,
        &confinement,
        &under,
        true,
        "the any-user check",
    )
    .await
}

pub async fn service_is_ready_under_the_hardened_flags(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let confinement = row.hardened();
    let under = format!("under {}", confinement.describe());
    works_under(
        suite,
        &subject,
        &confinement,
        &under,
        true,
        "the hardened check",
    )
    .await
}

pub async fn service_is_ready_under_the_seccomp_profile(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    if !checkable_here(suite, &subject) {
        return Ok(());
    }
    let (profile, confinement) = under_profile(&subject)?;
    let under = format!("under {} and {}", profile.name(), confinement.describe());
    let with_commands = row
        .claims
        .seccomp
        .as_ref()
        .is_some_and(|seccomp| seccomp.commands);
    works_under(
        suite,
        &subject,
        &confinement,
        &under,
        with_commands,
        "the seccomp check",
    )
    .await
}

/// The service under `confinement` becomes ready, answers its smoke run,
/// and, `with_commands`, passes each of its commands in that container.
async fn works_under(
    suite: &Suite,
    subject: &Subject,
    confinement: &Confinement,
    under: &str,
    with_commands: bool,
    check: &str,
) -> Verdict {
    let row = &subject.row;
    let ready = match suite.ready(subject, confinement).await {
        Ok(ready) => ready,
        Err(error) if never_ready(&error) => {
            let observed = error.to_string().replace(subject.image(), "the image");
            let expected = match row.readiness() {
                Some((when, within)) => format!(
                    "ready within {} ms: {}",
                    within.as_millis(),
                    when.describe()
                ),
                None => "ready".to_owned(),
            };
            let problem = Problem::new(
                format!("started {under}"),
                plain(expected),
                plain(&observed),
            );
            return judge(
                subject,
                check,
                Mismatch::verdict(subject.label.clone(), vec![problem]),
                &Evidence::of([observed]),
            );
        }
        Err(error) => return Err(Failure::probe(subject, error)),
    };
    let engine = suite.engine();
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    if let Smoke::Http(run) = &row.smoke {
        let address = ready
            .address_of(run.port.0)
            .map_err(|error| Failure::probe(subject, error))?;
        let answer = http_get_at(engine, ready.id(), &address, &run.path, SERVER_DEADLINE)
            .await
            .map_err(|error| Failure::probe(subject, error))?;
        let observed = Observed::Answered(answer);
        let what = format!("{} {under}", row.smoke.describe());
        if let Err(mismatch) = verdict(&subject.label, &what, &row.smoke, &observed) {
            evidence.push(describe(&observed));
            problems.extend(mismatch.problems);
        }
    }
    let commands = if with_commands {
        row.commands.as_slice()
    } else {
        &[]
    };
    for command in commands {
        let outcome = exec_in(engine, subject, ready.id(), command)
            .await
            .map_err(|error| {
                Failure::probe(&format!("{subject}: {}", command.describe()), error)
            })?;
        let differences = command.differences(&outcome);
        if !differences.is_empty() {
            evidence.extend(first_line_said(&outcome));
            problems.extend(differences.into_iter().map(|mut problem| {
                problem.what = format!("{} {under}: {}", command.describe(), problem.what);
                problem
            }));
        }
    }
    judge(
        subject,
        check,
        Mismatch::verdict(subject.label.clone(), problems),
        &Evidence::of(evidence),
    )
}
