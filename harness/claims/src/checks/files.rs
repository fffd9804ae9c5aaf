//! The file system: the files allowed and no other, and no file that raises
//! the privilege of whoever runs it: setuid, setgid, or with capabilities.

use crate::row::Mode;
use crate::units::thousands;
use crate::verdict::{Mismatch, Problem, plain};
use image_probe::filesystem::{Entry, Kind, Listing};
use std::collections::BTreeMap;

/// The setuid and setgid bits of a file mode.
const SETUID_OR_SETGID: u32 = 0o6000;
/// The permission and special bits of a mode.
const MODE_BITS: u32 = 0o7777;
/// The most entries a message names.
const MAX_NAMED: usize = 8;

/// Besides what Docker adds to every container, the file system holds the
/// `allowed` files, each with its mode, the directories they are in, and
/// nothing else.
pub fn holds_only(
    image: &str,
    allowed: &BTreeMap<String, Mode>,
    listing: &Listing,
) -> Result<(), Mismatch> {
    let mut problems = Vec::new();
    let unexpected: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| refutes_holds_only(allowed, entry))
        .collect();
    if !unexpected.is_empty() {
        problems.push(Problem::new(
            "files not allowed",
            plain("none"),
            plain(entries_shown(&unexpected, listing.complete)),
        ));
    }
    if listing.complete {
        for (path, mode) in allowed {
            let found = listing
                .entries
                .iter()
                .find(|entry| format!("/{}", entry.path) == *path);
            let observed = match found {
                None => "absent".to_owned(),
                Some(entry) if entry.kind != Kind::File => {
                    format!("{:?}", entry.kind).to_lowercase()
                }
                Some(entry) if entry.mode & MODE_BITS != mode.0 => {
                    format!("mode {:o}", entry.mode & MODE_BITS)
                }
                Some(_) => continue,
            };
            problems.push(Problem::new(
                path.clone(),
                plain(format!("a file of mode {mode}")),
                plain(observed),
            ));
        }
    } else if unexpected.is_empty() {
        problems.push(Problem::new(
            "file system",
            plain("read to its end"),
            plain("a listing that stopped early"),
        ));
    }
    Mismatch::verdict(image, problems)
}

/// No file has the setuid or setgid bit, or file capabilities.
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
            "setuid or setgid files, or files with capabilities",
            plain("none"),
            plain(entries_shown(&flagged, listing.complete)),
        )]
    };
    Mismatch::verdict(image, problems)
}

/// Whether an entry alone makes [`holds_only`] fail: a file not allowed, or
/// a directory that holds no allowed file. For a negative control the export
/// is read only until it has refuted the file-system claims.
pub fn refutes_holds_only(allowed: &BTreeMap<String, Mode>, entry: &Entry) -> bool {
    if entry.is_added_by_docker() {
        return false;
    }
    let path = format!("/{}", entry.path);
    match entry.kind {
        Kind::Directory => !allowed
            .keys()
            .any(|file| file.starts_with(&format!("{path}/"))),
        _ => !allowed.contains_key(&path),
    }
}

/// Whether a file raises the privilege of whoever runs it: setuid or
/// setgid, or given capabilities (`setcap cap_setuid+ep` makes a program
/// able to become root with no setuid bit to see).
pub fn is_setuid_file(entry: &Entry) -> bool {
    entry.kind == Kind::File && (entry.mode & SETUID_OR_SETGID != 0 || entry.capabilities.is_some())
}

/// `/calc (755), /etc (755), … 1,300 entries in all`; a listing stopped early says so.
fn entries_shown(entries: &[&Entry], complete: bool) -> String {
    let named: Vec<String> = entries
        .iter()
        .take(MAX_NAMED)
        .map(|entry| match &entry.capabilities {
            Some(capabilities) => format!(
                "/{} ({:o}, {capabilities})",
                entry.path,
                entry.mode & MODE_BITS
            ),
            None => format!("/{} ({:o})", entry.path, entry.mode & MODE_BITS),
        })
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
