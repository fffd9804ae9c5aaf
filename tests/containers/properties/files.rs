//! The file system, exported from a container that is never started: the
//! program alone (in one layer), and no setuid or setgid file.

use super::{OrFail, judge};
use crate::block_on;
use crate::checks::files::{holds_only, is_setuid_file, no_setuid, refutes_holds_only};
use crate::checks::layers::one_layer;
use crate::images::every_image;
use crate::probe::filesystem::{Kind, Listing, unstarted};
use crate::probe::once::OncePerKey;
use crate::report;
use crate::row::ImageRow;
use crate::subject::{Subject, subject};
use rstest::rstest;
use rstest_reuse::apply;

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
    LISTINGS
        .get(subject.image(), || export)
        .await
        .as_ref()
        .map_err(Clone::clone)
        .or_fail(subject)
}

#[apply(every_image)]
fn image_holds_only_its_program(image: &'static ImageRow) {
    block_on(prove_image_holds_only_its_program(image));
}

pub async fn prove_image_holds_only_its_program(image: &'static ImageRow) {
    if !image.claims.only_program {
        return;
    }
    let subject = subject(image).await;
    let listing = listing(subject).await;
    let evidence: Vec<String> = listing
        .entries
        .iter()
        .find(|entry| refutes_holds_only(image.program, entry))
        .map(|entry| format!("/{}", entry.path))
        .into_iter()
        .collect();
    judge(
        subject,
        holds_only(&subject.reference, image.program, listing),
        &evidence,
    );
}

#[apply(every_image)]
fn program_is_the_only_layer(image: &'static ImageRow) {
    block_on(prove_program_is_the_only_layer(image));
}

pub async fn prove_program_is_the_only_layer(image: &'static ImageRow) {
    if !image.claims.only_program {
        return;
    }
    let subject = subject(image).await;
    let layers = &subject.facts.layer_digests;
    let evidence = vec![format!("{} layers", layers.len())];
    judge(subject, one_layer(&subject.reference, layers), &evidence);
}

#[apply(every_image)]
fn image_has_no_setuid_file(image: &'static ImageRow) {
    block_on(prove_image_has_no_setuid_file(image));
}

pub async fn prove_image_has_no_setuid_file(image: &'static ImageRow) {
    if !image.claims.no_setuid {
        return;
    }
    let subject = subject(image).await;
    let listing = listing(subject).await;
    let evidence: Vec<String> = listing
        .entries
        .iter()
        .find(|entry| is_setuid_file(entry))
        .map(|entry| format!("/{}", entry.path))
        .into_iter()
        .collect();
    judge(subject, no_setuid(&subject.reference, listing), &evidence);
}
