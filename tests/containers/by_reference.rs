//! An image the suite did not build, checked by every property all the
//! same: how a pushed image is verified, and the worked example of the
//! book (docs/src/by-reference.md). Here the given image is the scratch image under another name,
//! as a registry would hand it back.

use image_claims::Failure;
use image_claims::entry::verdict_of;
use image_claims::properties::ROW_PROPERTIES;
use image_claims::row::Row;
use image_claims::suite::Suite;
use libtest_mimic::Trial;
use std::sync::Arc;

/// The row whose image is given under another name, and that name.
const ROW: &str = "scratch";
const GIVEN_REFERENCE: &str = "calc-given:scratch";

pub fn trials(suite: &Arc<Suite>) -> Vec<Trial> {
    let suite = Arc::clone(suite);
    let name = "an_image_given_by_reference_passes_every_check_without_a_build";
    vec![Trial::test(name, move || {
        verdict_of(&suite, name, given_passes(&suite))
    })]
}

async fn given_passes(suite: &Suite) -> Result<(), Failure> {
    let built = suite
        .row(ROW)
        .ok_or_else(|| Failure::row(&ROW, "is not a row of images.toml"))?;
    let scratch = suite.subject(&built).await?;
    let _tag = suite
        .engine()
        .temporary_tag(scratch.image(), GIVEN_REFERENCE)
        .await
        .map_err(|error| Failure::probe(&scratch, error))?;
    let mut given = Row::clone(&built);
    given.name = format!("{ROW}-given");
    given.build = None;
    given.reference = Some(GIVEN_REFERENCE.to_owned());
    // Reproducibility is a claim about a Dockerfile, and this row has none;
    // minimality is proven on the built row.
    given.claims.reproducible = false;
    if let Some(seccomp) = given.claims.seccomp.as_mut() {
        seccomp.minimal = false;
    }
    let given = Arc::new(given);
    let subject = suite.subject(&given).await?;
    if !subject.given || subject.facts.id != scratch.facts.id {
        return Err(Failure::row(
            &subject,
            format!(
                "expected the image {} taken as given, observed image {} {}",
                scratch.facts.id,
                subject.facts.id,
                if subject.given { "given" } else { "built" }
            ),
        ));
    }
    for property in ROW_PROPERTIES
        .iter()
        .filter(|property| (property.claimed_by)(&given))
    {
        (property.check)(suite, &given).await?;
    }
    Ok(())
}
