//! Hardened run: the smoke run works unchanged with a read-only root, no
//! capabilities, no privilege escalation, no network (unless the image
//! serves on it), a few processes and a little memory.
//!
//! A negative control cannot fail this (an image that works under these
//! flags is not made worse by them), so on a control the property proves
//! the flags themselves: a shell in it may write to `/` in a plain run and
//! is refused under the flags.

use super::Verdict;
use crate::failure::Failure;
use crate::row::Row;
use crate::smoke::{observe_smoke, verdict};
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::{Mismatch, Problem, plain, text};
use image_probe::Confinement;
use image_probe::run::RunRequest;
use std::sync::Arc;

/// What a shell in the control tries, and what the kernel says under the flags.
const WRITE_TO_ROOT: &[&str] = &["-c", "echo probe > /probe"];
const READ_ONLY_ERROR: &str = "Read-only file system";
/// The shell a control must hold for its flags to be proven on it.
pub const CONTROL_SHELL: &str = "/bin/sh";

pub async fn smoke_run_works_under_the_hardened_flags(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let confinement = row.hardened();
    if row.negative_control {
        return prove_the_flags_bite(suite, &subject, &confinement).await;
    }
    let observed = observe_smoke(suite.engine(), subject.image(), row, &confinement)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let what = format!("{} under {}", row.smoke.describe(), confinement.describe());
    verdict(&subject.label, &what, &row.smoke, &observed).map_err(Failure::Refuted)
}

async fn prove_the_flags_bite(
    suite: &Suite,
    subject: &Subject,
    confinement: &Confinement,
) -> Verdict {
    let shell = RunRequest::new(subject.image(), WRITE_TO_ROOT).with_entrypoint(CONTROL_SHELL);
    let engine = suite.engine();
    let plain_run = engine
        .run(&shell)
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    if plain_run.code != 0 {
        return Err(Failure::row(
            subject,
            format!(
                "a shell could not write to / even without the hardened flags, so refusing it \
                 under them proves nothing: {}",
                plain_run.stderr.trim_end()
            ),
        ));
    }
    let refused = engine
        .run(&shell.under(confinement))
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    if refused.code != 0 && refused.stderr.contains(READ_ONLY_ERROR) {
        return Ok(());
    }
    Err(Failure::Refuted(Mismatch {
        subject: format!(
            "{subject}: a shell's write to / under {}",
            confinement.describe()
        ),
        problems: vec![
            Problem::new(
                "outcome",
                plain(format!("a failure saying \"{READ_ONLY_ERROR}\"")),
                plain(format!("exit code {}", refused.code)),
            ),
            Problem::new(
                "stderr",
                plain(format!("\"{READ_ONLY_ERROR}\"")),
                text(&refused.stderr),
            ),
        ],
    }))
}
