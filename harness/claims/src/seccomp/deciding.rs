//! Deciding runs: the runs that show whether a seccomp profile's call is
//! needed, the row's smoke run and its further runs, each under the
//! hardened flags, a profile, and a quarter of a CPU.
//!
//! Where the hardened flags take the network away, the runs share the
//! network namespace of one resident container instead of each making its
//! own. The engine makes and tears down a namespace for every container it
//! starts otherwise, about half of what a start costs: `docker run --network
//! none` took 0.45 CPU-s, `--network container:ID` 0.23 CPU-s (Docker
//! 20.10, 2026-12-01). The network is the same, loopback alone, and the
//! runtime joins or makes the namespace before it loads the filter, so no
//! call the runs show depends on which.

use super::profile::{EXIT_CALL, Profile};
use crate::failure::Failure;
use crate::row::{Row, Smoke};
use crate::service::live;
use crate::smoke::{Observed, describe, observe, passes};
use crate::subject::Subject;
use crate::suite::Suite;
use image_probe::{Confinement, ProbeError};
use std::time::Duration;

/// A run that spins until its deadline gets a quarter of one CPU, so that
/// it does not slow the rest of the run.
const DECIDING_NANO_CPUS: i64 = 250_000_000;

/// A run without the exit call hangs rather than fails (see `EXIT_CALL`):
/// past this, it has hung, however fast the same run is otherwise. The
/// same run under the whole profile takes about a second.
const HANG_DEADLINE: Duration = Duration::from_secs(5);

/// How many times longer than the same run under the whole profile, just
/// before, a run refusing the exit call may take before it is taken to
/// hang: load slows both alike, and a slow machine's run is not a hang.
const HANG_FACTOR: u32 = 4;

/// How long any other run may take, the baselines included: long enough
/// that a run slowed only by a loaded machine is never taken for one that
/// failed.
pub const RUN_DEADLINE: Duration = Duration::from_secs(30);

/// The hang deadline, given how long the same run took under the whole
/// profile: [`HANG_FACTOR`] times that, and never under [`HANG_DEADLINE`].
pub fn hang_deadline(whole_profile_run: Duration) -> Duration {
    HANG_DEADLINE.max(whole_profile_run * HANG_FACTOR)
}

/// How long `run` refusing `calls` may take: if it refuses the exit call,
/// whose refusal shows as a hang, [`hang_deadline`] of the same run timed
/// now under the whole profile, so that the hang is told in seconds on a
/// quiet machine and not mistaken on a slow one; [`RUN_DEADLINE`] otherwise.
pub async fn deadline_refusing(
    suite: &Suite,
    subject: &Subject,
    run: &Deciding,
    profile: &Profile,
    calls: &[&str],
) -> Duration {
    if !calls.contains(&EXIT_CALL) {
        return RUN_DEADLINE;
    }
    let whole = run.confinement(&subject.row, profile.json.to_string());
    let started = tokio::time::Instant::now();
    // Its outcome is the baselines' to judge; only its time counts here.
    let _ = run.observe(suite, subject, &whole, RUN_DEADLINE).await;
    hang_deadline(started.elapsed())
}

/// What a deciding run does.
#[derive(Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "a row has a handful of deciding runs: their size does not matter"
)]
pub enum Run {
    /// A smoke run, or one of the seccomp claim's further runs.
    Smoke(Smoke),
    /// A service's whole life (see [`live`]): its start, readiness, smoke
    /// request, commands (with `commands = true`) and stop, so that a call
    /// only its stop needs, such as installing a signal handler, is found.
    Life { with_commands: bool },
}

/// One deciding run of a row.
#[derive(Clone)]
pub struct Deciding {
    pub run: Run,
    network: Option<NetworkHolder>,
}

impl Deciding {
    /// The row's deciding runs, in the network of `network` if any: a
    /// service's life in place of its smoke run.
    pub fn of_row(row: &Row, network: Option<&NetworkHolder>) -> Vec<Deciding> {
        let mut runs: Vec<Run> = row.deciding_runs().into_iter().map(Run::Smoke).collect();
        if row.is_service() {
            let with_commands = row
                .claims
                .seccomp
                .as_ref()
                .is_some_and(|seccomp| seccomp.commands);
            runs[0] = Run::Life { with_commands };
        }
        runs.into_iter()
            .map(|run| Deciding {
                run,
                network: network.cloned(),
            })
            .collect()
    }

    /// The row's smoke run alone, in the network of `network` if any.
    pub fn smoke_run(row: &Row, network: Option<&NetworkHolder>) -> Deciding {
        Deciding {
            run: Run::Smoke(row.smoke.clone()),
            network: network.cloned(),
        }
    }

    /// The run in words.
    pub fn describe(&self) -> String {
        match &self.run {
            Run::Smoke(smoke) => smoke.describe(),
            Run::Life { .. } => "its life (started, ready, asked, stopped)".to_owned(),
        }
    }

    /// Whether what was observed is what the run expects.
    pub fn passes(&self, observed: &Observed) -> bool {
        match &self.run {
            Run::Smoke(smoke) => passes(smoke, observed),
            Run::Life { .. } => matches!(observed, Observed::Lived(None)),
        }
    }

    /// The exit status the run's program ends with: a life's, its first stop claim's.
    fn exit_code(&self, row: &Row) -> i64 {
        match &self.run {
            Run::Smoke(smoke) => smoke.exit_code(),
            Run::Life { .. } => row.claims.stops.first().map_or(0, |stop| stop.exit_code),
        }
    }

    /// The run's flags under `profile`, a profile's JSON.
    pub fn confinement(&self, row: &Row, profile: String) -> Confinement {
        let mut confinement = row
            .hardened()
            .with_seccomp_profile(profile)
            .with_cpus(DECIDING_NANO_CPUS);
        if let Run::Smoke(smoke) = &self.run
            && let Some(memory) = smoke.memory_mib()
        {
            confinement = confinement.with_memory(memory * 1024 * 1024);
        }
        if let Some(holder) = &self.network {
            confinement = confinement.joining_network_of(&holder.0);
        }
        confinement
    }

    /// Whether the row names this run as the one that shows `call` needed.
    pub fn decides(&self, call: &str) -> bool {
        match &self.run {
            Run::Smoke(Smoke::Command(run)) => run.decides.iter().any(|decided| decided == call),
            Run::Smoke(Smoke::Http(_) | Smoke::BecomingReady) | Run::Life { .. } => false,
        }
    }

    /// Its flags under `profile` with `calls` refused, the exit call
    /// refused for the status the run expects (see [`Profile::refusing`]).
    pub fn refusing(&self, row: &Row, profile: &Profile, calls: &[&str]) -> Confinement {
        let refusing = profile.refusing(calls, self.exit_code(row));
        self.confinement(row, refusing.to_string())
    }

    pub async fn observe(
        &self,
        suite: &Suite,
        subject: &Subject,
        confinement: &Confinement,
        deadline: Duration,
    ) -> Result<Observed, ProbeError> {
        match &self.run {
            Run::Smoke(smoke) => {
                observe(
                    suite.engine(),
                    subject.image(),
                    &subject.row,
                    smoke,
                    confinement,
                    deadline,
                )
                .await
            }
            Run::Life { with_commands } => {
                let lived = live(suite.engine(), subject, confinement, *with_commands);
                match tokio::time::timeout(deadline, lived).await {
                    Ok(lived) => lived.map(Observed::Lived),
                    Err(_) => Ok(Observed::Lived(Some(format!(
                        "still going after {} ms",
                        deadline.as_millis()
                    )))),
                }
            }
        }
    }
}

/// The first run of `runs` that fails under `profile` without `calls`, in
/// words, over `rounds` rounds of them all, the runs the row names for the
/// first call first; `None` if every run passed every time. What both the
/// minimality proof and derivation ask of a call.
pub async fn failure_without(
    suite: &Suite,
    subject: &Subject,
    runs: &[Deciding],
    profile: &Profile,
    calls: &[&str],
    rounds: usize,
) -> Option<String> {
    let first = calls.first().copied().unwrap_or_default();
    let (meant, others): (Vec<&Deciding>, Vec<&Deciding>) =
        runs.iter().partition(|run| run.decides(first));
    // Each run's reduced profile and deadline once, for all its rounds.
    let mut tries: Vec<(&Deciding, Confinement, Duration)> = Vec::new();
    for run in meant.into_iter().chain(others) {
        let deadline = deadline_refusing(suite, subject, run, profile, calls).await;
        tries.push((run, run.refusing(&subject.row, profile, calls), deadline));
    }
    for _ in 0..rounds {
        for (run, confinement, deadline) in &tries {
            let observed = run.observe(suite, subject, confinement, *deadline).await;
            if !matches!(&observed, Ok(observed) if run.passes(observed)) {
                let deadline_said = if calls.contains(&EXIT_CALL) {
                    format!(
                        " (its deadline {} ms: {HANG_FACTOR} times the same run under the \
                         whole profile, and at least {} s)",
                        deadline.as_millis(),
                        HANG_DEADLINE.as_secs()
                    )
                } else {
                    String::new()
                };
                return Some(format!(
                    "without {}, {}: {}{deadline_said}",
                    calls.join(", "),
                    run.describe(),
                    shown(&observed, subject)
                ));
            }
        }
    }
    None
}

/// A run's observation, or why there is none, in words, the image named
/// as such rather than by its ID.
pub fn shown(observed: &Result<Observed, ProbeError>, subject: &Subject) -> String {
    match observed {
        Ok(observed) => describe(observed),
        Err(error) => error.to_string().replace(subject.image(), "the image"),
    }
}

/// A resident of the image under `--network none`, whose network namespace
/// the deciding runs join (`--network container:ID`).
#[derive(Clone)]
pub struct NetworkHolder(String);

impl NetworkHolder {
    /// The holder for `subject`'s deciding runs; none where its hardened
    /// flags leave the network, since a server's runs are reached each on
    /// its own address.
    pub async fn of(suite: &Suite, subject: &Subject) -> Result<Option<NetworkHolder>, Failure> {
        if !subject.row.hardened().no_network {
            return Ok(None);
        }
        let holder = suite
            .engine()
            .resident(
                subject.image(),
                subject.row.residence.probe(),
                &subject.row.start_as(),
                &Confinement::NONE.without_network(),
            )
            .await
            .map_err(|error| Failure::probe(subject, error))?;
        Ok(Some(NetworkHolder(holder)))
    }

    /// Fails unless the holder still runs. A run that cannot join its
    /// namespace fails to start, which would count a call as needed
    /// wrongly; still running at the end, it ran throughout, since the
    /// engine never restarts it.
    pub async fn still_running(
        holder: Option<&NetworkHolder>,
        suite: &Suite,
    ) -> Result<(), String> {
        let Some(NetworkHolder(id)) = holder else {
            return Ok(());
        };
        suite.engine().ensure_running(id).await.map_err(|error| {
            format!(
                "the resident whose network namespace the deciding runs joined stopped during \
                 the proof ({error}), so a run that failed may have failed only to join it: no \
                 failure counts as evidence"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> Row {
        toml::from_str(&format!("name = \"row\"\nreference = \"image:1\"\n{text}")).expect("a row")
    }

    #[test]
    fn a_service_is_decided_by_its_whole_life_and_a_program_by_its_smoke_run() {
        let service = row(
            "residence = \"own-command\"\nready = { log = \"ready\", within_ms = 1000 }\n\
             claims = { stops = { within_ms = 1000, exit_code = 0 }, seccomp = { profile = \"p.json\", commands = true, runs = [{ args = [\"-v\"], stdout = \"\" }] } }",
        );
        let runs = Deciding::of_row(&service, None);
        assert!(matches!(
            runs[0].run,
            Run::Life {
                with_commands: true
            }
        ));
        assert!(matches!(runs[1].run, Run::Smoke(Smoke::Command(_))));
        assert!(runs[0].passes(&Observed::Lived(None)));
        assert!(!runs[0].passes(&Observed::Lived(Some("asked to stop".to_owned()))));
        let program = row("smoke = { args = [\"1\"], stdout = \"1\\n\" }");
        let runs = Deciding::of_row(&program, None);
        assert!(matches!(runs[0].run, Run::Smoke(Smoke::Command(_))));
    }

    #[test]
    fn a_run_refusing_the_exit_call_is_given_five_seconds_on_a_quiet_machine() {
        assert_eq!(hang_deadline(Duration::from_millis(300)), HANG_DEADLINE);
    }

    #[test]
    fn on_a_slow_machine_a_hang_must_outlast_four_times_the_whole_profiles_run() {
        // A run of 3 s under the whole profile: 5 s would be near its own time.
        assert_eq!(
            hang_deadline(Duration::from_secs(3)),
            Duration::from_secs(12)
        );
    }
}
