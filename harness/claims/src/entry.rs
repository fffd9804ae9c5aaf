//! The entry points: check a rows file, as the `image-claims` command does
//! and as a `cargo test` target with `harness = false` does, with the same
//! command line as libtest's (a filter, `--list`, `--exact`, `--ignored`…);
//! and derive a row's seccomp profile, as `image-claims derive-seccomp` does.

use crate::escaping;
use crate::properties::{ROW_PROPERTIES, SUITE_PROPERTIES, Verdict, commands};
use crate::report::{TrialOutcome, TrialRecord};
use crate::row::Row;
use crate::seccomp::derive;
use crate::seccomp::profile::Profile;
use crate::suite::Suite;
use image_probe::progress::say;
use libtest_mimic::{Arguments, Failed, Trial};
use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Call first in `main`: if this process was started as a reaper of
/// another run's containers, it does that work and returns `true`, and
/// `main` returns at once.
pub fn serve_as_reaper_if_asked() -> bool {
    image_probe::reaper::serve_if_asked()
}

/// Checks `rows` on the engine DOCKER_HOST names, with the harness's trials
/// and those `extra` adds (a program's own properties), runs the trials
/// `arguments` select, writes the report into `report_directory`, and
/// returns failure if any trial failed.
pub fn check(
    rows: Vec<Row>,
    report_directory: &Path,
    arguments: &Arguments,
    extra: impl FnOnce(&Arc<Suite>) -> Vec<Trial>,
) -> ExitCode {
    if serve_as_reaper_if_asked() {
        return ExitCode::SUCCESS;
    }
    let suite = match Suite::new(rows, report_directory) {
        Ok(suite) => Arc::new(suite),
        Err(problem) => {
            say(&problem.to_string());
            return ExitCode::FAILURE;
        }
    };
    let mut trials = trials(&suite);
    trials.extend(extra(&suite));
    if !arguments.list {
        suite.prepare_all();
    }
    let conclusion = libtest_mimic::run(&with_trials_at_once(arguments), trials);
    if !arguments.list {
        match suite.finish() {
            Ok(directory) => say(&format!(
                "report: {}",
                directory.join("report.md").display()
            )),
            Err(error) => {
                say(&format!(
                    "cannot write the report into {}: {error}",
                    report_directory.display()
                ));
                return ExitCode::FAILURE;
            }
        }
    }
    if conclusion.has_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `image-claims derive-seccomp`: derives the row's allowlist and writes it
/// to `out`, or stdout; with `check`, compares it with the row's profile
/// instead, and fails where they differ.
pub fn derive_seccomp(
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
        .block_on(derive::derive(&suite, &row, runs))
        .map_err(|failure| failure.to_string());
    let _ = suite.block_on(suite.engine().remove_run_containers());
    let derived = derived?;
    if check {
        return derive::check_against_claim(&row, &derived);
    }
    let mut derived = derived;
    let mut proposed = derive::proposed_profile(&derived);
    if let Some(existing) = out.filter(|path| path.exists()) {
        let existing = Profile::load(existing)?;
        derive::merge_other_runtimes(&mut proposed, &existing, &mut derived)?;
    }
    let text = format!("{proposed:#}\n");
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Trials at once per core where neither `--test-threads` nor
/// RUST_TEST_THREADS says: a trial mostly waits on the engine, so one a
/// core leaves the engine idle between requests. calc's warm suite took
/// 17.4 to 18.1 s with four trials at once, 18.6 to 20.5 s with two, and
/// 17.3 to 19.7 s with eight, on two cores (2026-12-01, Docker 20.10).
const TRIALS_PER_CORE: usize = 2;

/// `arguments`, with the number of trials at once set if they leave it
/// open (libtest-mimic would take one a core, and ignores RUST_TEST_THREADS).
fn with_trials_at_once(arguments: &Arguments) -> Arguments {
    let mut arguments = arguments.clone();
    if arguments.test_threads.is_none() {
        arguments.test_threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|threads| threads.parse().ok())
            .or_else(|| {
                std::thread::available_parallelism()
                    .ok()
                    .map(|cores| cores.get() * TRIALS_PER_CORE)
            });
    }
    arguments
}

/// The harness's trials for the suite's rows: `PROPERTY::ROW` for each row
/// property a row claims, `command_gives_its_expected_output::ROW::NAME`
/// for each of a row's commands, and each suite property.
pub fn trials(suite: &Arc<Suite>) -> Vec<Trial> {
    let mut trials = Vec::new();
    for property in ROW_PROPERTIES {
        for row in suite.rows().iter().filter(|row| (property.claimed_by)(row)) {
            let (suite, row) = (Arc::clone(suite), Arc::clone(row));
            let check = property.check;
            let name = format!("{}::{}", property.name, row.name);
            trials.push(Trial::test(name.clone(), move || {
                verdict_of(&suite, &name, check(&suite, &row))
            }));
        }
    }
    // Command by command across the rows, so that trials running at once
    // exec into every row's resident, not all into one (which takes only
    // `EXECS_AT_ONCE` at a time).
    let most = suite.rows().iter().map(|row| row.commands.len()).max();
    for index in 0..most.unwrap_or(0) {
        for row in suite.rows() {
            let Some(command) = row.commands.get(index) else {
                continue;
            };
            let (suite, row) = (Arc::clone(suite), Arc::clone(row));
            let name = format!(
                "command_gives_its_expected_output::{}::{}",
                row.name,
                command.name.as_deref().unwrap_or_default()
            );
            trials.push(Trial::test(name.clone(), move || {
                verdict_of(
                    &suite,
                    &name,
                    commands::command_gives_its_expected_output(&suite, &row, index),
                )
            }));
        }
    }
    if suite.rows().iter().any(|row| !row.commands.is_empty()) {
        suite.report().add_column(commands::COMMANDS_PASSED);
    }
    for property in SUITE_PROPERTIES {
        let suite = Arc::clone(suite);
        let check = property.check;
        trials.push(Trial::test(property.name, move || {
            verdict_of(&suite, property.name, check(&suite))
        }));
    }
    trials
}

/// A trial's body on the suite's runtime, its failure as libtest-mimic
/// takes it, and its outcome and time recorded for the JUnit report under
/// `name` (`PROPERTY::ROW…` is of the row ROW, if the suite has one).
pub fn verdict_of(
    suite: &Suite,
    name: &str,
    body: impl Future<Output = Verdict>,
) -> Result<(), Failed> {
    let started = Instant::now();
    let verdict = suite
        .block_on(body)
        .map_err(|failure| escaping::message(&failure.to_string()));
    let row = name
        .split("::")
        .nth(1)
        .filter(|row| suite.row(row).is_some())
        .map(str::to_owned);
    suite.report().trials.push(TrialRecord {
        name: name.to_owned(),
        row,
        outcome: match &verdict {
            Ok(()) => TrialOutcome::Passed,
            Err(text) => TrialOutcome::Failed(text.clone()),
        },
        time: started.elapsed(),
    });
    verdict.map_err(Failed::from)
}
