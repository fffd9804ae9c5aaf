//! Deriving a seccomp allowlist for a row, the way `tools/trace-syscalls`
//! does for calc but for any image, and seen from the kernel rather than
//! strace: the row's smoke run, or a service's whole life, start to stop
//! (and its further seccomp runs) run several
//! times under a profile that allows every call and logs it
//! (`SCMP_ACT_LOG`), with the hardened flags; the kernel's audit records
//! name each call and the executable that made it, the program or the
//! runtime's init after it loaded the filter. Then each call seen is
//! refused in turn: a call every run still passes without is dropped (a
//! runtime may try a call and cope with its refusal), the others make the
//! allowlist, claimed for the program or for this engine's runtime release.
//!
//! Reading the kernel's log needs root.

use super::deciding::{Deciding, failure_without, shown};
use super::profile::{EXIT_CALL, Profile, RUNTIMES, is_runtime_release};
use crate::failure::Failure;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use futures::StreamExt;
use image_probe::Architecture;
use image_probe::audit::{KernelLog, RateLimitLifted};
use image_probe::progress::say;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Runs of each deciding run under the logging profile, unless told.
pub const DEFAULT_RUNS: usize = 5;
/// Rounds of runs without a call, at most.
const ATTEMPTS: usize = 3;
/// Rounds that must fail for the call to be kept.
const FAILURES_TO_KEEP: usize = 2;
/// How long one run under the logging profile may take.
const RUN_DEADLINE: Duration = Duration::from_secs(10);
/// Time for the kernel to print the last records of a run.
const LOG_SETTLE: Duration = Duration::from_millis(300);
/// Runs without a call at once.
const RUNS_AT_ONCE: usize = 4;

/// Returning from a signal handler: needed the moment a signal arrives,
/// which in runc's init is whenever Go's scheduler preempts it, at random.
/// A few runs seldom see it, and without it any run may crash, which would
/// make every other call look needed. So it is allowed throughout, and
/// proposed as kept on this evidence.
pub const SIGNAL_RETURN: &str = "rt_sigreturn";

/// Allocating memory: runc's init is a Go program, whose runtime may grow
/// its heap after the filter is loaded, at random; refused, the start dies
/// with "fatal error: runtime: cannot allocate memory" (seen for busybox,
/// whose own program allocates with brk, on runc 1.3 in 1 of about 7 suite
/// runs on 2026-12-01, after 5 derivation runs never showed it). So where no
/// run makes it, it is allowed throughout, and proposed kept on that evidence.
const ALLOCATE_CALL: &str = "mmap";
const ALLOCATE_EVIDENCE: &str = "allocating memory: runc's init is a Go program whose runtime \
    may grow its heap after the filter is loaded, at random moments; refused, the start dies \
    with \"fatal error: runtime: cannot allocate memory\"";

/// The call every process ends with. A server ends only when stopped, which
/// no smoke run waits for, so its runs never show it; but without it a
/// runtime init that fails cannot exit, and spins inside the engine's start
/// call. So where no run makes it, it is allowed throughout too, and
/// proposed as kept on that evidence.
const EXIT_EVIDENCE: &str = "the call every process ends with: a server's smoke run never \
    makes it, but a runtime init that fails needs it to exit, and spins without it";
const SIGNAL_RETURN_EVIDENCE: &str = "returning from a signal handler: needed whenever a signal \
    arrives, as when Go's scheduler preempts runc's init at random moments; refused, the start crashes";

/// What derivation proposes for one row on one engine.
#[derive(Debug)]
pub struct Derived {
    pub row: String,
    pub architecture: Architecture,
    pub runtime_release: String,
    /// Calls the program needs (its start, `execve`, counts as the program's).
    pub program: BTreeSet<String>,
    /// Calls the runtime's init needs after it loads the filter.
    pub runtime: BTreeSet<String>,
    /// Calls seen but not needed: every run passed without each.
    pub dropped: BTreeSet<String>,
    /// Calls allowed throughout without a run to decide them, each with why.
    pub kept: BTreeMap<String, String>,
}

impl Derived {
    /// The calls seen and dropped, in words: `a, b`, or `none`.
    pub fn dropped_calls(&self) -> String {
        let calls: Vec<&String> = self.dropped.iter().collect();
        listed(&calls)
    }
}

/// Observes, then prunes.
pub async fn derive(suite: &Suite, row: &Arc<Row>, runs: usize) -> Result<Derived, Failure> {
    let subject = suite.subject(row).await?;
    if subject.emulated {
        return Err(Failure::row(
            &subject,
            "it runs here under emulation, where the kernel would see qemu's calls",
        ));
    }
    let deciding = Deciding::of_row(row, None);
    let (program, runtime) = observe_calls(suite, &subject, &deciding, runs).await?;
    let mut seen: BTreeSet<String> = program.union(&runtime).cloned().collect();
    seen.remove(SIGNAL_RETURN);
    let mut kept = BTreeMap::from([(SIGNAL_RETURN.to_owned(), SIGNAL_RETURN_EVIDENCE.to_owned())]);
    if !seen.contains(EXIT_CALL) {
        kept.insert(EXIT_CALL.to_owned(), EXIT_EVIDENCE.to_owned());
    }
    if !seen.contains(ALLOCATE_CALL) {
        kept.insert(ALLOCATE_CALL.to_owned(), ALLOCATE_EVIDENCE.to_owned());
    }
    let needed = prune(suite, &subject, &deciding, &seen, &kept).await?;
    Ok(Derived {
        row: row.name.clone(),
        architecture: subject.facts.architecture.clone(),
        runtime_release: suite.engine().facts().runtime.release(),
        program: program.intersection(&needed).cloned().collect(),
        runtime: runtime
            .difference(&program)
            .filter(|call| needed.contains(*call))
            .cloned()
            .collect(),
        dropped: seen.difference(&needed).cloned().collect(),
        kept,
    })
}

/// Every call made under a logging profile, by the program and by the runtime.
async fn observe_calls(
    suite: &Suite,
    subject: &Subject,
    deciding: &[Deciding],
    runs: usize,
) -> Result<(BTreeSet<String>, BTreeSet<String>), Failure> {
    let logging = json!({
        "defaultAction": "SCMP_ACT_LOG",
        "archMap": arch_map(),
        "syscalls": []
    });
    let probe = |error| Failure::probe(subject, error);
    let _lifted = RateLimitLifted::lift().map_err(probe)?;
    let log = KernelLog::start().map_err(probe)?;
    for _ in 0..runs {
        for run in deciding {
            let flags = run.confinement(&subject.row, logging.to_string());
            let observed = run
                .observe(suite, subject, &flags, RUN_DEADLINE)
                .await
                .map_err(probe)?;
            if !run.passes(&observed) {
                return Err(Failure::row(
                    subject,
                    format!(
                        "{} failed under a profile that allows every call: {}",
                        run.describe(),
                        crate::smoke::describe(&observed)
                    ),
                ));
            }
        }
    }
    tokio::time::sleep(LOG_SETTLE).await;
    let records = log.finish().map_err(probe)?;
    if records.is_empty() {
        return Err(Failure::row(
            subject,
            "the kernel logged no call: is an audit daemon taking the records? (stop auditd \
             while deriving, so that they reach the kernel's log)",
        ));
    }
    let (mut program, mut runtime) = (BTreeSet::new(), BTreeSet::new());
    for record in records {
        // runc's init runs from a copy of itself, so its exe shows as `/`; its name says runc.
        let made_by_runtime = RUNTIMES
            .iter()
            .any(|runtime| record.comm.starts_with(runtime));
        // The runtime's execve starts the program: any runtime makes it for any program.
        if made_by_runtime && record.call != "execve" {
            runtime.insert(record.call);
        } else {
            program.insert(record.call);
        }
    }
    Ok((program, runtime))
}

/// The calls of `seen` the deciding runs cannot do without.
async fn prune(
    suite: &Suite,
    subject: &Subject,
    deciding: &[Deciding],
    seen: &BTreeSet<String>,
    kept: &BTreeMap<String, String>,
) -> Result<BTreeSet<String>, Failure> {
    let mut allowed = seen.clone();
    allowed.extend(kept.keys().cloned());
    let allowing = allowlist(&allowed);
    let whole = Profile {
        path: "derived".into(),
        json: allowing,
    };
    for run in deciding {
        let flags = run.confinement(&subject.row, whole.json.to_string());
        let observed = run.observe(suite, subject, &flags, RUN_DEADLINE).await;
        if !matches!(&observed, Ok(observed) if run.passes(observed)) {
            return Err(Failure::row(
                subject,
                format!(
                    "{} fails under an allowlist of every call it was seen to make ({}), so \
                     the log missed some: run again with more --runs. It gave: {}",
                    run.describe(),
                    seen.iter().cloned().collect::<Vec<_>>().join(" "),
                    shown(&observed, subject)
                ),
            ));
        }
    }
    let whole = &whole;
    let needed = futures::stream::iter(seen.iter())
        .map(|call| async move {
            let needed = is_needed(suite, subject, deciding, whole, call).await;
            needed.then(|| call.clone())
        })
        .buffer_unordered(RUNS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let needed: BTreeSet<String> = needed.into_iter().flatten().collect();
    // A call that each run passes without may still be needed when another
    // is gone: runc 1.3 reopens a handle with openat2, or without it with
    // fcntl, so each alone is unneeded and both together are not. So the
    // rest are taken away one at a time, each for good if the runs still
    // pass: every call left is then needed beside all the others.
    let mut allowed: BTreeSet<String> = seen.iter().chain(kept.keys()).cloned().collect();
    for call in seen.difference(&needed) {
        let without = Profile {
            path: "derived".into(),
            json: allowlist(&allowed),
        };
        if !is_needed(suite, subject, deciding, &without, call).await {
            allowed.remove(call);
        }
    }
    Ok(allowed.intersection(seen).cloned().collect())
}

/// Whether the deciding runs fail without `call`: a round is every run
/// until one fails; the call is needed when [`FAILURES_TO_KEEP`] of at most
/// [`ATTEMPTS`] rounds fail, so that one run failing for another reason (a
/// slow engine, a signal at the wrong moment) does not keep a call no run
/// needs.
async fn is_needed(
    suite: &Suite,
    subject: &Subject,
    deciding: &[Deciding],
    whole: &Profile,
    call: &str,
) -> bool {
    let (mut failed, mut passed) = (0, 0);
    while failed < FAILURES_TO_KEEP && passed <= ATTEMPTS - FAILURES_TO_KEEP {
        match failure_without(suite, subject, deciding, whole, &[call], 1).await {
            Some(evidence) => {
                failed += 1;
                if failed == FAILURES_TO_KEEP {
                    say(&format!("needed: {call}: {evidence}"));
                }
            }
            None => passed += 1,
        }
    }
    failed == FAILURES_TO_KEEP
}

/// A profile allowing `calls`, refusing everything else with EPERM.
fn allowlist(calls: &BTreeSet<String>) -> Value {
    let entries = vec![json!({
        "names": calls.iter().collect::<Vec<_>>(),
        "action": "SCMP_ACT_ALLOW",
    })];
    refusing_all_but(entries)
}

/// The architectures a derived profile applies to: the two images are built for.
fn arch_map() -> Value {
    json!([
        { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": [] },
        { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": [] }
    ])
}

/// A profile that refuses every call with EPERM but those `entries` allow,
/// on both architectures.
fn refusing_all_but(entries: Vec<Value>) -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": arch_map(),
        "syscalls": entries
    })
}

/// The proposed profile: the program's calls, then the runtime's, each an
/// entry with its `neededBy`, for the architecture derived on.
pub fn proposed_profile(derived: &Derived) -> Value {
    let arches = [derived.architecture.as_str()];
    let mut entries = vec![json!({
        "comment": format!("{}: the calls its program makes (derived by image-claims derive-seccomp)", derived.row),
        "names": derived.program,
        "action": "SCMP_ACT_ALLOW",
        "includes": { "arches": arches },
        "neededBy": [derived.row],
    })];
    // Kept on evidence, for the runtime where one was seen after the filter.
    let kept_for = if derived.runtime.is_empty() {
        &derived.row
    } else {
        &derived.runtime_release
    };
    for (call, evidence) in &derived.kept {
        entries.push(json!({
            "comment": format!("{kept_for}: {call}"),
            "names": [call],
            "action": "SCMP_ACT_ALLOW",
            "includes": { "arches": arches },
            "neededBy": [kept_for],
            "keptOnEvidence": evidence,
        }));
    }
    if !derived.runtime.is_empty() {
        entries.push(json!({
            "comment": format!(
                "{}: the calls its init makes after loading this filter, before it execs the program",
                derived.runtime_release
            ),
            "names": derived.runtime,
            "action": "SCMP_ACT_ALLOW",
            "includes": { "arches": arches },
            "neededBy": [derived.runtime_release],
        }));
    }
    let dropped = derived.dropped_calls();
    let mut profile = refusing_all_but(entries);
    profile["comment"] = json!(format!(
        "Derived for the row {} on {} ({}); seen but not needed, so refused: {dropped}.",
        derived.row, derived.runtime_release, derived.architecture
    ));
    profile
}

/// Merges a profile derived before, on another runtime release, into this
/// derivation, so that deriving on each engine in turn builds one profile
/// for all of them. Entries this derivation does not speak for are kept:
/// other architectures', and those claimed only for other releases. The
/// program is the same on every engine, so a call the program was seen to
/// need on one engine and not on the other is the runtime's: moved to
/// this release's entry, or to the other releases'.
pub fn merge_other_runtimes(
    proposed: &mut Value,
    existing: &Profile,
    derived: &mut Derived,
) -> Result<(), String> {
    let this_arch = |entry: &Value| {
        entry["includes"]["arches"]
            .as_array()
            .is_none_or(|arches| arches.iter().any(|a| a == derived.architecture.as_str()))
    };
    let needed_by = |entry: &Value| -> Vec<String> {
        entry["neededBy"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|who| who.as_str().map(str::to_owned))
            .collect()
    };
    let entries: Vec<Value> = existing.json["syscalls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut kept = Vec::new();
    let mut other_releases = BTreeSet::new();
    let mut program_before = BTreeSet::new();
    for entry in entries {
        let who = needed_by(&entry);
        let only_other_runtimes = !who.is_empty()
            && who
                .iter()
                .all(|who| is_runtime_release(who) && *who != derived.runtime_release);
        if !this_arch(&entry) {
            kept.push(entry);
        } else if only_other_runtimes {
            other_releases.extend(who);
            kept.push(entry);
        } else if who.iter().any(|who| !is_runtime_release(who))
            && entry["keptOnEvidence"].is_null()
        {
            program_before.extend(
                entry["names"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_owned)),
            );
        }
    }
    if !program_before.is_empty() {
        let only_now: Vec<String> = derived
            .program
            .difference(&program_before)
            .cloned()
            .collect();
        let only_before: Vec<String> = program_before
            .difference(&derived.program)
            .cloned()
            .collect();
        for call in only_now {
            derived.program.remove(&call);
            derived.runtime.insert(call);
        }
        if !only_before.is_empty() && !other_releases.is_empty() {
            kept.push(json!({
                "comment": format!("{}: calls its init needs that {} does not", other_releases.iter().cloned().collect::<Vec<_>>().join(" and "), derived.runtime_release),
                "names": only_before,
                "action": "SCMP_ACT_ALLOW",
                "includes": { "arches": [derived.architecture.as_str()] },
                "neededBy": other_releases.iter().collect::<Vec<_>>(),
            }));
        }
    }
    *proposed = proposed_profile(derived);
    if let Some(entries) = proposed["syscalls"].as_array_mut() {
        entries.extend(kept);
    }
    Ok(())
}

/// Compares the derived allowlist with the row's profile, for the program
/// and this engine's runtime release; calls kept on evidence may be missing
/// from the derivation (they are needed only at random moments).
pub fn check_against_claim(row: &Row, derived: &Derived) -> Result<(), String> {
    let claim = row
        .claims
        .seccomp
        .as_ref()
        .ok_or_else(|| format!("the row {} claims no seccomp profile to check", row.name))?;
    let profile = Profile::load(&claim.profile)?;
    let claimed = profile.claimed_calls(&derived.architecture)?;
    let here: BTreeSet<String> = claimed
        .iter()
        .filter(|(_, claimed)| {
            claimed.kept_on_evidence.is_none()
                && claimed
                    .needed_by
                    .iter()
                    .any(|who| !is_runtime_release(who) || *who == derived.runtime_release)
        })
        .map(|(call, _)| call.clone())
        .collect();
    let kept: BTreeSet<&String> = claimed
        .iter()
        .filter(|(_, claimed)| claimed.kept_on_evidence.is_some())
        .map(|(call, _)| call)
        .collect();
    let derived_all: BTreeSet<String> = derived
        .program
        .union(&derived.runtime)
        .filter(|call| !kept.contains(call))
        .cloned()
        .collect();
    let missing: Vec<&String> = derived_all.difference(&here).collect();
    let extra: Vec<&String> = here.difference(&derived_all).collect();
    println!(
        "derived for {} on {} ({}): the program {} calls, the runtime {} more; dropped as not \
         needed: {}",
        derived.row,
        derived.runtime_release,
        derived.architecture,
        derived.program.len(),
        derived.runtime.len(),
        derived.dropped_calls()
    );
    if missing.is_empty() && extra.is_empty() {
        println!(
            "{} claims exactly these for {} and {}",
            profile.name(),
            derived.row,
            derived.runtime_release
        );
        return Ok(());
    }
    Err(format!(
        "{} differs from what derivation gives for {} on {}: needed but not claimed: {}; \
         claimed but not needed: {}",
        profile.name(),
        derived.row,
        derived.runtime_release,
        listed(&missing),
        listed(&extra)
    ))
}

fn listed(calls: &[&String]) -> String {
    if calls.is_empty() {
        "none".to_owned()
    } else {
        calls
            .iter()
            .map(|call| call.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
