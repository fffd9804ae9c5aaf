//! The file system, exported from a container that is never started: the
//! files allowed and no other, named files by mode, owner and content, the
//! layers claimed, and no setuid or setgid file.

use super::Verdict;
use super::inventory::listing;
use crate::checks::files::{
    holds_only, is_setuid_file, no_setuid, paths_are_as_claimed, refutes_holds_only,
};
use crate::checks::layers::layer_count;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::verdict::Evidence;
use image_probe::filesystem::{Entry, Listing};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The path of the first entry that refutes a claim, as evidence.
fn first_path(listing: &Listing, refutes: impl Fn(&Entry) -> bool) -> Evidence {
    let found = listing.entries.iter().find(|entry| refutes(entry));
    Evidence::of(found.map(|entry| format!("/{}", entry.path)))
}

pub async fn image_holds_only_its_files(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let allowed: BTreeMap<_, _> = row.claims.files.clone().unwrap_or_default();
    let subject = suite.subject(row).await?;
    let listing = listing(suite, &subject).await?;
    let evidence = first_path(&listing, |entry| refutes_holds_only(&allowed, entry));
    judge(
        &subject,
        "the files check",
        holds_only(&subject.label, &allowed, &listing),
        &evidence,
    )
}

pub async fn image_has_its_claimed_layers(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let Some(claimed) = row.claims.layers else {
        return Ok(());
    };
    let subject = suite.subject(row).await?;
    let layers = &subject.facts.layer_digests;
    let evidence = Evidence::of([format!("{} layers", layers.len())]);
    judge(
        &subject,
        "the layers check",
        layer_count(&subject.label, claimed, layers),
        &evidence,
    )
}

pub async fn image_has_no_setuid_file(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let listing = listing(suite, &subject).await?;
    let evidence = first_path(&listing, is_setuid_file);
    judge(
        &subject,
        "the setuid check",
        no_setuid(&subject.label, &listing),
        &evidence,
    )
}

pub async fn image_files_are_as_claimed(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let listing = listing(suite, &subject).await?;
    let verdict = paths_are_as_claimed(&subject.label, &row.claims.paths, &listing);
    // A control's evidence: the first path not as claimed, and what it is.
    let evidence = Evidence::of_first_problem(&verdict);
    judge(&subject, "the paths check", verdict, &evidence)
}
