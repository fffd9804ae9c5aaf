//! Minimality of a seccomp profile on this engine: every call it allows for
//! the program or this engine's runtime is needed, and the calls it allows
//! only for other runtime releases are not.
//!
//! - A call claimed here is needed: a deciding run under the profile
//!   without it fails, the run the row names for the call first.
//! - The calls claimed only for other runtimes are not needed here: the
//!   smoke run passes without all of them at once, every time. That is the
//!   profile a user of this runtime alone could keep; if it fails, each call
//!   is tried alone, to name which one this runtime needs.
//!
//! Each deciding run must first pass under the whole profile, or its
//! failures without a call would prove nothing.

use super::Verdict;
use super::seccomp::{checkable_here, profile_of};
use crate::failure::Failure;
use crate::row::Row;
use crate::seccomp::deciding::{
    Deciding, NetworkHolder, RUN_DEADLINE, deadline_refusing, failure_without, shown,
};
use crate::seccomp::profile::{Claimed, EXIT_CALL, Profile, is_runtime_release};
use crate::subject::Subject;
use crate::suite::Suite;
use futures::StreamExt;
use futures::future::BoxFuture;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Runs of the proof at once: each is a container start.
const RUNS_AT_ONCE: usize = 4;

/// Tries of a run without a call before the call counts as unneeded. Some
/// calls are needed by runc's Go runtime depending on how its threads meet:
/// without `futex`, runc's init crashed in 20 of 20 plain runs, but once in
/// a loaded run it got through.
const ATTEMPTS: usize = 3;

/// What the calls of the profile must show on this engine.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    /// Claimed for the program or this engine's runtime: a run without
    /// each one fails. The call whose absence hangs first, so that its
    /// deadline overlaps the rest.
    needed: Vec<String>,
    /// Claimed only for other runtime releases, each with who claims it.
    elsewhere: BTreeMap<String, BTreeSet<String>>,
}

/// What each call the profile allows must show under `runtime`.
fn expected(
    profile: &Profile,
    claims: &BTreeMap<String, Claimed>,
    runtime: &str,
) -> Result<Expected, String> {
    let runtimes: BTreeSet<&str> = claims
        .values()
        .flat_map(|claimed| claimed.needed_by.iter())
        .filter(|who| is_runtime_release(who))
        .map(String::as_str)
        .collect();
    if !runtimes.is_empty() && !runtimes.contains(runtime) {
        return Err(format!(
            "{} claims calls for {} but none for {runtime}, this engine's runtime: derive the \
             profile on this engine (image-claims derive-seccomp), then add \"{runtime}\" to \
             the neededBy of each entry its init needs",
            profile.name(),
            runtimes.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut expected = Expected::default();
    for (call, claimed) in claims {
        if claimed.kept_on_evidence.is_some() {
            continue;
        }
        let for_here = claimed
            .needed_by
            .iter()
            .any(|who| !is_runtime_release(who) || who == runtime);
        if for_here {
            expected.needed.push(call.clone());
        } else {
            expected
                .elsewhere
                .insert(call.clone(), claimed.needed_by.clone());
        }
    }
    expected.needed.sort_by_key(|call| call != EXIT_CALL);
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
    let expected =
        expected(&profile, &claims, &runtime).map_err(|problem| Failure::row(&subject, problem))?;
    let network = NetworkHolder::of(suite, &subject).await?;
    let proof = Proof {
        suite,
        subject: &subject,
        profile: &profile,
        runs: Deciding::of_row(row, network.as_ref()),
        runtime: &runtime,
    };
    let baselines = futures::future::join_all(proof.runs.iter().map(|run| proof.baseline(run)));
    let mut steps: Vec<BoxFuture<'_, Result<String, String>>> = expected
        .needed
        .iter()
        .map(|call| Box::pin(proof.needed(call)) as BoxFuture<'_, _>)
        .collect();
    if !expected.elsewhere.is_empty() {
        steps.push(Box::pin(proof.not_needed_here(&expected.elsewhere)));
    }
    let verdicts = futures::stream::iter(steps)
        .buffer_unordered(RUNS_AT_ONCE)
        .collect::<Vec<_>>();
    let (baselines, verdicts) = futures::join!(baselines, verdicts);
    let holder = NetworkHolder::still_running(network.as_ref(), suite).await;
    let failures: Vec<String> = baselines
        .into_iter()
        .chain(verdicts.iter().cloned().map(|verdict| verdict.map(|_| ())))
        .chain([holder])
        .filter_map(Result::err)
        .collect();
    report_evidence(suite, row, &profile, &runtime, &claims, verdicts);
    if failures.is_empty() {
        return Ok(());
    }
    Err(Failure::row(
        &subject,
        format!("under {runtime}:\n{}", failures.join("\n")),
    ))
}

/// The report's lines: what showed each call needed or not, and why the
/// calls kept on evidence are kept.
fn report_evidence(
    suite: &Suite,
    row: &Row,
    profile: &Profile,
    runtime: &str,
    claims: &BTreeMap<String, Claimed>,
    verdicts: Vec<Result<String, String>>,
) {
    let mut report = suite.report();
    for evidence in verdicts.into_iter().flatten() {
        report.seccomp_evidence.push(format!(
            "{} for {}, under {runtime}: {evidence}",
            profile.name(),
            row.name
        ));
    }
    for (call, claimed) in claims {
        if let Some(evidence) = &claimed.kept_on_evidence {
            report.seccomp_evidence.push(format!(
                "{} for {}: {call} kept on evidence: {evidence}",
                profile.name(),
                row.name
            ));
        }
    }
}

/// What every step of one row's proof runs with.
struct Proof<'a> {
    suite: &'a Suite,
    subject: &'a Subject,
    profile: &'a Profile,
    runs: Vec<Deciding>,
    runtime: &'a str,
}

impl Proof<'_> {
    /// A deciding run under the whole profile: it must give its expected output.
    async fn baseline(&self, run: &Deciding) -> Result<(), String> {
        let confinement = run.confinement(&self.subject.row, self.profile.json.to_string());
        let observed = run
            .observe(self.suite, self.subject, &confinement, RUN_DEADLINE)
            .await;
        match &observed {
            Ok(observed) if run.passes(observed) => Ok(()),
            _ => Err(format!(
                "{} under {} and {} did not give its expected output, so no run without a call \
                 can show that call is needed: {}",
                run.describe(),
                self.profile.name(),
                confinement.describe(),
                shown(&observed, self.subject)
            )),
        }
    }

    /// The first run without `call` that fails, over [`ATTEMPTS`] rounds of
    /// the deciding runs, in words; an error if every one passes.
    async fn needed(&self, call: &str) -> Result<String, String> {
        self.failure_without(call).await.ok_or_else(|| {
            format!(
                "{} allows {call}, but every run ({}) gave its expected output without it, \
                 {ATTEMPTS} times: the profile allows a call the image does not need; remove it",
                self.profile.name(),
                self.runs
                    .iter()
                    .map(|run| run.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
    }

    /// The first failing run without `call`, over [`ATTEMPTS`] rounds.
    async fn failure_without(&self, call: &str) -> Option<String> {
        let (suite, subject) = (self.suite, self.subject);
        failure_without(suite, subject, &self.runs, self.profile, &[call], ATTEMPTS).await
    }

    /// The smoke run without every call of `elsewhere` at once passes, each
    /// of [`ATTEMPTS`] times; if not, which of them this runtime needs.
    async fn not_needed_here(
        &self,
        elsewhere: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<String, String> {
        let calls: Vec<&str> = elsewhere.keys().map(String::as_str).collect();
        let run = &self.runs[0];
        let confinement = run.refusing(&self.subject.row, self.profile, &calls);
        let deadline = deadline_refusing(self.suite, self.subject, run, self.profile, &calls).await;
        for _ in 0..ATTEMPTS {
            let observed = run
                .observe(self.suite, self.subject, &confinement, deadline)
                .await;
            if !matches!(&observed, Ok(observed) if run.passes(observed)) {
                return Err(self
                    .which_are_needed_here(elsewhere, &shown(&observed, self.subject))
                    .await);
            }
        }
        let claimed: BTreeSet<&String> = elsewhere.values().flatten().collect();
        Ok(format!(
            "{} (claimed for {}) are not needed by {}: {} passed without all of them, \
             {ATTEMPTS} times of {ATTEMPTS}",
            calls.join(", "),
            claimed
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" and "),
            self.runtime,
            run.describe()
        ))
    }

    /// Why the run failed without the calls claimed for other runtimes:
    /// each one this runtime needs, tried alone.
    async fn which_are_needed_here(
        &self,
        elsewhere: &BTreeMap<String, BTreeSet<String>>,
        together: &str,
    ) -> String {
        let mut needed = Vec::new();
        for (call, claimed) in elsewhere {
            if let Some(evidence) = self.failure_without(call).await {
                let claimed: Vec<&str> = claimed.iter().map(String::as_str).collect();
                needed.push(format!(
                    "{} says only {} need {call}, but {evidence}; add \"{}\" to the neededBy of \
                     its entry",
                    self.profile.name(),
                    claimed.join(" and "),
                    self.runtime
                ));
            }
        }
        if needed.is_empty() {
            let calls: Vec<&str> = elsewhere.keys().map(String::as_str).collect();
            return format!(
                "{} claims {} only for other runtimes, and without all of them at once {} \
                 failed ({together}), though each alone passed: {} needs one of them; add \"{}\" \
                 to the neededBy of the one it should keep",
                self.profile.name(),
                calls.join(", "),
                self.runs[0].describe(),
                self.runtime,
                self.runtime
            );
        }
        needed.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(entries: serde_json::Value) -> Profile {
        Profile {
            path: "seccomp.json".into(),
            json: json!({ "syscalls": entries }),
        }
    }

    fn claims_of(profile: &Profile) -> BTreeMap<String, Claimed> {
        let architecture = image_probe::Architecture::new("amd64");
        profile.claimed_calls(&architecture).unwrap_or_default()
    }

    #[test]
    fn calls_claimed_only_for_other_runtimes_are_expected_unneeded_together() {
        let profile = profile(json!([
            { "names": ["read", "exit_group"], "neededBy": ["calc"] },
            { "names": ["close"], "neededBy": ["runc 1.1", "runc 1.3"] },
            { "names": ["statx", "openat2"], "neededBy": ["runc 1.3"] },
        ]));
        let expected = expected(&profile, &claims_of(&profile), "runc 1.1");
        let runc_13 = BTreeSet::from(["runc 1.3".to_owned()]);
        assert_eq!(
            expected,
            Ok(Expected {
                needed: vec!["exit_group".into(), "close".into(), "read".into()],
                elsewhere: BTreeMap::from([
                    ("openat2".to_owned(), runc_13.clone()),
                    ("statx".to_owned(), runc_13),
                ]),
            })
        );
    }

    #[test]
    fn a_profile_naming_runtimes_but_not_this_one_is_refused() {
        let profile = profile(json!([
            { "names": ["close"], "neededBy": ["runc 1.3"] },
        ]));
        let refused = expected(&profile, &claims_of(&profile), "runc 1.1");
        assert!(
            refused
                .as_ref()
                .is_err_and(|problem| problem.contains("none for runc 1.1")),
            "{refused:?}"
        );
    }
}
