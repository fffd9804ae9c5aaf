//! Property 4, size: each image against its budget, with its layers reported.

use crate::filesystem::{ImageFacts, image_facts};
use crate::images::{Image, built};
use crate::report::{self, thousands};
use crate::{block_on, pass};

/// The scratch image's budget: 64 KiB.
pub const SCRATCH_MAX_BYTES: u64 = 64 * 1024;
/// What the nonroot image may add to its distroless base: 64 KiB.
pub const NONROOT_MAX_ADDED_BYTES: u64 = 64 * 1024;
/// The bloated image must be at least this many times the scratch image.
pub const BLOATED_MIN_FACTOR: u64 = 10_000;

const DISTROLESS_BASE: &str = "gcr.io/distroless/static-debian12:nonroot";

async fn facts(image: Image) -> ImageFacts {
    built(image).await;
    let facts = image_facts(&image.reference())
        .await
        .unwrap_or_else(|problem| panic!("{image}: {problem}"));
    report::record_size(image, facts.bytes, facts.layer_bytes.clone());
    facts
}

fn check_at_most(what: &str, bytes: u64, limit: u64) -> Result<(), String> {
    if bytes <= limit {
        Ok(())
    } else {
        Err(format!(
            "{what} is {} bytes, over its limit of {} bytes",
            thousands(bytes),
            thousands(limit)
        ))
    }
}

fn check_at_least(what: &str, bytes: u64, minimum: u64) -> Result<(), String> {
    if bytes >= minimum {
        Ok(())
    } else {
        Err(format!(
            "{what} is {} bytes, under its minimum of {} bytes",
            thousands(bytes),
            thousands(minimum)
        ))
    }
}

#[test]
fn scratch_image_fits_in_64_kib() {
    block_on(async {
        let facts = facts(Image::Scratch).await;
        pass(check_at_most(
            "calc:scratch",
            facts.bytes,
            SCRATCH_MAX_BYTES,
        ));
        assert_eq!(
            facts.layer_digests.len(),
            1,
            "calc:scratch: layers {:?}, expected one: /calc",
            facts.layer_digests
        );
    });
}

#[test]
fn nonroot_image_adds_at_most_64_kib_to_its_base() {
    block_on(async {
        let image = facts(Image::Nonroot).await;
        let base = image_facts(DISTROLESS_BASE)
            .await
            .unwrap_or_else(|problem| panic!("{problem}"));
        let added = image.bytes.saturating_sub(base.bytes);
        pass(check_at_most(
            "what calc:nonroot adds to its base",
            added,
            NONROOT_MAX_ADDED_BYTES,
        ));
    });
}

#[test]
fn bloated_image_is_at_least_10000_times_scratch() {
    block_on(async {
        let (scratch, bloated) = tokio::join!(facts(Image::Scratch), facts(Image::Bloated));
        pass(check_at_least(
            "calc:bloated",
            bloated.bytes,
            scratch.bytes * BLOATED_MIN_FACTOR,
        ));
    });
}

#[test]
fn size_budget_rejects_the_bloated_image() {
    block_on(async {
        let bloated = facts(Image::Bloated).await;
        let message = check_at_most("calc:bloated", bloated.bytes, SCRATCH_MAX_BYTES)
            .expect_err("the bloated image is far over 64 KiB");
        let expected = format!(
            "calc:bloated is {} bytes, over its limit of 65,536 bytes",
            thousands(bloated.bytes)
        );
        assert_eq!(message, expected);
    });
}
