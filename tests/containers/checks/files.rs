//! The file system: the program alone, and no setuid or setgid file.

use super::{Mismatch, Problem, plain};
use crate::probe::filesystem::{Entry, Kind, Listing};
use crate::report::thousands;

/// The mode the program must have: rwxr-xr-x, no special bits.
pub const PROGRAM_MODE: u32 = 0o755;
/// The setuid and setgid bits of a file mode.
const SETUID_OR_SETGID: u32 = 0o6000;
/// The most entries a message names.
const MAX_NAMED: usize = 8;

/// Besides what Docker adds to every container, the file system is `program`
/// alone, a file of mode [`PROGRAM_MODE`].
pub fn holds_only(image: &str, program: &str, listing: &Listing) -> Result<(), Mismatch> {
    let own: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| !entry.is_added_by_docker())
        .collect();
    let expected = format!("{program} alone, a file of mode {PROGRAM_MODE:o}");
    let is_program = |entry: &Entry| {
        format!("/{}", entry.path) == program
            && entry.kind == Kind::File
            && entry.mode & 0o7777 == PROGRAM_MODE
    };
    let problems = match own.as_slice() {
        [only] if is_program(only) && listing.complete => vec![],
        _ => vec![Problem::new(
            "file system",
            plain(expected),
            plain(entries_shown(&own, listing.complete)),
        )],
    };
    Mismatch::verdict(image, problems)
}

/// No file has the setuid or setgid bit.
pub fn no_setuid(image: &str, listing: &Listing) -> Result<(), Mismatch> {
    let flagged: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| is_setuid_file(entry))
        .collect();
    let problems = if flagged.is_empty() {
        vec![]
    } else {
        vec![Problem::new(
            "setuid or setgid files",
            plain("none"),
            plain(entries_shown(&flagged, listing.complete)),
        )]
    };
    Mismatch::verdict(image, problems)
}

/// Whether an entry alone makes [`holds_only`] fail. For a negative control
/// the export is read only until it has refuted both file-system claims.
pub fn refutes_holds_only(program: &str, entry: &Entry) -> bool {
    !entry.is_added_by_docker() && format!("/{}", entry.path) != program
}

pub fn is_setuid_file(entry: &Entry) -> bool {
    entry.kind == Kind::File && entry.mode & SETUID_OR_SETGID != 0
}

/// `/calc (755), /etc (755), … 1,300 entries in all`; a listing stopped early says so.
fn entries_shown(entries: &[&Entry], complete: bool) -> String {
    if entries.is_empty() {
        return "nothing".to_owned();
    }
    let named: Vec<String> = entries
        .iter()
        .take(MAX_NAMED)
        .map(|entry| format!("/{} ({:o})", entry.path, entry.mode & 0o7777))
        .collect();
    let mut shown = named.join(", ");
    if entries.len() > MAX_NAMED {
        shown.push_str(&format!(
            ", … {} entries in all",
            thousands(entries.len() as u64)
        ));
    }
    if !complete {
        shown.push_str(" (reading stopped there)");
    }
    shown
}
