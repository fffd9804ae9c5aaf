//! Seccomp: an image claims to run under an allowlist of system calls,
//! every other call refused. Three proofs:
//!
//! - sufficient: the smoke run works under the profile and the hardened flags;
//! - minimal (if claimed): `minimality.rs`;
//! - the control: under the profile, a shell in it cannot even start, while
//!   it runs without it.
//!
//! Under emulation the filter would see qemu's calls, not the program's:
//! the report says so instead.

use super::Verdict;
use super::hardening::CONTROL_SHELL;
use crate::failure::Failure;
use crate::row::{Row, Smoke};
use crate::seccomp::deciding::{Deciding, NetworkHolder, RUN_DEADLINE, shown};
use crate::seccomp::profile::Profile;
use crate::smoke::{observe_smoke, verdict};
use crate::subject::Subject;
use crate::suite::Suite;
use image_probe::run::RunRequest;
use image_probe::{Confinement, ProbeError};
use std::sync::Arc;

/// A call every runtime's init needs before it execs the program: refused,
/// the start fails in the runtime.
const NEEDED_BEFORE_EXEC: &str = "close";

/// Starts tried before the runtime's words count as lost. The engine does
/// not always hand over what a failed start wrote: with four trials at once
/// on two cores, Docker 20.10's log of it was still empty after 2 s in 2 of
/// 5 runs of the examples (2026-12-01), and the next start's was not.
const REFUSED_START_ATTEMPTS: usize = 3;

/// What the kernel's refusal reads as, in the runtime's words.
const REFUSED: &str = "operation not permitted";

/// What a shell in the control tries under the profile.
const SHELL_STARTED: &[&str] = &["-c", "echo started"];

/// The row's profile, or why it cannot be read.
pub(super) fn profile_of(subject: &Subject) -> Result<Profile, Failure> {
    let claim = subject
        .row
        .claims
        .seccomp
        .as_ref()
        .ok_or_else(|| Failure::row(subject, "its row claims no seccomp profile"))?;
    Profile::load(&claim.profile).map_err(|problem| Failure::row(subject, problem))
}

/// The row's profile, and the flags it runs under in production: the
/// hardened flags with the profile.
pub(super) fn under_profile(subject: &Subject) -> Result<(Profile, Confinement), Failure> {
    let profile = profile_of(subject)?;
    let confinement = subject
        .row
        .hardened()
        .with_seccomp_profile(profile.json.to_string());
    Ok((profile, confinement))
}

/// Whether the profile can be checked on this subject; if not, the report says why.
pub(super) fn checkable_here(suite: &Suite, subject: &Subject) -> bool {
    if subject.emulated {
        suite.report().not_proven.push(format!(
            "the seccomp profile of {subject}: its architecture, {}, runs here under \
             emulation, where the filter would see qemu's system calls instead of the \
             program's",
            subject.facts.architecture
        ));
    }
    !subject.emulated
}

pub async fn smoke_run_works_under_the_seccomp_profile(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    if !checkable_here(suite, &subject) {
        return Ok(());
    }
    let (profile, confinement) = under_profile(&subject)?;
    if row.negative_control {
        return prove_the_profile_bites(suite, &subject, &profile, &confinement).await;
    }
    let observed = observe_smoke(suite.engine(), subject.image(), row, &confinement)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let what = format!(
        "{} under {} and {}",
        row.smoke.describe(),
        profile.name(),
        confinement.describe()
    );
    verdict(&subject.label, &what, &row.smoke, &observed).map_err(Failure::Refuted)
}

/// A shell prints "started" with the hardened flags alone, and under the
/// profile as well it does not even get that far.
async fn prove_the_profile_bites(
    suite: &Suite,
    subject: &Subject,
    profile: &Profile,
    confinement: &Confinement,
) -> Verdict {
    let engine = suite.engine();
    let shell = RunRequest::new(subject.image(), SHELL_STARTED).with_entrypoint(CONTROL_SHELL);
    let hardened = engine
        .run(&shell.clone().under(&subject.row.hardened()))
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    if (hardened.code, hardened.stdout.as_str()) != (0, "started\n") {
        return Err(Failure::row(
            subject,
            format!(
                "a shell did not start even without the seccomp profile ({}), so its failing \
                 under the profile would prove nothing",
                hardened.stderr.trim_end()
            ),
        ));
    }
    match engine.run(&shell.under(confinement)).await {
        Ok(outcome) if outcome.code == 0 || outcome.stdout.contains("started") => {
            Err(Failure::ControlPassed {
                image: subject.label.clone(),
                check: format!(
                    "{} (a shell printed {:?} and exited {} under it)",
                    profile.name(),
                    outcome.stdout,
                    outcome.code
                ),
            })
        }
        _ => Ok(()),
    }
}

/// A start the profile refuses fails with what the runtime said, not only
/// the engine's consequence of it: checked on the first row that claims a
/// profile, runs a command, and runs natively.
pub async fn a_start_the_profile_refuses_is_reported_in_the_runtimes_words(
    suite: &Suite,
) -> Verdict {
    let candidate = suite.rows().iter().find(|row| {
        row.claims.seccomp.is_some()
            && !row.negative_control
            && matches!(row.smoke, Smoke::Command(_))
    });
    let Some(row) = candidate else {
        suite.report().not_proven.push(
            "that a start the profile refuses is reported in the runtime's words: no row claims \
             a seccomp profile with a command for its smoke run"
                .to_owned(),
        );
        return Ok(());
    };
    let subject = suite.subject(row).await?;
    if !checkable_here(suite, &subject) {
        return Ok(());
    }
    let profile = profile_of(&subject)?;
    let network = NetworkHolder::of(suite, &subject).await?;
    let run = Deciding::smoke_run(row, network.as_ref());
    let refusing = profile.refusing(&[NEEDED_BEFORE_EXEC], 0);
    let confinement = run.confinement(row, refusing.to_string());
    let mut attempts = 0;
    let observed = loop {
        attempts += 1;
        let observed = run
            .observe(suite, &subject, &confinement, RUN_DEADLINE)
            .await;
        if let Err(ProbeError::StartRefused {
            runtime_said: Some(said),
            ..
        }) = &observed
            && said.contains(REFUSED)
        {
            return Ok(());
        }
        if attempts == REFUSED_START_ATTEMPTS {
            break observed;
        }
    };
    Err(Failure::row(
        &subject,
        format!(
            "under {} without {NEEDED_BEFORE_EXEC}, which the runtime needs before it execs the \
             program, the start was expected to fail with the runtime's words \
             (\"{REFUSED}\"), but observed, {REFUSED_START_ATTEMPTS} times: {}",
            profile.name(),
            shown(&observed, &subject)
        ),
    ))
}
