//! The Dockerfiles as text: rules that keep them buildable everywhere and
//! their shared build stage single-sourced. No Docker engine needed.

use rstest::rstest;
use std::path::Path;

const BUILD_STAGE_START: &str = "# ---- build:";
const BUILD_STAGE_END: &str = "# ---- the image";

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {name}: {error}"))
}

/// The text from the build stage's opening comment to the final stage's.
fn build_stage(dockerfile: &str) -> Option<&str> {
    let start = dockerfile.find(BUILD_STAGE_START)?;
    let end = dockerfile[start..].find(BUILD_STAGE_END)? + start;
    Some(&dockerfile[start..end])
}

#[test]
fn nonroot_build_stage_is_the_scratch_build_stage() {
    let (scratch, nonroot) = (read("Dockerfile"), read("Dockerfile.nonroot"));
    let scratch_stage = build_stage(&scratch).expect("Dockerfile has a marked build stage");
    let nonroot_stage = build_stage(&nonroot).expect("Dockerfile.nonroot has a marked build stage");
    assert!(
        scratch_stage == nonroot_stage,
        "the build stages of Dockerfile and Dockerfile.nonroot differ: copy Dockerfile's \
         stage (from {BUILD_STAGE_START:?} to {BUILD_STAGE_END:?}) into Dockerfile.nonroot"
    );
}

/// The classic builder (the docker CLI without buildx) must build every file:
/// no `# syntax=` line (it pulls a frontend image), no `RUN --mount`, no `COPY --chmod`.
#[rstest]
fn dockerfile_builds_with_the_classic_builder(
    #[values("Dockerfile", "Dockerfile.nonroot", "Dockerfile.bloated")] name: &str,
) {
    for (number, line) in read(name).lines().enumerate() {
        let line = line.trim();
        let forbidden = line.to_ascii_lowercase().starts_with("# syntax=")
            || (line.starts_with("RUN") && line.contains("--mount"))
            || ((line.starts_with("COPY") || line.starts_with("ADD")) && line.contains("--chmod"));
        assert!(!forbidden, "{name}:{}: {line:?} needs BuildKit", number + 1);
    }
}

/// Base images are pinned by tag, never `latest` or untagged.
#[rstest]
fn dockerfile_pins_its_base_images(
    #[values("Dockerfile", "Dockerfile.nonroot", "Dockerfile.bloated")] name: &str,
) {
    let text = read(name);
    let bases = text.lines().filter_map(|line| {
        let line = line.trim();
        if let Some(image) = line.strip_prefix("FROM ") {
            Some(
                image
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )
        } else if line.starts_with("ARG ") && line.contains("_IMAGE=") {
            line.split_once('=').map(|(_, image)| image.to_owned())
        } else {
            None
        }
    });
    for base in bases {
        let pinned = base == "scratch"
            || base.starts_with("${")
            || base
                .rsplit_once(':')
                .is_some_and(|(_, tag)| tag != "latest" && !tag.contains('/'));
        assert!(pinned, "{name}: base image {base:?} is not pinned by a tag");
    }
}
