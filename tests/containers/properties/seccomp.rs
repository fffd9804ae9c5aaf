//! Seccomp: the images run under `seccomp.json`, an allowlist of the few
//! system calls calc, and runc's last steps before it starts calc, make;
//! every other call is refused. Three proofs:
//!
//! - sufficient: every specification case passes under the profile and the
//!   hardened flags (in `arithmetic.rs`, which runs the specification in a
//!   resident under [`confinement`]), and so does each row's smoke run (here);
//! - minimal: for each call the profile allows, a run under the profile
//!   without that call fails (one test, on the scratch image: the nonroot
//!   image's /calc is the same file, checked by the reproducibility test);
//! - the control: under the profile, a shell in the bloated image cannot even
//!   start, while it runs without it.

use super::OrFail;
use super::hardening::HARDENED;
use crate::images::SCRATCH;
use crate::probe::confinement::Confinement;
use crate::probe::engine::engine_architecture;
use crate::probe::engine_facts::engine_facts;
use crate::probe::run::{
    RequestLabel, end_request, generic_image, one_shot, one_shot_of, run_attached_as, run_to_exit,
};
use crate::row::ImageRow;
use crate::spec::{MILLION_CHARACTER_TERMS, Outcome, long_sum};
use crate::subject::{Subject, subject};
use futures::StreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

/// The profile, where the README's `docker run --security-opt seccomp=…` finds it.
pub const PROFILE_NAME: &str = "seccomp.json";
const PROFILE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seccomp.json");

/// The specification's million-character line peaks at 21 MB, over the
/// hardened run's 16 MiB: under the profile the specification runs with 32 MiB.
pub const SPECIFICATION_MEMORY_BYTES: i64 = 32 * 1024 * 1024;

/// Under emulation qemu's own memory, its translated code and its copy of
/// calc's address space, counts against the limit too: the million-character
/// line, run alone, needed 48 MiB there. The resident and two execs at once
/// each bring a qemu, hence twice that.
pub const EMULATED_SPECIFICATION_MEMORY_BYTES: i64 = 96 * 1024 * 1024;

/// The specification runs by `docker exec` in a resident container, and each
/// exec's runc init runs its Go threads inside the container's pids limit,
/// beside the resident calc. With two execs at once, the hardened run's 8 was
/// exceeded about once in 800 execs (measured 2026-11-24), and the exec failed
/// before calc started; 32 leaves room, and the one-shot runs keep 8.
pub const SPECIFICATION_PIDS_LIMIT: i64 = 32;

/// A run under a profile that lacks a call may hang rather than fail: without
/// `exit_group`, musl's `_Exit` spins for ever. Past this, such a run has
/// failed. The same runs under the whole profile take about a second; a run
/// slower than this only by load would count a call as needed wrongly, and
/// the baselines' longer deadline shows whether the machine is that loaded.
const RUN_DEADLINE: Duration = Duration::from_secs(5);

/// A run without `exit_group` spins on a CPU until its deadline: a quarter
/// of one keeps it from slowing the rest of the suite. calc needs far less.
const DECIDING_NANO_CPUS: i64 = 250_000_000;

/// How long a run under the whole profile may take.
const BASELINE_DEADLINE: Duration = Duration::from_secs(30);

/// Runs of the minimality test at once: each is a container start.
const RUNS_AT_ONCE: usize = 4;

/// The call whose absence makes calc spin until the deadline: refused only
/// for a status-0 exit (see [`refusing`]).
const HANGS_WITHOUT: &str = "exit_group";

/// Calls the profile keeps without a case that fails without them, each with
/// the evidence. Every other allowed call must have a deciding case below.
const KEPT_ON_EVIDENCE: &[(&str, &str)] = &[(
    "rt_sigreturn",
    "runc's Go runtime preempts its init with a signal at random moments, and returning from the \
     handler needs rt_sigreturn: seen in the kernel's audit log (SCMP_ACT_LOG) in a few of \
     hundreds of starts, each of which would crash the start if refused",
)];

/// The run that shows a call is needed: it passes under the whole profile
/// and fails under the profile without the call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deciding {
    /// `calc 9 % 4`: start-up, the arguments, printing and exit.
    Arguments,
    /// `echo 9 % 4 | calc`: reading standard input.
    Stdin,
    /// The specification's million-character line on stdin with 32 MiB:
    /// returning freed memory (without `munmap` it runs out).
    MillionCharacterLine,
}

/// Which run decides each allowed call. A call missing from both this table
/// and [`KEPT_ON_EVIDENCE`] fails the minimality test.
const DECIDING: &[(&str, Deciding)] = &[
    ("execve", Deciding::Arguments),
    ("exit_group", Deciding::Arguments),
    ("write", Deciding::Arguments),
    ("mmap", Deciding::Arguments),
    ("rt_sigaction", Deciding::Arguments),
    ("poll", Deciding::Arguments),
    ("ppoll", Deciding::Arguments),
    ("arch_prctl", Deciding::Arguments),
    ("openat", Deciding::Arguments),
    ("fstatfs", Deciding::Arguments),
    ("getdents64", Deciding::Arguments),
    ("close", Deciding::Arguments),
    ("futex", Deciding::Arguments),
    ("fstat", Deciding::Arguments),
    ("statx", Deciding::Arguments),
    ("openat2", Deciding::Arguments),
    ("read", Deciding::Stdin),
    ("munmap", Deciding::MillionCharacterLine),
];

impl Deciding {
    fn describe(self) -> &'static str {
        match self {
            Deciding::Arguments => "calc 9 % 4",
            Deciding::Stdin => "echo 9 % 4 | calc",
            Deciding::MillionCharacterLine => "the million-character line on stdin, with 32 MiB",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Deciding::Arguments => &["9", "%", "4"],
            Deciding::Stdin | Deciding::MillionCharacterLine => &[],
        }
    }

    fn input(self) -> Option<String> {
        match self {
            Deciding::Arguments => None,
            Deciding::Stdin => Some("9 % 4\n".to_owned()),
            Deciding::MillionCharacterLine => Some(long_sum(MILLION_CHARACTER_TERMS)),
        }
    }

    fn expected(self) -> Outcome {
        match self {
            Deciding::Arguments | Deciding::Stdin => Outcome::from_streams(b"1\n", b"", 0),
            Deciding::MillionCharacterLine => {
                Outcome::from_streams(format!("{MILLION_CHARACTER_TERMS}\n").as_bytes(), b"", 0)
            }
        }
    }

    fn confinement(self, profile: String) -> Confinement {
        let confinement = HARDENED
            .with_seccomp_profile(profile)
            .with_cpus(DECIDING_NANO_CPUS);
        match self {
            Deciding::MillionCharacterLine => confinement.with_memory(SPECIFICATION_MEMORY_BYTES),
            Deciding::Arguments | Deciding::Stdin => confinement,
        }
    }
}

/// The profile as the repository has it, parsed once.
static PROFILE: LazyLock<Value> = LazyLock::new(|| {
    let text = std::fs::read_to_string(PROFILE_FILE)
        .unwrap_or_else(|error| panic!("cannot read {PROFILE_FILE}: {error}"));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{PROFILE_FILE} is not valid JSON: {error}"))
});

/// The hardened flags with the profile, as the README's `docker run` gives them.
pub fn confinement() -> Confinement {
    HARDENED.with_seccomp_profile(PROFILE.to_string())
}

/// The hardened flags with memory and processes enough for the
/// specification's execs, and the profile where it can apply.
pub fn specification_confinement(subject: &Subject) -> Confinement {
    let confinement = if subject.emulated {
        HARDENED.with_memory(EMULATED_SPECIFICATION_MEMORY_BYTES)
    } else {
        confinement().with_memory(SPECIFICATION_MEMORY_BYTES)
    };
    confinement.with_pids_limit(SPECIFICATION_PIDS_LIMIT)
}

/// Under emulation the filter sees qemu's own system calls, not the
/// program's: the profile cannot be checked, and the report says so.
fn not_checkable_here(subject: &Subject) -> bool {
    if subject.emulated {
        crate::report::record_not_proven(&format!(
            "seccomp.json for {subject}: its architecture, {}, runs here under emulation, where \
             the filter would see qemu's system calls instead of calc's",
            subject.facts.architecture
        ));
    }
    subject.emulated
}

/// Who the profile says needs a call: `calc`, or a runtime release such as
/// `runc 1.3` (each entry's `neededBy`).
const CALC: &str = "calc";

/// The calls the profile allows on an engine of `arch` (Go's names, `amd64`,
/// `arm64`, which the profile's `includes.arches` uses), each with the union
/// of its entries' `neededBy`. An entry that names no one is an error.
fn claimed_calls(
    profile: &Value,
    arch: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let entries = profile["syscalls"].as_array().into_iter().flatten();
    for entry in entries.filter(|entry| {
        entry["includes"]["arches"]
            .as_array()
            .is_none_or(|arches| arches.iter().any(|a| a == arch))
    }) {
        let names: Vec<&str> = entry["names"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let needed_by: BTreeSet<String> = entry["neededBy"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|who| who.as_str().map(str::to_owned))
            .collect();
        if needed_by.is_empty() {
            return Err(format!(
                "{PROFILE_NAME}'s entry for {} says in no neededBy who needs it: name calc, or \
                 the runtime releases (such as \"runc 1.3\") whose init makes the call",
                names.join(", ")
            ));
        }
        for name in names {
            calls
                .entry(name.to_owned())
                .or_default()
                .extend(needed_by.iter().cloned());
        }
    }
    Ok(calls)
}

/// The profile refusing `call`. exit_group is refused only with status 0,
/// calc's exit after a right answer: a runtime whose init fails before it
/// execs calc exits non-zero, and must be able to. Refused outright, such an
/// init spins for ever inside the engine's start call, where no API call
/// reaches it (seen with runc 1.3 and a profile it found insufficient).
fn refusing(profile: &Value, call: &str) -> Value {
    let mut profile = profile.clone();
    if let Some(entries) = profile["syscalls"].as_array_mut() {
        for entry in entries.iter_mut() {
            if let Some(names) = entry["names"].as_array_mut() {
                names.retain(|name| name != call);
            }
        }
        if call == HANGS_WITHOUT {
            entries.push(serde_json::json!({
                "names": [call],
                "action": "SCMP_ACT_ALLOW",
                "args": [{ "index": 0, "value": 0, "op": "SCMP_CMP_NE" }],
            }));
        }
    }
    profile
}

/// How long the engine may take to remove a deciding run past its deadline.
/// A run it cannot remove is a wedged start, and fails the test by name.
const REMOVAL_DEADLINE: Duration = Duration::from_secs(15);

/// One run of `image` under `confinement`, or a description of how it failed
/// to give an outcome: it did not start (with what the runtime said), or it
/// was still running at the deadline and was removed then.
async fn run_deciding(
    image: &str,
    deciding: Deciding,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<Outcome, String> {
    let input = deciding.input();
    let request = RequestLabel::new();
    let run = run_attached_as(
        &request,
        image,
        deciding.args(),
        input.as_deref().map(str::as_bytes),
        confinement,
    );
    match tokio::time::timeout(deadline, run).await {
        Ok(outcome) => outcome,
        Err(_) => {
            let still_running = format!("still running after {} s", deadline.as_secs());
            match end_request(&request, REMOVAL_DEADLINE).await {
                Ok(()) => Err(format!("{still_running} (removed)")),
                Err(left) => Err(format!("{still_running}, and {left}")),
            }
        }
    }
}

/// Tries of a run without a call before the call counts as unneeded. Some
/// calls are needed by runc's Go runtime depending on how its threads meet:
/// without `futex`, runc's init crashed in 20 of 20 plain runs, but once in
/// a loaded suite run it got through.
const ATTEMPTS: usize = 3;

/// One run of the minimality test: a deciding run under the whole profile,
/// or one without a call, with what it must show.
enum MinimalityRun<'a> {
    Baseline(Deciding),
    Without(&'a str, Expectation),
}

/// What one call of the profile must show on this engine.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expectation {
    /// Claimed for calc or this engine's runtime: a run without it fails.
    Needed(Deciding),
    /// Claimed only for other runtimes: runs without it all pass here.
    NotNeededHere,
}

/// What a deciding run showed about one call claimed as needed: the first
/// of [`ATTEMPTS`] runs without it that fails, or an error if none does.
async fn evidence_for(image: &str, call: &str, deciding: Deciding) -> Result<String, String> {
    let confinement = deciding.confinement(refusing(&PROFILE, call).to_string());
    for _ in 0..ATTEMPTS {
        match run_deciding(image, deciding, &confinement, RUN_DEADLINE).await {
            Ok(outcome) if outcome == deciding.expected() => continue,
            Ok(outcome) => {
                return Ok(format!(
                    "without {call}, {} exits {} with stdout {:?}",
                    deciding.describe(),
                    outcome.code,
                    outcome.stdout
                ));
            }
            Err(problem) => {
                return Ok(format!(
                    "without {call}, {}: {}",
                    deciding.describe(),
                    problem.replace(image, "the image")
                ));
            }
        }
    }
    Err(format!(
        "{PROFILE_NAME} allows {call}, but {} gave the right output without it, {ATTEMPTS} \
         times of {ATTEMPTS}: the profile allows a call calc does not need; remove it",
        deciding.describe()
    ))
}

/// What runs without a call claimed only for other runtimes showed: each
/// of [`ATTEMPTS`] must pass, or the claim leaves this runtime out wrongly.
async fn unneeded_here(
    image: &str,
    call: &str,
    claimed_for: &BTreeSet<String>,
    runtime: &str,
) -> Result<String, String> {
    let deciding = Deciding::Arguments;
    let confinement = deciding.confinement(refusing(&PROFILE, call).to_string());
    for _ in 0..ATTEMPTS {
        let observed = run_deciding(image, deciding, &confinement, RUN_DEADLINE).await;
        if observed.as_ref() != Ok(&deciding.expected()) {
            return Err(format!(
                "{PROFILE_NAME} says only {} need {call}, but without it {} failed under \
                 {runtime}: {}; add \"{runtime}\" to the neededBy of its entry",
                joined(claimed_for),
                deciding.describe(),
                describe_observed(&observed).replace(image, "the image")
            ));
        }
    }
    Ok(format!(
        "{call} (for {}) is not needed by {runtime}: {} passed without it, {ATTEMPTS} times of \
         {ATTEMPTS}",
        joined(claimed_for),
        deciding.describe()
    ))
}

fn joined(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(" and ")
}

/// What each call the profile allows on `arch` must show under `runtime`.
fn expectations(
    claims: &BTreeMap<String, BTreeSet<String>>,
    runtime: &str,
    arch: &str,
) -> Result<Vec<(String, Expectation)>, String> {
    let runtimes: BTreeSet<&String> = claims.values().flatten().filter(|w| *w != CALC).collect();
    if !runtimes.iter().any(|known| *known == runtime) {
        return Err(format!(
            "{PROFILE_NAME} claims calls for {} but none for {runtime}, this engine's runtime: \
             find which calls its init makes after loading the filter (SCMP_ACT_LOG, see the \
             README), then add {runtime} to the neededBy of each entry it needs",
            runtimes
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut expected = Vec::new();
    for (call, needed_by) in claims {
        if KEPT_ON_EVIDENCE.iter().any(|(kept, _)| kept == call) {
            continue;
        }
        if !needed_by.contains(CALC) && !needed_by.contains(runtime) {
            expected.push((call.clone(), Expectation::NotNeededHere));
            continue;
        }
        let deciding = DECIDING.iter().find(|(name, _)| name == call);
        let (_, deciding) = deciding.ok_or_else(|| {
            format!(
                "{PROFILE_NAME} allows {call} on {arch} for {}, but no case here shows it is \
                 needed: add a deciding case, or remove the call",
                joined(needed_by)
            )
        })?;
        expected.push((call.clone(), Expectation::Needed(*deciding)));
    }
    Ok(expected)
}

#[test]
fn the_seccomp_profile_allows_only_calls_calc_or_its_runtime_cannot_do_without() {
    crate::block_on(async {
        let subject = subject(&SCRATCH).await;
        if not_checkable_here(subject) {
            return;
        }
        let arch = engine_architecture().await.or_fail(subject);
        let runtime = engine_facts().await.or_fail(subject).runtime.release();
        let claims = claimed_calls(&PROFILE, &arch).or_fail(subject);
        let expected = expectations(&claims, &runtime, &arch).or_fail(subject);
        // Each deciding run must also pass under the whole profile, or its
        // failures without a call would prove nothing. All runs go at once,
        // the one that runs until its deadline first, so that its deadline
        // overlaps the rest.
        let baselines = [
            Deciding::Arguments,
            Deciding::Stdin,
            Deciding::MillionCharacterLine,
        ]
        .map(MinimalityRun::Baseline);
        let mut runs: Vec<MinimalityRun> = expected
            .iter()
            .map(|(call, expectation)| MinimalityRun::Without(call, *expectation))
            .chain(baselines)
            .collect();
        runs.sort_by_key(
            |run| !matches!(run, MinimalityRun::Without(call, _) if *call == HANGS_WITHOUT),
        );
        let runtime = runtime.as_str();
        let claims = &claims;
        let verdicts: Vec<Result<String, String>> = futures::stream::iter(runs)
            .map(|run| async move {
                match run {
                    MinimalityRun::Without(call, Expectation::Needed(deciding)) => {
                        evidence_for(subject.image(), call, deciding).await
                    }
                    MinimalityRun::Without(call, Expectation::NotNeededHere) => {
                        unneeded_here(subject.image(), call, &claims[call], runtime).await
                    }
                    MinimalityRun::Baseline(deciding) => baseline(subject.image(), deciding)
                        .await
                        .map(|()| String::new()),
                }
            })
            .buffer_unordered(RUNS_AT_ONCE)
            .collect()
            .await;
        let failures: Vec<&String> = verdicts.iter().filter_map(|v| v.as_ref().err()).collect();
        assert!(
            failures.is_empty(),
            "{subject}, under {runtime}: {}",
            failures
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        for evidence in verdicts.iter().flatten().filter(|e| !e.is_empty()) {
            crate::report::record_seccomp_evidence(&format!("{runtime}: {evidence}"));
        }
    });
}

/// A call every runtime's init needs before it execs calc: refused, the
/// start fails in the runtime.
const NEEDED_BEFORE_EXEC: &str = "close";

/// What the kernel's refusal reads as, in the runtime's words.
const REFUSED: &str = "operation not permitted";

#[test]
fn a_start_the_profile_refuses_is_reported_in_the_runtimes_words() {
    crate::block_on(async {
        let subject = subject(&SCRATCH).await;
        if not_checkable_here(subject) {
            return;
        }
        let confinement =
            HARDENED.with_seccomp_profile(refusing(&PROFILE, NEEDED_BEFORE_EXEC).to_string());
        let observed =
            run_to_exit(confinement.confine(one_shot(subject.image(), Deciding::Arguments.args())))
                .await;
        let Err(problem) = observed else {
            panic!(
                "{subject}: under {PROFILE_NAME} without {NEEDED_BEFORE_EXEC} the container \
                 started and gave {}, but the runtime needs {NEEDED_BEFORE_EXEC} \
                 before it execs calc",
                describe_observed(&observed)
            );
        };
        assert!(
            problem.contains(REFUSED),
            "{subject}: a start refused by the profile was reported without the runtime's \
             words (\"{REFUSED}\"): {problem}"
        );
    });
}

/// A deciding run under the whole profile: it must give its expected output.
async fn baseline(image: &str, deciding: Deciding) -> Result<(), String> {
    let confinement = deciding.confinement(PROFILE.to_string());
    let observed = run_deciding(image, deciding, &confinement, BASELINE_DEADLINE).await;
    if observed.as_ref() == Ok(&deciding.expected()) {
        return Ok(());
    }
    Err(format!(
        "{} under {PROFILE_NAME} and {} did not give its expected output, so no run \
         without a call can show that call is needed: {}",
        deciding.describe(),
        confinement.describe(),
        describe_observed(&observed)
    ))
}

fn describe_observed(observed: &Result<Outcome, String>) -> String {
    match observed {
        Ok(outcome) => format!(
            "exit {}, stdout {:?}, stderr {:?}",
            outcome.code, outcome.stdout, outcome.stderr
        ),
        Err(problem) => problem.clone(),
    }
}

/// What a shell in the control tries under the profile.
const SHELL_STARTED: &[&str] = &["-c", "echo started"];

pub async fn smoke_run_works_under_the_seccomp_profile(image: &'static ImageRow) {
    if !image.claims.seccomp {
        return;
    }
    let subject = subject(image).await;
    if not_checkable_here(subject) {
        return;
    }
    if image.negative_control {
        prove_the_profile_bites(subject).await;
        return;
    }
    let confinement = confinement();
    let run = confinement.confine(one_shot(subject.image(), image.smoke.args));
    let observed = run_to_exit(run).await.or_fail(subject);
    let expected = Outcome::from_streams(image.smoke.stdout.as_bytes(), b"", 0);
    let what = format!(
        "run of {} under {PROFILE_NAME} and {}",
        image.smoke.args.join(" "),
        confinement.describe()
    );
    super::expect_outcome(subject, &what, &observed, &expected);
}

/// A shell prints "started" with the hardened flags alone, and under the
/// profile as well it does not even get that far.
async fn prove_the_profile_bites(subject: &Subject) {
    let shell = || generic_image(subject.image()).with_entrypoint("/bin/sh");
    let hardened = run_to_exit(HARDENED.confine(one_shot_of(shell(), SHELL_STARTED)))
        .await
        .or_fail(subject);
    assert_eq!(
        (hardened.code, hardened.stdout.as_str()),
        (0, "started\n"),
        "{subject}: a shell did not start even without the seccomp profile (stderr: {}), so \
         its failing under the profile would prove nothing",
        hardened.stderr.trim_end()
    );
    let confinement = confinement();
    let confined = run_to_exit(confinement.confine(one_shot_of(shell(), SHELL_STARTED))).await;
    if let Ok(outcome) = &confined {
        assert!(
            outcome.code != 0 && !outcome.stdout.contains("started"),
            "{subject}: under {PROFILE_NAME} a shell printed {:?} and exited {}: the profile \
             let a program calc's image does not hold run",
            outcome.stdout,
            outcome.code
        );
    }
}

tests_for_every_image!(smoke_run_works_under_the_seccomp_profile);
