//! A row's further commands, each its own trial: an exec of the image's
//! entrypoint (or the command's own) with the command's arguments, in a
//! resident container of the image. That is the same binary, file system,
//! user and flags as `docker run IMAGE ARGS`, at a tenth of the cost of a
//! container each (0.065 against 0.45 CPU-s here); the smoke run proves
//! the image's start as `docker run` makes it.
//!
//! A row that claims a seccomp profile runs its commands under it, with the
//! hardened flags (under emulation, the flags alone), so that the profile
//! is proven sufficient for every command, not the smoke run alone. A
//! negative control's commands are not in question, so they run unconfined.
//!
//! `claims.any_user`: the smoke run and every command pass again as an
//! arbitrary uid of group 0, as OpenShift starts images.

use super::Verdict;
use crate::command::CommandRun;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::{Row, Smoke};
use crate::seccomp::profile::Profile;
use crate::smoke::{Observed, observe_smoke};
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::{Evidence, Mismatch, Problem};
use image_probe::resident::{EXEC_DEADLINE, ExecRequest};
use image_probe::{Confinement, Outcome};
use std::sync::Arc;

/// The arbitrary user of `any_user`: a uid from OpenShift's range, which
/// no image's /etc/passwd names, and group 0, which OpenShift gives it.
pub const ANY_USER: &str = "1000650000:0";

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
        .filter(|_| !row.negative_control)
    else {
        return Ok(row.unconfined());
    };
    let claim = row.claims.hardened.clone().unwrap_or_default();
    let memory_mib = row
        .commands
        .iter()
        .filter_map(|command| command.memory_mib)
        .chain([claim.memory_mib])
        .max()
        .unwrap_or(claim.memory_mib);
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

/// What `docker exec` runs for `command`: the entrypoint it names, else
/// the image's, then its arguments, else the image's CMD, as `docker run
/// IMAGE ARGS` composes them.
pub fn exec_request(subject: &Subject, command: &CommandRun) -> ExecRequest {
    let config = &subject.facts.config;
    let entrypoint = command.entrypoint.as_ref().unwrap_or(&config.entrypoint);
    let args = command.arguments();
    // An entrypoint given replaces the image's CMD too, as --entrypoint does.
    let args = match (args.is_empty(), command.entrypoint.is_some()) {
        (true, false) => config.cmd.clone(),
        _ => args,
    };
    ExecRequest {
        command: entrypoint.iter().cloned().chain(args).collect(),
        env: command.environment(),
        user: command.user.clone(),
        workdir: command.workdir.clone(),
    }
}

/// Runs `command` in the resident of `subject` under `confinement`.
async fn exec_command(
    suite: &Suite,
    subject: &Subject,
    command: &CommandRun,
    confinement: &Confinement,
) -> Result<Outcome, Failure> {
    let engine = suite.engine();
    let container = engine
        .resident(subject.image(), subject.row.residence.probe(), confinement)
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    let request = exec_request(subject, command);
    if request.command.is_empty() {
        return Err(Failure::row(
            subject,
            format!(
                "{}: the image has no entrypoint or CMD, and the command gives no program",
                command.describe()
            ),
        ));
    }
    let input = command.input();
    engine
        .exec_request(&container, &request, input.as_deref(), EXEC_DEADLINE)
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
    Mismatch::verdict(command.describe(), command.differences(&observed))
        .map_err(|mismatch| Failure::Refuted(mismatch.within(&subject.label)))?;
    suite.report().count(&row.name, COMMANDS_PASSED);
    Ok(())
}

/// The report's count of commands that passed, per row.
pub const COMMANDS_PASSED: &str = "commands passed";

/// The smoke run, then every command, as [`ANY_USER`]: each must give what
/// it expects, as it does as the image's own user.
pub async fn commands_pass_as_any_user(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let confinement = row.unconfined().as_user(ANY_USER);
    let mut problems: Vec<Problem> = Vec::new();
    let mut evidence = Vec::new();
    if let Smoke::Command(run) = &row.smoke {
        let observed = observe_smoke(suite.engine(), subject.image(), &row.smoke, &confinement)
            .await
            .map_err(|error| Failure::probe(&subject, error))?;
        if let Observed::Ran(outcome) = &observed {
            note_differences(run, outcome, &mut problems, &mut evidence);
        }
    }
    for command in &row.commands {
        let observed = exec_command(suite, &subject, command, &confinement).await?;
        note_differences(command, &observed, &mut problems, &mut evidence);
    }
    let what = format!("its commands as --user {ANY_USER}");
    judge(
        &subject,
        "the any-user check",
        Mismatch::verdict(what, problems).map_err(|mismatch| mismatch.within(&subject.label)),
        &Evidence::of(evidence.into_iter().take(1)),
    )
}

/// Adds `command`'s differences from `observed`, each named by the
/// command, and the first line of what it said as evidence.
fn note_differences(
    command: &CommandRun,
    observed: &Outcome,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<String>,
) {
    for mut problem in command.differences(observed) {
        problem.what = format!("{}: {}", command.describe(), problem.what);
        problems.push(problem);
    }
    if !command.matches(observed) {
        let said = observed.stderr.lines().next().unwrap_or_default();
        evidence.push(said.chars().take(80).collect());
    }
}
