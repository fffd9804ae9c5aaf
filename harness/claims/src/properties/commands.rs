//! A row's further commands, each its own trial: an exec of the image's
//! entrypoint (or the command's own) with the command's arguments, in a
//! resident container of the image. That is the same binary, file system,
//! user and flags as `docker run IMAGE ARGS`, at a tenth of the cost of a
//! container each (0.065 against 0.45 CPU-s here); the smoke run proves
//! the image's start as `docker run` makes it.
//!
//! A row whose seccomp claim says `commands = true` runs its commands under
//! the profile, with the hardened flags (under emulation, the flags alone),
//! so that the profile is proven sufficient for every command, not the
//! smoke run alone; other rows run them unconfined. A negative control's
//! commands are claims like its others: each must fail, for the reason
//! observed (the first line the command wrote).

use super::Verdict;
use crate::command::CommandRun;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::seccomp::profile::Profile;
use crate::service::{exec_in, exec_request};
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::{Evidence, Mismatch};
use image_probe::{Confinement, Outcome};
use std::sync::Arc;

/// Each exec's runtime init runs its Go threads inside the container's
/// pids limit, beside the resident: with two execs at once (the probe's
/// `EXECS_AT_ONCE`) the hardened run's 8 was exceeded about once in 800
/// execs (measured 2026-11-24), and the exec failed before the program
/// started; 32 leaves room.
const COMMANDS_PIDS_LIMIT: i64 = 32;

/// Under emulation qemu's own memory, its translated code and its copy of
/// the program's address space count against the limit too: calc's
/// million-character line needed 48 MiB there alone, against 21 MB natively,
/// and two execs run at once.
const EMULATION_MEMORY_FACTOR: i64 = 3;

const MIB: i64 = 1024 * 1024;

/// The flags a row's commands run under (see the module's comment).
fn commands_confinement(subject: &Subject) -> Result<Confinement, Failure> {
    let row = &subject.row;
    let Some(seccomp) = row
        .claims
        .seccomp
        .as_ref()
        .filter(|seccomp| seccomp.commands && !row.negative_control)
    else {
        // The resident's own, so that the commands share it.
        return Ok(Confinement::as_deployed());
    };
    let claim = row.claims.hardened.clone().unwrap_or_default();
    let memory_mib = row
        .commands
        .iter()
        .filter_map(|command| command.memory_mib)
        .fold(claim.memory_mib, i64::max);
    let hardened = claim
        .confinement(Some(memory_mib))
        .with_pids_limit(COMMANDS_PIDS_LIMIT);
    if subject.emulated {
        return Ok(hardened.with_memory(memory_mib * EMULATION_MEMORY_FACTOR * MIB));
    }
    let profile =
        Profile::load(&seccomp.profile).map_err(|problem| Failure::row(subject, problem))?;
    Ok(hardened.with_seccomp_profile(profile.json.to_string()))
}

/// Runs `command` in the resident of `subject` under `confinement`.
async fn exec_command(
    suite: &Suite,
    subject: &Subject,
    command: &CommandRun,
    confinement: &Confinement,
) -> Result<Outcome, Failure> {
    let container = suite
        .ready_container(subject, confinement)
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    if exec_request(subject, command).command.is_empty() {
        return Err(Failure::row(
            subject,
            format!(
                "{}: the image has no entrypoint or CMD, and the command gives no program",
                command.describe()
            ),
        ));
    }
    exec_in(suite.engine(), subject, &container, command)
        .await
        .map_err(|error| Failure::probe(&format!("{subject}: {}", command.describe()), error))
}

/// The row's command at `index` gives what it expects.
pub async fn command_gives_its_expected_output(
    suite: &Suite,
    row: &Arc<Row>,
    index: usize,
) -> Verdict {
    let subject = suite.subject(row).await?;
    let command = row
        .commands
        .get(index)
        .ok_or_else(|| Failure::row(&subject, format!("its row has no command {index}")))?;
    let confinement = commands_confinement(&subject)?;
    let observed = exec_command(suite, &subject, command, &confinement).await?;
    let verdict = Mismatch::verdict(command.describe(), command.differences(&observed))
        .map_err(|mismatch| mismatch.within(&subject.label));
    if verdict.is_ok() {
        suite.report().count(&row.name, COMMANDS_PASSED);
    }
    judge(
        &subject,
        &format!("the command {}", command.describe()),
        verdict,
        &Evidence::of(first_line_said(&observed)),
    )
}

/// The report's count of commands that passed, per row.
pub const COMMANDS_PASSED: &str = "commands passed";

/// The first line a run wrote, stdout's else stderr's, as far as a message
/// shows it whole: a negative control's evidence.
pub fn first_line_said(observed: &Outcome) -> Option<String> {
    let line = [&observed.stdout, &observed.stderr]
        .into_iter()
        .find_map(|stream| stream.lines().find(|line| !line.trim().is_empty()))?;
    Some(line.chars().take(EVIDENCE_CHARS).collect())
}

/// The most characters of a line kept as evidence: fewer than a message
/// shows of a line, so that the message holds all of it.
const EVIDENCE_CHARS: usize = 80;
