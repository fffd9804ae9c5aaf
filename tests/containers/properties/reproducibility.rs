//! Reproducibility: compiling the same sources again gives the same top
//! layer, the one holding the program.
//!
//! The rebuild changes the REBUILD build argument, which reruns the compile
//! step and everything after it while the toolchain and std stay cached: two
//! full no-cache builds prove the same (see the README) but take minutes.
//! One value serves the whole run, so BuildKit compiles the shared build
//! stage of several Dockerfiles once. A row given by reference is compared
//! with a build of its Dockerfile here, which proves the given image is what
//! the Dockerfile builds; where it cannot be rebuilt here (an image of an
//! architecture the engine only emulates), with a second build given as
//! `CALC_REBUILT_<ROW>`.

use super::{OrFail, judge};
use crate::checks::layers::same_top_layer;
use crate::images::ALL;
use crate::probe::engine::ensure_image;
use crate::probe::image::{ImageFacts, image_facts};
use crate::probe::once::OncePerKey;
use crate::row::{ImageRow, Source};
use crate::subject::{Subject, build_row, subject};
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The Dockerfiles' build argument that reruns the compile step.
const REBUILD_ARGUMENT: &str = "REBUILD";

static REBUILD_VALUE: LazyLock<String> = LazyLock::new(|| {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
        .to_string()
});

/// The last layer of an image, the one holding the program.
fn top_layer(facts: &ImageFacts) -> Result<String, String> {
    let layer = facts.layer_digests.last().cloned();
    layer.ok_or_else(|| "the image has no layer".to_owned())
}

pub async fn rebuild_gives_the_same_top_layer(image: &'static ImageRow) {
    if !image.claims.reproducible {
        return;
    }
    let tested = subject(image).await;
    let layer = top_layer(&tested.facts).or_fail(tested);
    if image.negative_control {
        // The control is told apart from every image that claims the same.
        for other in ALL
            .iter()
            .filter(|row| row.claims.reproducible && !row.negative_control)
        {
            let other = subject(other).await;
            let other_layer = top_layer(&other.facts).or_fail(other);
            let verdict = same_top_layer((&tested.label, &layer), (&other.label, &other_layer));
            judge(tested, verdict, &[other_layer]);
        }
        return;
    }
    let rebuilt = rebuilt(tested)
        .await
        .as_ref()
        .map_err(Clone::clone)
        .or_fail(tested);
    let verdict = same_top_layer((&tested.label, &layer), (&rebuilt.0, &rebuilt.1));
    judge(tested, verdict, &[]);
}

static REBUILDS: OncePerKey<Result<(String, String), String>> = OncePerKey::new();

/// The row's image built again with a new REBUILD value: its reference and
/// top layer. Started in the background as soon as the row's image is ready
/// (see `subject.rs`), so that the compile overlaps the rest of the run.
pub async fn rebuilt(tested: &'static Subject) -> &'static Result<(String, String), String> {
    REBUILDS.get(tested.row.name, || rebuild(tested)).await
}

async fn rebuild(tested: &'static Subject) -> Result<(String, String), String> {
    let image = tested.row;
    let variable = image.rebuilt_variable();
    if let Some(given) = std::env::var(&variable)
        .ok()
        .filter(|value| !value.is_empty())
    {
        return second_build_given(tested, &variable, given).await;
    }
    if tested.emulated {
        return Err(format!(
            "it is {}, an architecture this engine only emulates, so a rebuild here would \
             not be of it: build the Dockerfile a second time for {} (tools/arm64 does) and \
             give that image as {variable}",
            tested.facts.architecture, tested.facts.architecture
        ));
    }
    let Source::Dockerfile { tag, .. } = image.source else {
        return Err("its row claims reproducibility but has no Dockerfile to rebuild".to_owned());
    };
    let rebuilt = format!("{tag}-rebuild");
    let args = [(REBUILD_ARGUMENT.to_owned(), REBUILD_VALUE.clone())];
    build_row(image, &rebuilt, &args).await?;
    let layer = top_layer(&image_facts(&rebuilt).await?)
        .map_err(|problem| format!("{rebuilt}: {problem}"))?;
    Ok((rebuilt, layer))
}

/// A second build made elsewhere, given through `variable`: it must be of
/// the tested image's architecture, or the comparison proves nothing.
async fn second_build_given(
    tested: &Subject,
    variable: &str,
    given: String,
) -> Result<(String, String), String> {
    ensure_image(&given)
        .await
        .map_err(|problem| format!("{variable}: {problem}"))?;
    let facts = image_facts(&given).await?;
    if facts.architecture != tested.facts.architecture {
        return Err(format!(
            "{variable}={given} is {}, the tested image {}: a second build must be of the \
             same architecture",
            facts.architecture, tested.facts.architecture
        ));
    }
    let layer = top_layer(&facts).map_err(|problem| format!("{given}: {problem}"))?;
    Ok((format!("{given} (from {variable})"), layer))
}

tests_for_every_image!(rebuild_gives_the_same_top_layer);
