//! The image's file system, read once per run from a container that is
//! never started (`docker export`), every regular file's bytes classified
//! as they stream (see `image_probe::inventory`): what the files, setuid,
//! shell and interpreter claims all read.

use crate::checks::files::{file_problem, is_setuid_file, refutes_holds_only};
use crate::failure::Failure;
use crate::subject::Subject;
use crate::suite::Suite;
use image_probe::filesystem::{Entry, Kind, Listing};
use image_probe::signatures::ProgramKind;
use std::sync::Arc;

/// Whether an entry is a runnable program of `kind`.
pub fn is_program_of(entry: &Entry, kind: ProgramKind) -> bool {
    entry
        .runnable_programs()
        .iter()
        .any(|found| found.kind == kind)
}

/// The image's file system. A negative control is read only until it has
/// refuted each file-system claim it makes: the bloated image is 1.8 GB,
/// and reading all of it takes longer than the rest of the suite.
pub async fn listing(suite: &Suite, subject: &Subject) -> Result<Arc<Listing>, Failure> {
    let claims = &subject.row.claims;
    let allowed = claims.files.clone();
    let control = subject.row.negative_control;
    let mut other_file = allowed.is_none();
    let mut setuid_file = !claims.no_setuid;
    let mut shell = !claims.no_shell;
    let mut interpreter = !claims.no_interpreter;
    let paths = claims.paths.clone();
    let mut path_refuted = paths.is_empty();
    let enough = move |entry: &Entry| {
        if let Some(allowed) = &allowed {
            other_file |= refutes_holds_only(allowed, entry);
        }
        if let Some(claim) = paths.get(&format!("/{}", entry.path)) {
            path_refuted |= file_problem(&entry.path, claim, entry).is_some();
        }
        setuid_file |= is_setuid_file(entry);
        shell |= is_program_of(entry, ProgramKind::Shell);
        interpreter |= is_program_of(entry, ProgramKind::Interpreter);
        control && other_file && setuid_file && shell && interpreter && path_refuted
    };
    let listing = suite.listing(subject, enough).await?;
    if listing.complete {
        let files = listing
            .entries
            .iter()
            .filter(|entry| !entry.is_added_by_docker() && entry.kind != Kind::Directory)
            .count();
        suite.report().row(&subject.row.name).files = Some(files);
    }
    Ok(listing)
}
