//! Deriving a seccomp allowlist for a row, the way `tools/trace-syscalls`
//! does for calc but for any image, and seen from the kernel rather than
//! strace: the row's smoke run (and its further seccomp runs) run several
//! times under a profile that allows every call and logs it
//! (`SCMP_ACT_LOG`), with the hardened flags; the kernel's audit records
//! name each call and the executable that made it, the program or the
//! runtime's init after it loaded the filter. Then each call seen is
//! refused in turn: a call every run still passes without is dropped (a
//! runtime may try a call and cope with its refusal), the others make the
//! allowlist, claimed for the program or for this engine's runtime release.
//!
//! Reading the kernel's log needs root.

use super::profile::{Profile, RUNTIMES, is_runtime_release};
use crate::entry::serve_as_reaper_if_asked;
use crate::failure::Failure;
use crate::properties::hardening::hardened_confinement;
use crate::row::{Row, Smoke};
use crate::smoke::{observe, passes};
use crate::subject::Subject;
use crate::suite::Suite;
use futures::StreamExt;
use image_probe::audit::{KernelLog, RateLimitLifted};
use image_probe::{Architecture, Confinement};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Runs of each deciding run under the logging profile, unless told.
pub const DEFAULT_RUNS: usize = 5;
/// Tries without a call before it is dropped as unneeded.
const ATTEMPTS: usize = 3;
/// How long one run may take.
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
}

/// `image-claims derive-seccomp`: derives the row's allowlist and writes it
/// to `out`, or stdout; with `check`, compares it with the row's profile
/// instead, and fails where they differ.
pub fn derive_command(
    rows: Vec<Row>,
    row_name: &str,
    runs: usize,
    out: Option<&Path>,
    check: bool,
) -> Result<(), String> {
    if serve_as_reaper_if_asked() {
        return Ok(());
    }
    let report = std::env::temp_dir().join("image-claims-derive");
    let suite = Suite::new(rows, &report).map_err(|problem| problem.to_string())?;
    let row = suite
        .row(row_name)
        .ok_or_else(|| format!("the rows file has no row {row_name:?}"))?;
    let derived = suite
        .block_on(derive(&suite, &row, runs))
        .map_err(|failure| failure.to_string());
    let _ = suite.block_on(suite.engine().remove_run_containers());
    let derived = derived?;
    if check {
        return check_against_claim(&row, &derived);
    }
    let text = format!("{:#}\n", proposed_profile(&derived));
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
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
    let deciding = deciding_runs(row);
    let (program, runtime) = observe_calls(suite, &subject, &deciding, runs).await?;
    let mut seen: BTreeSet<String> = program.union(&runtime).cloned().collect();
    seen.remove(SIGNAL_RETURN);
    let needed = prune(suite, &subject, &deciding, &seen).await?;
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
    })
}

/// The smoke run and the row's further seccomp runs.
fn deciding_runs(row: &Row) -> Vec<Smoke> {
    let further = row
        .claims
        .seccomp
        .iter()
        .flat_map(|claim| claim.runs.iter());
    std::iter::once(row.smoke.clone())
        .chain(further.cloned().map(Smoke::Command))
        .collect()
}

/// The hardened flags (so that the runtime loads the filter where it will
/// in use), a run's memory, and `profile`.
fn confinement(row: &Row, smoke: &Smoke, profile: &Value) -> Confinement {
    let mut confinement = hardened_confinement(row).with_seccomp_profile(profile.to_string());
    if let Some(memory) = smoke.memory_mib() {
        confinement = confinement.with_memory(memory * 1024 * 1024);
    }
    confinement
}

/// Every call made under a logging profile, by the program and by the runtime.
async fn observe_calls(
    suite: &Suite,
    subject: &Subject,
    deciding: &[Smoke],
    runs: usize,
) -> Result<(BTreeSet<String>, BTreeSet<String>), Failure> {
    let logging = json!({
        "defaultAction": "SCMP_ACT_LOG",
        "archMap": [
            { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": [] },
            { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": [] }
        ],
        "syscalls": []
    });
    let probe = |error| Failure::probe(subject, error);
    let _lifted = RateLimitLifted::lift().map_err(probe)?;
    let mut log = KernelLog::open_at_end().map_err(probe)?;
    for _ in 0..runs {
        for smoke in deciding {
            let flags = confinement(&subject.row, smoke, &logging);
            let observed = observe(suite.engine(), subject.image(), smoke, &flags, RUN_DEADLINE)
                .await
                .map_err(probe)?;
            if !passes(smoke, &observed) {
                return Err(Failure::row(
                    subject,
                    format!(
                        "{} failed under a profile that allows every call: {}",
                        smoke.describe(),
                        crate::smoke::describe(&observed)
                    ),
                ));
            }
        }
    }
    tokio::time::sleep(LOG_SETTLE).await;
    let records = log.seccomp_records().map_err(probe)?;
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

/// The calls of `seen` that some deciding run fails without.
async fn prune(
    suite: &Suite,
    subject: &Subject,
    deciding: &[Smoke],
    seen: &BTreeSet<String>,
) -> Result<BTreeSet<String>, Failure> {
    let mut allowed = seen.clone();
    allowed.insert(SIGNAL_RETURN.to_owned());
    let allowing = allowlist(&allowed);
    let whole = Profile {
        path: "derived".into(),
        json: allowing,
    };
    for smoke in deciding {
        let flags = confinement(&subject.row, smoke, &whole.json);
        let observed = observe(suite.engine(), subject.image(), smoke, &flags, RUN_DEADLINE).await;
        if !matches!(&observed, Ok(observed) if passes(smoke, observed)) {
            let shown = match &observed {
                Ok(observed) => crate::smoke::describe(observed),
                Err(error) => error.to_string(),
            };
            return Err(Failure::row(
                subject,
                format!(
                    "{} fails under an allowlist of every call it was seen to make ({}), so \
                     the log missed some: run again with more --runs. It gave: {shown}",
                    smoke.describe(),
                    seen.iter().cloned().collect::<Vec<_>>().join(" ")
                ),
            ));
        }
    }
    let needed = futures::stream::iter(seen.iter())
        .map(|call| {
            let whole = &whole;
            async move {
                for _ in 0..ATTEMPTS {
                    for smoke in deciding {
                        let exit = match smoke {
                            Smoke::Command(run) => run.exit_code,
                            Smoke::Http(_) => 0,
                        };
                        let flags = confinement(&subject.row, smoke, &whole.refusing(call, exit));
                        let observed = observe(
                            suite.engine(),
                            subject.image(),
                            smoke,
                            &flags,
                            RUN_DEADLINE / 2,
                        )
                        .await;
                        if !matches!(&observed, Ok(observed) if passes(smoke, observed)) {
                            return Some(call.clone());
                        }
                    }
                }
                None
            }
        })
        .buffer_unordered(RUNS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    Ok(needed.into_iter().flatten().collect())
}

/// A profile allowing `calls`, refusing everything else with EPERM.
fn allowlist(calls: &BTreeSet<String>) -> Value {
    let entries = vec![json!({
        "names": calls.iter().collect::<Vec<_>>(),
        "action": "SCMP_ACT_ALLOW",
    })];
    json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": [] },
            { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": [] }
        ],
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
    let signal_return_for = if derived.runtime.is_empty() {
        &derived.row
    } else {
        &derived.runtime_release
    };
    entries.push(json!({
        "comment": format!("{signal_return_for}: {SIGNAL_RETURN}"),
        "names": [SIGNAL_RETURN],
        "action": "SCMP_ACT_ALLOW",
        "includes": { "arches": arches },
        "neededBy": [signal_return_for],
        "keptOnEvidence": SIGNAL_RETURN_EVIDENCE,
    }));
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
    json!({
        "comment": format!(
            "Derived for the row {} on {} ({}); seen but not needed, so refused: {}.",
            derived.row,
            derived.runtime_release,
            derived.architecture,
            if derived.dropped.is_empty() { "none".to_owned() } else { derived.dropped.iter().cloned().collect::<Vec<_>>().join(", ") }
        ),
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": [] },
            { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": [] }
        ],
        "syscalls": entries
    })
}

/// Compares the derived allowlist with the row's profile, for the program
/// and this engine's runtime release; calls kept on evidence may be missing
/// from the derivation (they are needed only at random moments).
fn check_against_claim(row: &Row, derived: &Derived) -> Result<(), String> {
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
        derived
            .dropped
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
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
