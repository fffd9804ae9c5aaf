//! The file system: the files allowed and no other, and no file that raises
//! the privilege of whoever runs it: setuid, setgid, or with capabilities.

use crate::file_claim::{FileClaim, MAX_MATCHED_FILE_BYTES};
use crate::units::thousands;
use crate::verdict::{Mismatch, Problem, Shown, plain, text};
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
    allowed: &BTreeMap<String, FileClaim>,
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
        problems.extend(claimed_files_differences(allowed, listing));
    } else if unexpected.is_empty() {
        problems.push(Problem::new(
            "file system",
            plain("read to its end"),
            plain("a listing that stopped early"),
        ));
    }
    Mismatch::verdict(image, problems)
}

/// Each file of `paths` is there, and is what its claim says; other files
/// may be there too.
pub fn paths_are_as_claimed(
    image: &str,
    paths: &BTreeMap<String, FileClaim>,
    listing: &Listing,
) -> Result<(), Mismatch> {
    let mut problems = claimed_files_differences(paths, listing);
    if !listing.complete && problems.is_empty() {
        problems.push(Problem::new(
            "file system",
            plain("read to its end"),
            plain("a listing that stopped early"),
        ));
    }
    Mismatch::verdict(image, problems)
}

/// A problem for each claimed file that is not what its claim says; one
/// absent counts only where the listing is complete.
fn claimed_files_differences(
    claimed: &BTreeMap<String, FileClaim>,
    listing: &Listing,
) -> Vec<Problem> {
    claimed
        .iter()
        .filter_map(|(path, claim)| {
            let found = listing
                .entries
                .iter()
                .find(|entry| format!("/{}", entry.path) == *path);
            match found {
                Some(entry) => file_problem(path, claim, entry),
                None if listing.complete => {
                    Some(Problem::new(path.clone(), plain("a file"), plain("absent")))
                }
                None => None,
            }
        })
        .collect()
}

/// How the entry at `path` is not what `claim` says of it, if it is not.
pub fn file_problem(path: &str, claim: &FileClaim, entry: &Entry) -> Option<Problem> {
    let problem = |expected: Shown, observed: Shown| Some(Problem::new(path, expected, observed));
    if entry.kind != Kind::File {
        let kind = format!("{:?}", entry.kind).to_lowercase();
        return problem(plain("a regular file"), plain(format!("a {kind}")));
    }
    if let Some(mode) = claim.mode
        && entry.mode & MODE_BITS != mode.0
    {
        return problem(
            plain(format!("mode {mode}")),
            plain(format!("mode {:o}", entry.mode & MODE_BITS)),
        );
    }
    if let Some(owner) = claim.owner
        && (entry.uid, entry.gid) != (u64::from(owner.uid), u64::from(owner.gid))
    {
        return problem(
            plain(format!("owner {owner}")),
            plain(format!("owner {}:{}", entry.uid, entry.gid)),
        );
    }
    if !claim.reads_content() {
        return None;
    }
    let Some(content) = &entry.content else {
        return problem(plain("its content read"), plain("a file not read"));
    };
    if let Some(sha256) = &claim.sha256
        && content.sha256 != sha256.0
    {
        return problem(
            plain(format!("sha256 {sha256}")),
            plain(format!("sha256 {}", content.sha256)),
        );
    }
    if claim.contains.is_none() && claim.matches.is_none() {
        return None;
    }
    if content.size > MAX_MATCHED_FILE_BYTES {
        return problem(
            plain(format!(
                "a text of at most {MAX_MATCHED_FILE_BYTES} bytes to match (claim a larger \
                 file's sha256)"
            )),
            plain(format!("{} bytes", thousands(content.size))),
        );
    }
    let body = String::from_utf8_lossy(&content.head);
    if let Some(part) = &claim.contains
        && !body.contains(part.as_str())
    {
        return problem(plain(format!("a text containing {part:?}")), text(&body));
    }
    if let Some(pattern) = &claim.matches
        && !pattern.is_match(&body)
    {
        return problem(plain(format!("a text matching /{pattern}/")), text(&body));
    }
    None
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
pub fn refutes_holds_only(allowed: &BTreeMap<String, FileClaim>, entry: &Entry) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use image_probe::filesystem::FileContent;

    fn file(uid: u64, text: Option<&str>, size: u64) -> Entry {
        Entry {
            path: "etc/passwd".to_owned(),
            kind: Kind::File,
            mode: 0o644,
            reading: None,
            capabilities: None,
            uid,
            gid: 0,
            content: text.map(|text| FileContent {
                sha256: "ab".repeat(32),
                size,
                head: text.as_bytes().to_vec(),
            }),
        }
    }

    fn claim(text: &str) -> FileClaim {
        #[derive(serde::Deserialize)]
        struct One {
            claim: FileClaim,
        }
        toml::from_str::<One>(&format!("claim = {text}"))
            .expect("a claim")
            .claim
    }

    fn said(claim_text: &str, entry: &Entry) -> Option<String> {
        let problem = file_problem("/etc/passwd", &claim(claim_text), entry)?;
        Mismatch::verdict("image", vec![problem])
            .err()
            .map(|mismatch| mismatch.to_string())
    }

    #[test]
    fn a_named_file_is_checked_by_owner_mode_digest_and_text() {
        let passwd = file(0, Some("root:x:0:0\nnonroot:x:65532:65532:\n"), 36);
        for good in [
            r#"{ owner = "0:0", mode = "644" }"#,
            r#"{ contains = "nonroot:x:65532" }"#,
            r#"{ matches = '(?m)^nonroot:x:65532:' }"#,
            &format!("{{ sha256 = \"{}\" }}", "ab".repeat(32)),
        ] {
            assert_eq!(said(good, &passwd), None, "{good}");
        }
        assert_eq!(
            said(r#"{ owner = "0:0" }"#, &file(65532, None, 0)).as_deref(),
            Some("image\n  /etc/passwd: expected owner 0:0, observed owner 65532:0")
        );
        assert!(
            said(r#"{ contains = "daemon" }"#, &passwd)
                .is_some_and(|message| message.contains("a text containing \"daemon\""))
        );
        assert!(
            said(&format!("{{ sha256 = \"{}\" }}", "cd".repeat(32)), &passwd).is_some_and(
                |message| message.contains(&format!("observed sha256 {}", "ab".repeat(32)))
            )
        );
    }

    #[test]
    fn a_text_claim_on_a_file_past_the_bound_fails_rather_than_reading_part() {
        let large = file(0, Some("nonroot"), MAX_MATCHED_FILE_BYTES + 1);
        assert!(
            said(r#"{ contains = "nonroot" }"#, &large)
                .is_some_and(|message| message.contains("claim a larger file's sha256"))
        );
        let unread = file(0, None, 0);
        assert!(
            said(r#"{ contains = "x" }"#, &unread)
                .is_some_and(|message| message.contains("a file not read"))
        );
    }
}
