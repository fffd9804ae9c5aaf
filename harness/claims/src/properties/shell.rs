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
use image_probe::filesystem::Entry;
use image_probe::inventory::Identified;
use image_probe::signatures::{PROOF_EXIT, ProgramKind};
use std::sync::Arc;

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
    let (found, complete) = found_of_kind(suite, &subject, kind).await?;
    let found: Vec<Found> = found
        .iter()
        .map(|(entry, program)| described(entry, program))
        .collect();
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
    }
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
