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
use crate::probe::run::{generic_image, one_shot, one_shot_of, run_attached, run_to_exit};
use crate::row::ImageRow;
use crate::spec::{MILLION_CHARACTER_TERMS, Outcome, long_sum};
use crate::subject::{Subject, subject};
use futures::StreamExt;
use serde_json::Value;
use std::collections::BTreeSet;
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

/// The call whose absence makes calc hang until the deadline.
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
#[derive(Clone, Copy)]
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
        crate::report::record_seccomp_evidence(&format!(
            "not checked for {subject}: its architecture, {}, runs here under emulation, where \
             the filter would see qemu's system calls instead of calc's",
            subject.facts.architecture
        ));
    }
    subject.emulated
}

/// The calls the profile allows on an engine of `arch` (Go's names, `amd64`,
/// `arm64`, which the profile's `includes.arches` uses).
fn allowed_calls(profile: &Value, arch: &str) -> BTreeSet<String> {
    let entries = profile["syscalls"].as_array().into_iter().flatten();
    entries
        .filter(|entry| {
            entry["includes"]["arches"]
                .as_array()
                .is_none_or(|arches| arches.iter().any(|a| a == arch))
        })
        .flat_map(|entry| entry["names"].as_array().into_iter().flatten())
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect()
}

/// The profile with `call` taken out of every entry.
fn without(profile: &Value, call: &str) -> Value {
    let mut profile = profile.clone();
    if let Some(entries) = profile["syscalls"].as_array_mut() {
        for entry in entries {
            if let Some(names) = entry["names"].as_array_mut() {
                names.retain(|name| name != call);
            }
        }
    }
    profile
}

/// One run of `image` under `confinement`, or a description of how it failed
/// to give an outcome (it did not start, or it hung past the deadline).
async fn run_deciding(
    image: &str,
    deciding: Deciding,
    confinement: &Confinement,
    deadline: Duration,
) -> Result<Outcome, String> {
    let input = deciding.input();
    let run = run_attached(
        image,
        deciding.args(),
        input.as_deref().map(str::as_bytes),
        confinement,
    );
    match tokio::time::timeout(deadline, run).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "still running after {} s (removed)",
            deadline.as_secs()
        )),
    }
}

/// Tries of a run without a call before the call counts as unneeded. Some
/// calls are needed by runc's Go runtime depending on how its threads meet:
/// without `futex`, runc's init crashed in 20 of 20 plain runs, but once in
/// a loaded suite run it got through.
const ATTEMPTS: usize = 3;

/// What a deciding run showed about one allowed call: the first of
/// [`ATTEMPTS`] runs without it that fails, or an error if none does.
async fn evidence_for(image: &str, call: &str, deciding: Deciding) -> Result<String, String> {
    let confinement = deciding.confinement(without(&PROFILE, call).to_string());
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

#[test]
fn the_seccomp_profile_allows_only_calls_calc_cannot_do_without() {
    crate::block_on(async {
        let subject = subject(&SCRATCH).await;
        if not_checkable_here(subject) {
            return;
        }
        let arch = engine_architecture().await.or_fail(subject);
        let allowed = allowed_calls(&PROFILE, &arch);
        let decided: Vec<(&str, Deciding)> = allowed
            .iter()
            .filter(|call| !KEPT_ON_EVIDENCE.iter().any(|(kept, _)| kept == call))
            .map(|call| {
                let deciding = DECIDING.iter().find(|(name, _)| name == call);
                let (name, deciding) = deciding.unwrap_or_else(|| {
                    panic!(
                        "{PROFILE_NAME} allows {call} on {arch}, but no case here shows calc \
                         or runc needs it: add a deciding case, or remove the call"
                    )
                });
                (*name, *deciding)
            })
            .collect();
        // Each deciding run must also pass under the whole profile, or its
        // failures without a call would prove nothing. All runs go at once,
        // the one that hangs first, so that its deadline overlaps the rest.
        let baselines = [
            Deciding::Arguments,
            Deciding::Stdin,
            Deciding::MillionCharacterLine,
        ]
        .map(|deciding| (None, deciding));
        let mut runs: Vec<(Option<&str>, Deciding)> = decided
            .iter()
            .map(|&(call, deciding)| (Some(call), deciding))
            .chain(baselines)
            .collect();
        runs.sort_by_key(|(call, _)| *call != Some(HANGS_WITHOUT));
        let verdicts: Vec<Result<String, String>> = futures::stream::iter(runs)
            .map(|(call, deciding)| async move {
                match call {
                    Some(call) => evidence_for(subject.image(), call, deciding).await,
                    None => baseline(subject.image(), deciding)
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
            "{subject}: {}",
            failures
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        for evidence in verdicts.iter().flatten().filter(|e| !e.is_empty()) {
            crate::report::record_seccomp_evidence(evidence);
        }
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
