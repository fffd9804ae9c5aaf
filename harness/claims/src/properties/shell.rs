//! No shell, and no interpreter: none found by what the image's files are,
//! and none that runs a script in the running container.
//!
//! The exec proof runs every program found, by its real path and under the
//! name it answers to (`sh` for a BusyBox, whatever its file is called),
//! and through its loader where it has no execute bit; and `/bin/sh`, in
//! case a shell sits there that no signature knows. Only a run that exits
//! with the script's own code counts: that run is the evidence.

use super::Verdict;
use super::inventory::listing;
use crate::checks::shell::{Found, PLAIN_SHELL, Tried, command_words, none_found, none_runs};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::subject::Subject;
use crate::suite::Suite;
use crate::verdict::Evidence;
use futures::StreamExt;
use image_probe::ProbeError;
use image_probe::filesystem::Entry;
use image_probe::inventory::Identified;
use image_probe::offers::{MARKER, offers_of, ran_the_script};
use image_probe::signatures::{PROOF_EXIT, ProgramKind};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Each program of `kind` found in the image, with its file.
async fn found_of_kind(
    suite: &Suite,
    subject: &Subject,
    kind: ProgramKind,
) -> Result<(Vec<(Entry, Identified)>, bool), Failure> {
    let listing = listing(suite, subject).await?;
    let found = listing
        .entries
        .iter()
        .flat_map(|entry| {
            entry
                .runnable_programs()
                .iter()
                .filter(|program| program.kind == kind)
                .map(|program| (entry.clone(), program.clone()))
        })
        .collect();
    Ok((found, listing.complete))
}

fn described(entry: &Entry, program: &Identified) -> Found {
    Found {
        path: format!("/{}", entry.path),
        program: program.program.clone(),
        because: program.because.clone(),
    }
}

async fn none_found_in_the_image(suite: &Suite, row: &Arc<Row>, kind: ProgramKind) -> Verdict {
    let subject = suite.subject(row).await?;
    let (found_by_bytes, complete) = found_of_kind(suite, &subject, kind).await?;
    let mut found: Vec<Found> = found_by_bytes
        .iter()
        .map(|(entry, program)| described(entry, program))
        .collect();
    // With none named by its bytes, a program no signature names, found by
    // what it does; with one, the claim is refuted already.
    let offered = match found_by_bytes.is_empty() {
        true => offered(suite, &subject, kind, &found_by_bytes).await?,
        false => Arc::default(),
    };
    found.extend(
        offered
            .iter()
            .filter(|tried| tried.ran_the_script())
            .map(|tried| Found {
                path: tried.path.clone(),
                program: format!(
                    "a program no signature names that runs a script given as {}",
                    tried.command
                ),
                because: format!("it exited {PROOF_EXIT} writing {MARKER}"),
            }),
    );
    if kind == ProgramKind::Shell {
        suite.report().row(&row.name).shell = Some(!found.is_empty());
    }
    let evidence = Evidence::of(found.iter().map(|found| found.path.clone()));
    judge(
        &subject,
        &format!("the {} check", kind.as_str()),
        none_found(&subject.label, kind, &found, complete),
        &evidence,
    )
}

async fn none_runs_in_the_container(suite: &Suite, row: &Arc<Row>, kind: ProgramKind) -> Verdict {
    let subject = suite.subject(row).await?;
    let (found, _) = found_of_kind(suite, &subject, kind).await?;
    let container = suite.resident(&subject).await?;
    let mut tried = Vec::new();
    for (entry, program) in &found {
        tried.push(try_found(suite, &container, entry, program).await);
    }
    if kind == ProgramKind::Shell {
        tried.push(try_plain_shell(suite, &container).await);
    }
    if !tried.iter().any(Tried::ran_the_script) {
        let offered = offered(suite, &subject, kind, &found).await?;
        tried.extend(offered.iter().cloned());
    }
    // An exec fails in a container that is not running, shell or none: no proof.
    suite
        .engine()
        .ensure_running(&container)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let evidence = Evidence::of(
        tried
            .iter()
            .filter(|tried| tried.ran_the_script())
            .map(|tried| tried.path.clone()),
    );
    judge(
        &subject,
        &format!("the {} exec check", kind.as_str()),
        none_runs(&subject.label, kind, &tried),
        &evidence,
    )
}

/// A found program run as it answers: under its name, or through its
/// loader where the file has no execute bit (the loader runs it all the
/// same). An exec the engine cannot start ran nothing.
async fn try_found(suite: &Suite, container: &str, entry: &Entry, program: &Identified) -> Tried {
    let path = format!("/{}", entry.path);
    let proof = program.proof;
    let input = proof.stdin.map(str::as_bytes);
    let (command, outcome) = match entry.loader() {
        Some(loader) if !entry.is_executable() => {
            let mut words = vec![loader, path.as_str()];
            words.extend(proof.args);
            let command: Vec<String> = words.iter().map(|&word| word.to_owned()).collect();
            let outcome = suite.engine().exec(container, &command, input).await;
            (command_words(&words), outcome)
        }
        _ => {
            let mut words = vec![proof.argv0];
            words.extend(proof.args);
            let outcome = suite
                .engine()
                .exec_named(container, &path, proof.argv0, proof.args, input)
                .await;
            (command_words(&words), outcome)
        }
    };
    Tried {
        path,
        command,
        code: outcome.ok().map(|outcome| outcome.code),
        marked: None,
    }
}

/// The most programs offered scripts in one image: each is offered up to
/// 3 shell scripts or 18 interpreter scripts (`image_probe::offers`), and
/// Debian's full image holds about 1,500 files that could run.
const MAX_OFFERED_PROGRAMS: usize = 3_000;

/// How many programs are offered scripts at once.
const OFFERED_AT_ONCE: usize = 4;

/// How long one offer may run: a program that takes `-c` for something
/// else (a config file, a count) may start to serve.
const OFFER_DEADLINE: Duration = Duration::from_secs(5);

/// [`offer_to_every_program`], once per image and kind.
async fn offered(
    suite: &Suite,
    subject: &Subject,
    kind: ProgramKind,
    found: &[(Entry, Identified)],
) -> Result<Arc<Vec<Tried>>, Failure> {
    suite
        .offered(subject, kind, || {
            offer_to_every_program(suite, subject, kind, found)
        })
        .await
}

/// Every program of the image that could run and no signature names,
/// offered scripts of `kind` (see `image_probe::offers`) in a container
/// with no network unless its row needs one, until one runs one.
async fn offer_to_every_program(
    suite: &Suite,
    subject: &Subject,
    kind: ProgramKind,
    found: &[(Entry, Identified)],
) -> Result<Vec<Tried>, Failure> {
    let listing = listing(suite, subject).await?;
    let named: HashSet<&str> = found.iter().map(|(entry, _)| entry.path.as_str()).collect();
    let candidates: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| entry.could_run() && !named.contains(entry.path.as_str()))
        .collect();
    if candidates.len() > MAX_OFFERED_PROGRAMS {
        return Err(Failure::probe(
            subject,
            ProbeError::Bound {
                what: format!(
                    "{} files that could run, each to be offered scripts",
                    candidates.len()
                ),
                bound: format!("{MAX_OFFERED_PROGRAMS} programs"),
            },
        ));
    }
    let container = suite
        .ready_container(subject, &subject.row.unconfined())
        .await
        .map_err(|error| Failure::probe(subject, error))?;
    let mut offers = Vec::with_capacity(candidates.len());
    for entry in candidates {
        offers.push(offer_to(suite, &container, entry, kind));
    }
    let mut offering = futures::stream::iter(offers).buffer_unordered(OFFERED_AT_ONCE);
    let mut tried = Vec::new();
    while let Some(mut offered) = offering.next().await {
        let ran = offered.iter().any(Tried::ran_the_script);
        tried.append(&mut offered);
        if ran {
            break;
        }
    }
    Ok(tried)
}

/// One program offered each script of `kind`, until one runs: as itself
/// (or through its loader, where it has no execute bit), and under the
/// names an offer gives it.
async fn offer_to(suite: &Suite, container: &str, entry: &Entry, kind: ProgramKind) -> Vec<Tried> {
    let path = format!("/{}", entry.path);
    let engine = suite.engine();
    let mut tried = Vec::new();
    for offer in offers_of(kind) {
        let input = offer.stdin.map(str::as_bytes);
        let (words, outcome) = match (offer.argv0, entry.is_executable(), entry.loader()) {
            (Some(argv0), true, _) => {
                let outcome = engine
                    .exec_named_within(container, &path, argv0, offer.args, input, OFFER_DEADLINE)
                    .await;
                ([&[argv0], offer.args].concat(), outcome)
            }
            (argv0, executable, loader) => {
                let words = match (argv0, executable, loader) {
                    (None, true, _) => [&[path.as_str()], offer.args].concat(),
                    (None, false, Some(loader)) => [&[loader, path.as_str()], offer.args].concat(),
                    // A name is a link to the file, which then needs its execute bit.
                    _ => continue,
                };
                let command: Vec<String> = words.iter().map(|&word| word.to_owned()).collect();
                let outcome = engine
                    .exec_within(container, &command, &[], input, OFFER_DEADLINE)
                    .await;
                (words, outcome)
            }
        };
        let (code, marked) = match &outcome {
            Ok(outcome) => (
                Some(outcome.code),
                ran_the_script(outcome.code, &outcome.stdout),
            ),
            Err(_) => (None, false),
        };
        let mut command = command_words(&words);
        if offer.stdin.is_some() {
            command.push_str(&format!(
                " (a script on standard input: {})",
                offer.language
            ));
        }
        tried.push(Tried {
            path: path.clone(),
            command,
            code,
            marked: Some(marked),
        });
        if marked {
            break;
        }
    }
    tried
}

/// `docker exec CONTAINER /bin/sh -c 'exit 42'`.
async fn try_plain_shell(suite: &Suite, container: &str) -> Tried {
    let exit = format!("exit {PROOF_EXIT}");
    let words = [PLAIN_SHELL, "-c", exit.as_str()];
    let command: Vec<String> = words.iter().map(|&word| word.to_owned()).collect();
    let outcome = suite.engine().exec(container, &command, None).await;
    Tried {
        path: PLAIN_SHELL.to_owned(),
        command: command_words(&words),
        code: outcome.ok().map(|outcome| outcome.code),
        marked: None,
    }
}

pub async fn image_has_no_shell_file(suite: &Suite, row: &Arc<Row>) -> Verdict {
    none_found_in_the_image(suite, row, ProgramKind::Shell).await
}

pub async fn no_shell_runs_in_the_container(suite: &Suite, row: &Arc<Row>) -> Verdict {
    none_runs_in_the_container(suite, row, ProgramKind::Shell).await
}

pub async fn image_has_no_interpreter_file(suite: &Suite, row: &Arc<Row>) -> Verdict {
    none_found_in_the_image(suite, row, ProgramKind::Interpreter).await
}

pub async fn no_interpreter_runs_in_the_container(suite: &Suite, row: &Arc<Row>) -> Verdict {
    none_runs_in_the_container(suite, row, ProgramKind::Interpreter).await
}
