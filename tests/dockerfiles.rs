//! The Dockerfiles as text: rules that keep them buildable where no registry
//! answers, cross-compiling rather than emulating, and their images built
//! from one build stage. No Docker engine needed.

use rstest::rstest;
use std::path::Path;

/// The stages of `Dockerfile` that are images; every other stage builds.
const IMAGE_STAGES: [&str; 2] = ["nonroot", "from-scratch"];

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {name}: {error}"))
}

/// One `FROM` line: its flags, its image and its stage name.
struct Stage {
    flags: Vec<String>,
    image: String,
    name: Option<String>,
    /// The stage's instructions, up to the next `FROM`.
    body: String,
}

fn stages(dockerfile: &str) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("FROM ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let (flags, rest): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|word| word.starts_with("--"));
            stages.push(Stage {
                flags: flags.into_iter().map(str::to_owned).collect(),
                image: rest
                    .first()
                    .map_or_else(String::new, |image| (*image).to_owned()),
                name: match rest.as_slice() {
                    [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                    _ => None,
                },
                body: String::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.body.push_str(line);
            stage.body.push('\n');
        }
    }
    stages
}

/// A `# syntax=` line makes BuildKit pull a frontend image, which fails
/// where no registry answers; the built-in frontend serves every line here.
#[rstest]
fn dockerfile_needs_no_frontend_image(
    #[values("Dockerfile", "Dockerfile.bloated", "harness/claims/Dockerfile")] name: &str,
) {
    for (number, line) in read(name).lines().enumerate() {
        assert!(
            !line.trim().to_ascii_lowercase().starts_with("# syntax="),
            "{name}:{}: {line:?} makes BuildKit pull a frontend image; the built-in one must serve",
            number + 1
        );
    }
}

/// Every stage that is not an image runs on the build machine's platform,
/// so that an arm64 image is cross-compiled, never compiled under emulation.
#[test]
fn build_stages_run_on_the_build_machines_platform() {
    for stage in stages(&read("Dockerfile")) {
        let name = stage.name.clone().unwrap_or_else(|| stage.image.clone());
        if IMAGE_STAGES.contains(&name.as_str()) {
            continue;
        }
        assert!(
            stage
                .flags
                .iter()
                .any(|flag| flag == "--platform=$BUILDPLATFORM"),
            "Dockerfile: the stage {name:?} has no --platform=$BUILDPLATFORM, so an image for \
             another architecture would compile it under emulation (flags: {:?})",
            stage.flags
        );
    }
}

/// Both images take /calc from the one build stage: std is compiled once
/// for both, and both hold the same binary. The scratch image (stage
/// `from-scratch`) is the last
/// stage, the one a plain `docker build` makes.
#[test]
fn both_images_copy_calc_from_the_one_build_stage() {
    let stages = stages(&read("Dockerfile"));
    let names: Vec<&str> = stages.iter().filter_map(|s| s.name.as_deref()).collect();
    assert_eq!(
        names.last(),
        Some(&"from-scratch"),
        "Dockerfile: the last stage, which `docker build` makes, must be from-scratch; stages: {names:?}"
    );
    for image in IMAGE_STAGES {
        let stage = stages
            .iter()
            .find(|stage| stage.name.as_deref() == Some(image))
            .unwrap_or_else(|| panic!("Dockerfile has no stage {image:?}; stages: {names:?}"));
        let copies: Vec<&str> = stage
            .body
            .lines()
            .filter(|line| line.trim_start().starts_with("COPY"))
            .collect();
        assert_eq!(
            copies,
            ["COPY --from=build /calc /calc"],
            "Dockerfile: the {image} stage must add /calc from the build stage and nothing else"
        );
    }
}

/// Base images are pinned by tag, never `latest` or untagged.
#[rstest]
fn dockerfile_pins_its_base_images(
    #[values("Dockerfile", "Dockerfile.bloated", "harness/claims/Dockerfile")] name: &str,
) {
    let text = read(name);
    let declared = text.lines().filter_map(|line| {
        let line = line.trim();
        (line.starts_with("ARG ") && line.contains("_IMAGE="))
            .then(|| line.split_once('=').map(|(_, image)| image.to_owned()))
            .flatten()
    });
    let bases = stages(&text).into_iter().map(|stage| stage.image);
    for base in bases.chain(declared) {
        let pinned = base == "scratch"
            || base.starts_with("${")
            || base
                .rsplit_once(':')
                .is_some_and(|(_, tag)| tag != "latest" && !tag.contains('/'));
        assert!(pinned, "{name}: base image {base:?} is not pinned by a tag");
    }
}
