//! A row made ready for checking: its image built from its Dockerfile, or
//! taken as given by reference, and pinned to the image ID the engine has
//! for it. Every check runs the image by that ID, so what is reported as
//! tested is exactly what ran, even if a tag moves during the run.

use crate::images::ALL;
use crate::probe::build::{BuildRequest, build};
use crate::probe::engine::{abort_run, engine_architecture, ensure_image};
use crate::probe::engine_facts::engine_facts;
use crate::probe::image::{ImageFacts, image_facts};
use crate::probe::once::OncePerKey;
use crate::properties::reproducibility::rebuilt;
use crate::report;
use crate::row::{ImageRow, Source};
use std::fmt;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

/// The image of a row, as the engine has it.
pub struct Subject {
    pub row: &'static ImageRow,
    /// How messages name it: the reference the suite built or was given, and
    /// for an image given through the environment, the row and variable it
    /// stands in for.
    pub label: String,
    pub facts: ImageFacts,
    /// Given by reference rather than built by the suite.
    pub given: bool,
    /// Of another architecture than the engine's, so run under emulation
    /// (qemu through binfmt_misc).
    pub emulated: bool,
}

impl Subject {
    /// What to hand the engine to run this image: its ID.
    pub fn image(&self) -> &str {
        &self.facts.id
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.label)
    }
}

static SUBJECTS: OncePerKey<Result<Subject, String>> = OncePerKey::new();
static START_ALL: Once = Once::new();

/// The row's image, ready; on the first call every row starts getting ready,
/// so that the builds run at once and share BuildKit's cache, each followed
/// by its reproducibility rebuild, the one long step of a warm run. Panics
/// with the reason when the image cannot be had.
pub async fn subject(row: &'static ImageRow) -> &'static Subject {
    START_ALL.call_once(|| {
        tokio::spawn(async {
            if let Ok(engine) = engine_facts().await {
                report::record_engine(engine);
            }
        });
        for other in ALL {
            tokio::spawn(async move {
                let ready = SUBJECTS.get(other.name, || make_ready(other)).await;
                if let Ok(ready) = ready
                    && other.claims.reproducible
                    && !other.negative_control
                {
                    rebuilt(ready).await;
                }
            });
        }
    });
    match SUBJECTS.get(row.name, || make_ready(row)).await {
        Ok(subject) => subject,
        Err(message) => panic!("{message}"),
    }
}

/// The repository, where the Dockerfiles are.
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

async fn make_ready(row: &'static ImageRow) -> Result<Subject, String> {
    let given = std::env::var(row.reference_variable())
        .ok()
        .filter(|value| !value.is_empty());
    let (reference, given, label) = match (given, &row.source) {
        (Some(reference), _) => {
            let label = format!(
                "{reference} (the {} row, from {})",
                row.name,
                row.reference_variable()
            );
            (reference, true, label)
        }
        (None, Source::Reference(reference)) => {
            ((*reference).to_owned(), true, (*reference).to_owned())
        }
        (None, Source::Dockerfile { tag, .. }) => {
            let took = build_row(row, tag, &[]).await?;
            report::record_build_time(row, took);
            ((*tag).to_owned(), false, (*tag).to_owned())
        }
    };
    if given {
        // Nothing can be checked without it: end the run with one line.
        if let Err(problem) = ensure_image(&reference).await {
            abort_run(&format!("{}: {problem}", row.reference_variable()));
        }
    }
    let facts = image_facts(&reference).await?;
    let emulated = facts.architecture != engine_architecture().await?;
    report::record_subject(row, &reference, &facts, given);
    Ok(Subject {
        row,
        label,
        facts,
        given,
        emulated,
    })
}

/// Builds the row's Dockerfile as `tag`, after making its base images present.
pub async fn build_row(
    row: &ImageRow,
    tag: &str,
    args: &[(String, String)],
) -> Result<Duration, String> {
    let Source::Dockerfile {
        file,
        bases,
        context,
        ..
    } = &row.source
    else {
        return Err(format!("{} has no Dockerfile to build", row.name));
    };
    for base in *bases {
        if let Err(problem) = ensure_image(base).await {
            abort_run(&format!(
                "base image {problem}. On a machine with no registry, run \
                 `tools/seed-base-images`: it builds a stand-in from the Debian archive."
            ));
        }
    }
    build(&BuildRequest {
        tag,
        root: repository_root(),
        dockerfile: file,
        context,
        args,
    })
    .await
}
