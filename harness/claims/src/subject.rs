//! A row made ready for checking: its image built from its Dockerfile, or
//! taken as given by reference, and pinned to the image ID the engine has
//! for it. Every check runs the image by that ID, so what is reported as
//! tested is exactly what ran, even if a tag moves during the run.

use crate::row::{Build, Row};
use image_probe::build::BuildRequest;
use image_probe::once::OncePerKey;
use image_probe::{Engine, ImageFacts, ProbeError};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The image of a row, as the engine has it.
pub struct Subject {
    pub row: Arc<Row>,
    /// How messages name it: the reference built or given, and for an image
    /// given through the environment, the row and variable it stands in for.
    pub label: String,
    /// The reference it was built as or given by.
    pub reference: String,
    pub facts: ImageFacts,
    /// Given by reference rather than built by the harness.
    pub given: bool,
    /// Of another architecture than the engine's, so run under emulation
    /// (qemu through binfmt_misc).
    pub emulated: bool,
    /// How long its build took, if the harness built it.
    pub build_time: Option<Duration>,
}

impl Subject {
    /// What to hand the engine to run this image: its ID.
    pub fn image(&self) -> &str {
        self.facts.id.as_str()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The builds of a run, by tag: rows that build the same tag (an image and
/// its negative control) share one build. Two builds exporting one name at
/// once race on the containerd image store, and the second fails: "image
/// … already exists" (Docker 28.5.2, 2026-12-01).
pub type BuildsByTag = OncePerKey<Result<Duration, Arc<ProbeError>>>;

/// Builds or finds the row's image and reads its facts.
pub async fn make_ready(
    engine: &Engine,
    builds: &BuildsByTag,
    row: Arc<Row>,
) -> Result<Subject, ProbeError> {
    let variable = row.reference_variable();
    let (reference, label, build_time) = match (row.reference_given(), &row.reference) {
        (Some(reference), _) => {
            let label = format!("{reference} (the {} row, from {variable})", row.name);
            (reference, label, None)
        }
        (None, Some(reference)) => (reference.clone(), reference.clone(), None),
        (None, None) => {
            let build = row
                .build
                .as_ref()
                .ok_or_else(|| ProbeError::missing(format!("image for the row {}", row.name)))?;
            let took = builds
                .get(&build.tag, || async {
                    build_row(engine, &row, &build.tag, &[])
                        .await
                        .map_err(Arc::new)
                })
                .await
                .map_err(ProbeError::Earlier)?;
            (build.tag.clone(), build.tag.clone(), Some(took))
        }
    };
    if build_time.is_none() {
        engine.ensure_image(&reference).await?;
    }
    let facts = engine.image_facts(&reference).await?;
    let emulated = facts.architecture != engine.facts().architecture;
    Ok(Subject {
        row,
        label,
        reference,
        facts,
        given: build_time.is_none(),
        emulated,
        build_time,
    })
}

/// Builds the row's Dockerfile as `tag`, after making its base images
/// present, with its build arguments and `extra_args`.
pub async fn build_row(
    engine: &Engine,
    row: &Row,
    tag: &str,
    extra_args: &[(String, String)],
) -> Result<Duration, ProbeError> {
    let build = dockerfile_of(row)?;
    for base in &build.bases {
        engine.ensure_image(base).await?;
    }
    let parts = RequestParts::of(build, extra_args);
    engine.build(&parts.request(build, tag)).await
}

/// A digest of all the row's build reads (see [`image_probe::build::inputs_digest`]).
pub fn build_inputs_digest(row: &Row) -> Result<u64, ProbeError> {
    let build = dockerfile_of(row)?;
    let parts = RequestParts::of(build, &[]);
    image_probe::build::inputs_digest(&parts.request(build, &build.tag))
}

fn dockerfile_of(row: &Row) -> Result<&Build, ProbeError> {
    row.build
        .as_ref()
        .ok_or_else(|| ProbeError::missing(format!("Dockerfile for the row {}", row.name)))
}

/// What a [`BuildRequest`] of a row borrows that the row does not hold as such.
struct RequestParts<'a> {
    context: Vec<&'a str>,
    root: PathBuf,
    /// The row's build arguments, then the extra ones.
    args: Vec<(String, String)>,
}

impl<'a> RequestParts<'a> {
    fn of(build: &'a Build, extra_args: &[(String, String)]) -> Self {
        let mut args: Vec<(String, String)> = build
            .args
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        args.extend(extra_args.iter().cloned());
        RequestParts {
            context: build.context.iter().map(String::as_str).collect(),
            root: build.root.clone().unwrap_or_default(),
            args,
        }
    }

    fn request<'r>(&'r self, build: &'r Build, tag: &'r str) -> BuildRequest<'r> {
        BuildRequest {
            tag,
            root: &self.root,
            dockerfile: &build.dockerfile,
            target: build.target.as_deref(),
            context: &self.context,
            args: &self.args,
        }
    }
}

/// A subject of a made-up image, for unit tests: the row `row` (TOML),
/// given by reference, of the configuration `config`.
#[cfg(test)]
pub(crate) fn made_up(row: &str, config: image_probe::ImageConfig) -> Subject {
    let row: Row = toml::from_str(row).expect("a row");
    Subject {
        row: Arc::new(row),
        label: "image:1".to_owned(),
        reference: "image:1".to_owned(),
        facts: ImageFacts {
            id: image_probe::ImageId::new("sha256:0"),
            bytes: 0,
            stored_bytes: None,
            layer_digests: vec![],
            layer_bytes: Some(vec![]),
            architecture: image_probe::Architecture::new("amd64"),
            config,
        },
        given: true,
        emulated: false,
        build_time: None,
    }
}
