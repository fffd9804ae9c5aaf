//! Property 6, reproducibility: compiling the same sources again gives the same /calc layer.

use crate::filesystem::image_facts;
use crate::images::{Image, build, built};
use crate::{block_on, pass};
use std::time::{SystemTime, UNIX_EPOCH};

/// The tag of the second build.
const REBUILD_TAG: &str = "scratch-rebuild";

fn check_same_layer(first: (&str, &str), second: (&str, &str)) -> Result<(), String> {
    if first.1 == second.1 {
        Ok(())
    } else {
        Err(format!(
            "the /calc layer of {} is {}, of {} is {}: expected them equal",
            first.0, first.1, second.0, second.1
        ))
    }
}

async fn top_layer(reference: &str) -> String {
    let facts = image_facts(reference)
        .await
        .unwrap_or_else(|problem| panic!("{problem}"));
    facts
        .layer_digests
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("{reference} has no layer"))
}

// The rebuild changes the REBUILD build argument, which reruns the compile step
// and everything after it while the toolchain and std stay cached: a second
// no-cache build of the whole file proves the same (see README) but takes minutes.
#[test]
fn scratch_image_rebuilds_to_the_same_calc_layer() {
    block_on(async {
        built(Image::Scratch).await;
        let token = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos())
            .to_string();
        build(Image::Scratch, REBUILD_TAG, Some(&token))
            .await
            .unwrap_or_else(|problem| panic!("{problem}"));
        let first = Image::Scratch.reference();
        let second = format!("{}:{REBUILD_TAG}", crate::images::REPOSITORY);
        let verdict = check_same_layer(
            (&first, &top_layer(&first).await),
            (&second, &top_layer(&second).await),
        );
        pass(verdict);
    });
}

#[test]
fn layer_check_tells_different_layers_apart() {
    block_on(async {
        let (scratch, bloated) = (Image::Scratch.reference(), Image::Bloated.reference());
        built(Image::Scratch).await;
        built(Image::Bloated).await;
        let message = check_same_layer(
            (&scratch, &top_layer(&scratch).await),
            (&bloated, &top_layer(&bloated).await),
        )
        .expect_err("different images have different top layers");
        assert!(message.contains("calc:bloated"), "{message}");
    });
}
