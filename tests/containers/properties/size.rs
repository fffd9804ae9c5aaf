//! Size: each image against its budget, with its layers reported.

use super::{OrFail, judge};
use crate::block_on;
use crate::checks::size::{Bound, within};
use crate::images::ALL;
use crate::probe::engine_facts::{ImageStore, engine_facts};
use crate::probe::image::image_facts;
use crate::probe::layer_bytes::layer_bytes;
use crate::report::{self, thousands};
use crate::row::{Budget, ImageRow};
use crate::subject::subject;

/// A negative control must be at least this many times every image that
/// claims an absolute budget: the distance the README's chart shows.
pub const CONTROL_MIN_FACTOR: u64 = 10_000;

pub async fn image_is_within_its_size_budget(image: &'static ImageRow) {
    let subject = subject(image).await;
    let facts = &subject.facts;
    report::record_size(
        image,
        facts.bytes,
        facts.stored_bytes,
        facts.layer_bytes.clone(),
    );
    let Some(budget) = &image.claims.size else {
        return;
    };
    let architecture = facts.architecture.as_str();
    let no_budget = || format!("its row has no size budget for {architecture}");
    let verdict = match budget {
        Budget::Bytes(limit) => within(
            &subject.label,
            "image size",
            facts.bytes,
            Bound::AtMost(
                limit
                    .of(architecture)
                    .ok_or_else(no_budget)
                    .or_fail(subject),
            ),
        ),
        Budget::OverBase { bases, bytes } => {
            let bytes = bytes
                .of(architecture)
                .ok_or_else(no_budget)
                .or_fail(subject);
            let (base, base_bytes) = base_of(bases, architecture).await.or_fail(subject);
            let added = facts.bytes.saturating_sub(base_bytes);
            let what = format!("what it adds to {base}");
            within(&subject.label, &what, added, Bound::AtMost(bytes))
        }
    };
    judge(subject, verdict, &[thousands(facts.bytes)]);
}

/// The first of `bases` present with `architecture`, and its size.
async fn base_of(
    bases: &[&'static str],
    architecture: &str,
) -> Result<(&'static str, u64), String> {
    for &base in bases {
        if let Ok(facts) = image_facts(base).await
            && facts.architecture == architecture
        {
            return Ok((base, facts.bytes));
        }
    }
    Err(format!(
        "none of its base images {} is present for {architecture}",
        bases.join(", ")
    ))
}

#[test]
fn every_control_is_far_larger_than_every_minimal_image() {
    block_on(async {
        let minimal = ALL.iter().filter(|row| {
            !row.negative_control && matches!(row.claims.size, Some(Budget::Bytes(_)))
        });
        for control in ALL.iter().filter(|row| row.negative_control) {
            let control = subject(control).await;
            for image in minimal.clone() {
                let image = subject(image).await;
                let minimum = image.facts.bytes * CONTROL_MIN_FACTOR;
                let what = format!(
                    "its size, {} times {image}'s",
                    thousands(CONTROL_MIN_FACTOR)
                );
                let verdict = within(
                    &control.label,
                    &what,
                    control.facts.bytes,
                    Bound::AtLeast(minimum),
                );
                verdict.unwrap_or_else(|mismatch| panic!("{mismatch}"));
            }
        }
    });
}

/// The bytes budgets count are the same quantity on every image store: on
/// the classic store, which reports them itself, counting them from the
/// image's layers (as the containerd store's runs must) gives the same.
#[test]
fn layers_counted_give_the_classic_stores_own_size() {
    block_on(async {
        let store = engine_facts()
            .await
            .unwrap_or_else(|problem| panic!("{problem}"))
            .image_store;
        if store != ImageStore::Classic {
            report::record_not_proven(&format!(
                "that counting the layers gives the store's own size: the {store} reports \
                 stored bytes, not unpacked ones, so the count is checked on classic engines"
            ));
            return;
        }
        for row in ALL.iter().filter(|row| !row.negative_control) {
            let subject = subject(row).await;
            let layers = layer_bytes(subject.image()).await.or_fail(subject);
            let counted: u64 = layers.iter().map(|layer| layer.unpacked).sum();
            assert_eq!(
                counted,
                subject.facts.bytes,
                "{subject}: its layers hold {} bytes of files, but the classic store says the \
                 image is {} bytes: the size budgets would count another quantity on the \
                 containerd store",
                thousands(counted),
                thousands(subject.facts.bytes)
            );
        }
    });
}

tests_for_every_image!(image_is_within_its_size_budget);
