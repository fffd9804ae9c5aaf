//! Seccomp: an image claims to run under an allowlist of system calls,
//! every other call refused. Three proofs:
//!
//! - sufficient: the smoke run works under the profile and the hardened flags;
//! - minimal (if claimed): for each call the profile allows on this engine,
//!   a run under the profile without that call fails, either the smoke run
//!   or one of the row's further runs; calls the profile claims only for
//!   other runtime releases must not be needed here;
//! - the control: under the profile, a shell in it cannot even start, while
//!   it runs without it.
//!
//! Under emulation the filter would see qemu's calls, not the program's:
//! the report says so instead.

use super::Verdict;
use super::hardening::{CONTROL_SHELL, hardened_confinement};
use crate::failure::Failure;
use crate::row::{Row, Smoke};
use crate::seccomp::profile::{Claimed, EXIT_CALL, Profile, is_runtime_release};
use crate::smoke::{Observed, describe, observe, observe_smoke, passes, verdict};
use crate::subject::Subject;
use crate::suite::Suite;
use futures::StreamExt;
use image_probe::run::RunRequest;
use image_probe::{Confinement, ProbeError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A run under a profile that lacks a call may hang rather than fail (see
/// [`EXIT_CALL`]). Past this, such a run has failed. The same runs under the
/// whole profile take about a second; a run slower than this only by load
/// would count a call as needed wrongly, and the baselines' longer deadline
/// shows whether the machine is that loaded.
const RUN_DEADLINE: Duration = Duration::from_secs(5);

/// How long a run under the whole profile may take.
const BASELINE_DEADLINE: Duration = Duration::from_secs(30);

/// A run that spins until its deadline gets a quarter of one CPU, so that
/// it does not slow the rest of the run.
const DECIDING_NANO_CPUS: i64 = 250_000_000;

/// Runs of the minimality proof at once: each is a container start.
const RUNS_AT_ONCE: usize = 4;

/// Tries of a run without a call before the call counts as unneeded. Some
/// calls are needed by runc's Go runtime depending on how its threads meet:
/// without `futex`, runc's init crashed in 20 of 20 plain runs, but once in
/// a loaded run it got through.
const ATTEMPTS: usize = 3;

/// A call every runtime's init needs before it execs the program: refused,
/// the start fails in the runtime.
const NEEDED_BEFORE_EXEC: &str = "close";

/// What the kernel's refusal reads as, in the runtime's words.
const REFUSED: &str = "operation not permitted";

/// What a shell in the control tries under the profile.
const SHELL_STARTED: &[&str] = &["-c", "echo started"];

/// The row's profile, or why it cannot be read.
fn profile_of(subject: &Subject) -> Result<Profile, Failure> {
    let claim = subject
        .row
        .claims
        .seccomp
        .as_ref()
        .ok_or_else(|| Failure::row(subject, "its row claims no seccomp profile"))?;
    Profile::load(&claim.profile).map_err(|problem| Failure::row(subject, problem))
}

/// Whether the profile can be checked on this subject; if not, the report says why.
fn checkable_here(suite: &Suite, subject: &Subject) -> bool {
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
    let profile = profile_of(&subject)?;
    let confinement = hardened_confinement(row).with_seccomp_profile(profile.json.to_string());
    if row.negative_control {
        return prove_the_profile_bites(suite, &subject, &profile, &confinement).await;
    }
    let observed = observe_smoke(suite.engine(), subject.image(), &row.smoke, &confinement)
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
        .run(&shell.clone().under(&hardened_confinement(&subject.row)))
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

/// A run that decides whether a call is needed: the smoke run or one of the
/// row's further runs, under the hardened flags, the profile (or the
/// profile without the call), and a quarter of a CPU.
#[derive(Clone)]
struct Deciding {
    smoke: Smoke,
}

impl Deciding {
    fn confinement(&self, row: &Row, profile: String) -> Confinement {
        let mut confinement = hardened_confinement(row)
            .with_seccomp_profile(profile)
            .with_cpus(DECIDING_NANO_CPUS);
        if let Some(memory) = self.smoke.memory_mib() {
            confinement = confinement.with_memory(memory * 1024 * 1024);
        }
        confinement
    }

    /// Whether the row names this run as the one that shows `call` needed.
    fn decides(&self, call: &str) -> bool {
        match &self.smoke {
            Smoke::Command(run) => run.decides.iter().any(|decided| decided == call),
            Smoke::Http(_) => false,
        }
    }

    /// The exit status the run expects, which [`EXIT_CALL`] is refused for.
    fn exit_code(&self) -> i64 {
        match &self.smoke {
            Smoke::Command(run) => run.exit_code,
            Smoke::Http(_) => 0,
        }
    }

    async fn observe(
        &self,
        suite: &Suite,
        subject: &Subject,
        confinement: &Confinement,
        deadline: Duration,
    ) -> Result<Observed, ProbeError> {
        observe(
            suite.engine(),
            subject.image(),
            &self.smoke,
            confinement,
            deadline,
        )
        .await
    }
}

fn deciding_runs(row: &Row) -> Vec<Deciding> {
    row.deciding_runs()
        .into_iter()
        .map(|smoke| Deciding { smoke })
        .collect()
}

/// What one call of the profile must show on this engine.
enum Expectation {
    /// Claimed for the program or this engine's runtime: a run without it fails.
    Needed,
    /// Claimed only for other runtime releases: runs without it all pass here.
    NotNeededHere,
}

/// What each call the profile allows must show under `runtime`.
fn expectations(
    profile: &Profile,
    claims: &BTreeMap<String, Claimed>,
    runtime: &str,
) -> Result<Vec<(String, Expectation)>, String> {
    let runtimes: Vec<&String> = claims
        .values()
        .flat_map(|claimed| claimed.needed_by.iter())
        .filter(|who| is_runtime_release(who))
        .collect();
    if !runtimes.is_empty() && !runtimes.iter().any(|known| *known == runtime) {
        let mut named: Vec<&str> = runtimes.iter().map(|r| r.as_str()).collect();
        named.sort_unstable();
        named.dedup();
        return Err(format!(
            "{} claims calls for {} but none for {runtime}, this engine's runtime: derive the \
             profile on this engine (image-claims derive-seccomp), then add \"{runtime}\" to \
             the neededBy of each entry its init needs",
            profile.name(),
            named.join(", ")
        ));
    }
    let mut expected = Vec::new();
    for (call, claimed) in claims {
        if claimed.kept_on_evidence.is_some() {
            continue;
        }
        let for_here = claimed
            .needed_by
            .iter()
            .any(|who| !is_runtime_release(who) || who == runtime);
        let expectation = if for_here {
            Expectation::Needed
        } else {
            Expectation::NotNeededHere
        };
        expected.push((call.clone(), expectation));
    }
    // The call whose absence hangs goes first, so that its deadline overlaps the rest.
    expected.sort_by_key(|(call, _)| call != EXIT_CALL);
    Ok(expected)
}

pub async fn every_call_the_profile_allows_is_needed(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    if !checkable_here(suite, &subject) {
        return Ok(());
    }
    let profile = profile_of(&subject)?;
    let runtime = suite.engine().facts().runtime.release();
    let claims = profile
        .claimed_calls(&subject.facts.architecture)
        .map_err(|problem| Failure::row(&subject, problem))?;
    let expected = expectations(&profile, &claims, &runtime)
        .map_err(|problem| Failure::row(&subject, problem))?;
    let runs = deciding_runs(row);
    // Each deciding run must pass under the whole profile, or its failures
    // without a call would prove nothing.
    let baselines = futures::future::join_all(
        runs.iter()
            .map(|run| baseline(suite, &subject, &profile, run)),
    );
    let proofs: Vec<_> = expected
        .iter()
        .map(|(call, expectation)| {
            let claimed_for = claims.get(call.as_str()).map(|claimed| &claimed.needed_by);
            prove(
                suite,
                &subject,
                &profile,
                &runs,
                &runtime,
                call,
                expectation,
                claimed_for,
            )
        })
        .collect();
    let verdicts = futures::stream::iter(proofs)
        .buffer_unordered(RUNS_AT_ONCE)
        .collect::<Vec<_>>();
    let (baselines, verdicts) = futures::join!(baselines, verdicts);
    let failures: Vec<String> = baselines
        .into_iter()
        .chain(verdicts.iter().cloned().map(|verdict| verdict.map(|_| ())))
        .filter_map(Result::err)
        .collect();
    let mut report = suite.report();
    for evidence in verdicts.into_iter().flatten() {
        report.seccomp_evidence.push(format!(
            "{} for {}, under {runtime}: {evidence}",
            profile.name(),
            row.name
        ));
    }
    for (call, claimed) in &claims {
        if let Some(evidence) = &claimed.kept_on_evidence {
            report.seccomp_evidence.push(format!(
                "{} for {}: {call} kept on evidence: {evidence}",
                profile.name(),
                row.name
            ));
        }
    }
    drop(report);
    if failures.is_empty() {
        return Ok(());
    }
    Err(Failure::row(
        &subject,
        format!("under {runtime}:\n{}", failures.join("\n")),
    ))
}

/// What one call of the profile shows on this engine, as its expectation requires.
#[allow(clippy::too_many_arguments)]
async fn prove(
    suite: &Suite,
    subject: &Subject,
    profile: &Profile,
    runs: &[Deciding],
    runtime: &str,
    call: &str,
    expectation: &Expectation,
    claimed_for: Option<&std::collections::BTreeSet<String>>,
) -> Result<String, String> {
    match (expectation, claimed_for) {
        (Expectation::NotNeededHere, Some(claimed_for)) => {
            unneeded_here(
                suite,
                subject,
                profile,
                &runs[0],
                call,
                claimed_for,
                runtime,
            )
            .await
        }
        _ => evidence_for(suite, subject, profile, runs, call).await,
    }
}

/// A deciding run under the whole profile: it must give its expected output.
async fn baseline(
    suite: &Suite,
    subject: &Subject,
    profile: &Profile,
    run: &Deciding,
) -> Result<(), String> {
    let confinement = run.confinement(&subject.row, profile.json.to_string());
    let observed = run
        .observe(suite, subject, &confinement, BASELINE_DEADLINE)
        .await;
    match &observed {
        Ok(observed) if passes(&run.smoke, observed) => Ok(()),
        _ => Err(format!(
            "{} under {} and {} did not give its expected output, so no run without a call \
             can show that call is needed: {}",
            run.smoke.describe(),
            profile.name(),
            confinement.describe(),
            shown(&observed, subject)
        )),
    }
}

fn shown(observed: &Result<Observed, ProbeError>, subject: &Subject) -> String {
    match observed {
        Ok(observed) => describe(observed),
        Err(error) => error.to_string().replace(subject.image(), "the image"),
    }
}

/// The first run without `call` that fails, over [`ATTEMPTS`] rounds of
/// the deciding runs, in words; an error if every one passes.
async fn evidence_for(
    suite: &Suite,
    subject: &Subject,
    profile: &Profile,
    runs: &[Deciding],
    call: &str,
) -> Result<String, String> {
    // The runs meant for this call first, then the others in order.
    let (meant, others): (Vec<&Deciding>, Vec<&Deciding>) =
        runs.iter().partition(|run| run.decides(call));
    for _ in 0..ATTEMPTS {
        for run in meant.iter().chain(&others) {
            let confinement = run.confinement(
                &subject.row,
                profile.refusing(call, run.exit_code()).to_string(),
            );
            let observed = run
                .observe(suite, subject, &confinement, RUN_DEADLINE)
                .await;
            if !matches!(&observed, Ok(observed) if passes(&run.smoke, observed)) {
                return Ok(format!(
                    "without {call}, {}: {}",
                    run.smoke.describe(),
                    shown(&observed, subject)
                ));
            }
        }
    }
    Err(format!(
        "{} allows {call}, but every run ({}) gave its expected output without it, {ATTEMPTS} \
         times: the profile allows a call the image does not need; remove it",
        profile.name(),
        runs.iter()
            .map(|run| run.smoke.describe())
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// Runs without a call claimed only for other runtimes: each of
/// [`ATTEMPTS`] must pass, or the claim leaves this runtime out wrongly.
async fn unneeded_here(
    suite: &Suite,
    subject: &Subject,
    profile: &Profile,
    run: &Deciding,
    call: &str,
    claimed_for: &std::collections::BTreeSet<String>,
    runtime: &str,
) -> Result<String, String> {
    let joined = claimed_for
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(" and ");
    let confinement = run.confinement(
        &subject.row,
        profile.refusing(call, run.exit_code()).to_string(),
    );
    for _ in 0..ATTEMPTS {
        let observed = run
            .observe(suite, subject, &confinement, RUN_DEADLINE)
            .await;
        if !matches!(&observed, Ok(observed) if passes(&run.smoke, observed)) {
            return Err(format!(
                "{} says only {joined} need {call}, but without it {} failed under {runtime}: \
                 {}; add \"{runtime}\" to the neededBy of its entry",
                profile.name(),
                run.smoke.describe(),
                shown(&observed, subject)
            ));
        }
    }
    Ok(format!(
        "{call} (for {joined}) is not needed by {runtime}: {} passed without it, {ATTEMPTS} \
         times of {ATTEMPTS}",
        run.smoke.describe()
    ))
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
    let run = Deciding {
        smoke: row.smoke.clone(),
    };
    let confinement = run.confinement(row, profile.refusing(NEEDED_BEFORE_EXEC, 0).to_string());
    match run
        .observe(suite, &subject, &confinement, BASELINE_DEADLINE)
        .await
    {
        Err(ProbeError::StartRefused {
            runtime_said: Some(said),
            ..
        }) if said.contains(REFUSED) => Ok(()),
        observed => Err(Failure::row(
            &subject,
            format!(
                "under {} without {NEEDED_BEFORE_EXEC}, which the runtime needs before it execs \
                 the program, the start was expected to fail with the runtime's words \
                 (\"{REFUSED}\"), but observed: {}",
                profile.name(),
                shown(&observed, &subject)
            ),
        )),
    }
}
