//! The distance the book's chart (docs/src/images.md) shows: every negative control is at
//! least ten thousand times every image that claims an absolute budget.

use image_claims::Failure;
use image_claims::checks::size::{Bound, within};
use image_claims::entry::verdict_of;
use image_claims::suite::Suite;
use image_claims::units::thousands;
use libtest_mimic::Trial;
use std::sync::Arc;

pub const CONTROL_MIN_FACTOR: u64 = 10_000;

pub fn trials(suite: &Arc<Suite>) -> Vec<Trial> {
    let suite = Arc::clone(suite);
    let name = "every_control_is_far_larger_than_every_minimal_image";
    vec![Trial::test(name, move || {
        verdict_of(&suite, name, far_larger(&suite))
    })]
}

async fn far_larger(suite: &Suite) -> Result<(), Failure> {
    let rows = suite.rows();
    let minimal = rows
        .iter()
        .filter(|row| !row.negative_control && row.claims.size.is_some());
    for control in rows.iter().filter(|row| row.negative_control) {
        let control = suite.subject(control).await?;
        for image in minimal.clone() {
            let image = suite.subject(image).await?;
            let what = format!(
                "its size, {} times {image}'s",
                thousands(CONTROL_MIN_FACTOR)
            );
            let minimum = image.facts.bytes * CONTROL_MIN_FACTOR;
            within(
                &control.label,
                &what,
                control.facts.bytes,
                Bound::AtLeast(minimum),
            )
            .map_err(Failure::Refuted)?;
        }
    }
    Ok(())
}
