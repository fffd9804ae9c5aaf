//! Reproducibility: building the Dockerfile again gives the same top layer,
//! the one holding the program.
//!
//! The rebuild changes the row's rebuild argument, which reruns the compile
//! step and everything after it while the toolchain stays cached: two full
//! no-cache builds prove the same but take minutes. A row given by
//! reference is compared with a build of its Dockerfile here, which proves
//! the given image is what the Dockerfile builds; where it cannot be
//! rebuilt here (an architecture the engine only emulates), with a second
//! build given as `IMAGE_CLAIMS_REBUILT_<ROW>`.

use super::Verdict;
use crate::checks::layers::same_top_layer;
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::{Suite, top_layer};
use crate::verdict::Evidence;
use std::sync::Arc;

pub async fn rebuild_gives_the_same_top_layer(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let tested = suite.subject(row).await?;
    let layer = top_layer(&tested.facts.layer_digests)
        .ok_or_else(|| Failure::row(&tested, "the image has no layer"))?;
    if row.negative_control {
        // The control is told apart from every image that claims the same.
        for other in suite
            .rows()
            .iter()
            .filter(|other| other.claims.reproducible && !other.negative_control)
        {
            let other = suite.subject(other).await?;
            let other_layer = top_layer(&other.facts.layer_digests)
                .ok_or_else(|| Failure::row(&other, "the image has no layer"))?;
            let verdict = same_top_layer((&tested.label, &layer), (&other.label, &other_layer));
            judge(
                &tested,
                "the reproducibility check",
                verdict,
                &Evidence::of([other_layer]),
            )?;
        }
        return Ok(());
    }
    let rebuilt = suite.rebuilt(&tested).await?;
    let verdict = same_top_layer(
        (&tested.label, &layer),
        (&rebuilt.label, &rebuilt.top_layer),
    );
    judge(
        &tested,
        "the reproducibility check",
        verdict,
        &Evidence::none(),
    )
}
