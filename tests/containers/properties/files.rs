//! The file system, exported from a container that is never started: the
//! program alone (in one layer), and no setuid or setgid file.

use super::{OrFail, judge};
use crate::checks::files::{holds_only, is_setuid_file, no_setuid, refutes_holds_only};
use crate::checks::layers::one_layer;
use crate::probe::filesystem::{Entry, Kind, Listing, unstarted};
use crate::probe::once::OncePerKey;
use crate::report;
use crate::row::ImageRow;
use crate::subject::{Subject, subject};

/// The path of the first entry that refutes a claim, as evidence for [`judge`].
fn first_path(listing: &Listing, refutes: impl Fn(&Entry) -> bool) -> Vec<String> {
    let found = listing.entries.iter().find(|entry| refutes(entry));
    found
        .map(|entry| format!("/{}", entry.path))
        .into_iter()
        .collect()
}

static LISTINGS: OncePerKey<Result<Listing, String>> = OncePerKey::new();

/// The image's file system, exported once per run. A negative control is
/// read only until it has refuted both file-system claims: the bloated image
/// is 1.8 GB, and reading all of it takes longer than the rest of the suite.
async fn listing(subject: &'static Subject) -> &'static Listing {
    let export = async {
        let container = unstarted(subject.image()).await?;
        let program = subject.row.program;
        let (mut other_file, mut setuid_file) = (false, false);
        let enough = move |entry: &_| {
            other_file |= refutes_holds_only(program, entry);
            setuid_file |= is_setuid_file(entry);
            subject.row.negative_control && other_file && setuid_file
        };
        let listing = container.entries_until(enough).await?;
        if listing.complete {
            let files = listing
                .entries
                .iter()
                .filter(|entry| !entry.is_added_by_docker() && entry.kind != Kind::Directory)
                .count();
            report::record_files(subject.row, files);
        }
        Ok(listing)
    };
    // How far the export is read is part of the key: a control's listing
    // stops early, and an image checked both as a control and not (given
    // twice by reference) must not hand its short listing to a good row.
    let reading = if subject.row.negative_control {
        "until refuted"
    } else {
        "whole"
    };
    LISTINGS
        .get(&format!("{} {reading}", subject.image()), || export)
        .await
        .as_ref()
        .map_err(Clone::clone)
        .or_fail(subject)
}

pub async fn image_holds_only_its_program(image: &'static ImageRow) {
    if !image.claims.only_program {
        return;
    }
    let subject = subject(image).await;
    let listing = listing(subject).await;
    let evidence = first_path(listing, |entry| refutes_holds_only(image.program, entry));
    judge(
        subject,
        holds_only(&subject.label, image.program, listing),
        &evidence,
    );
}

pub async fn program_is_the_only_layer(image: &'static ImageRow) {
    if !image.claims.only_program {
        return;
    }
    let subject = subject(image).await;
    let layers = &subject.facts.layer_digests;
    let evidence = vec![format!("{} layers", layers.len())];
    judge(subject, one_layer(&subject.label, layers), &evidence);
}

pub async fn image_has_no_setuid_file(image: &'static ImageRow) {
    if !image.claims.no_setuid {
        return;
    }
    let subject = subject(image).await;
    let listing = listing(subject).await;
    let evidence = first_path(listing, is_setuid_file);
    judge(subject, no_setuid(&subject.label, listing), &evidence);
}

tests_for_every_image!(
    image_holds_only_its_program,
    program_is_the_only_layer,
    image_has_no_setuid_file
);
