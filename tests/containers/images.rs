//! The three images, each built once per run from the repository's own
//! Dockerfile by testcontainers (BuildKit, through the API), all three started
//! together on first use so that they build concurrently.

use crate::engine::{engine_address, ensure_base_image};
use crate::report;
use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;
use std::time::Instant;
use testcontainers::GenericBuildableImage;
use testcontainers::core::BuildImageOptions;
use testcontainers::runners::AsyncBuilder;
use tokio::sync::OnceCell;

/// The repository the suite tags its images in.
pub const REPOSITORY: &str = "calc";

/// What the build context holds. testcontainers ignores `.dockerignore`, so
/// the context is listed, never the repository root with its `target/`.
const BUILD_CONTEXT: &[&str] = &["Cargo.toml", "Cargo.lock", "src"];

/// How many lines of a failed build's output a failure shows.
const BUILD_LOG_TAIL_LINES: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Image {
    /// `Dockerfile`: /calc alone, FROM scratch.
    Scratch,
    /// `Dockerfile.nonroot`: /calc on distroless static, as nonroot.
    Nonroot,
    /// `Dockerfile.bloated`: the single-stage "before", the negative control.
    Bloated,
}

impl Image {
    pub const ALL: [Image; 3] = [Image::Scratch, Image::Nonroot, Image::Bloated];

    pub fn dockerfile(self) -> &'static str {
        match self {
            Image::Scratch => "Dockerfile",
            Image::Nonroot => "Dockerfile.nonroot",
            Image::Bloated => "Dockerfile.bloated",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Image::Scratch => "scratch",
            Image::Nonroot => "nonroot",
            Image::Bloated => "bloated",
        }
    }

    /// `calc:<tag>`.
    pub fn reference(self) -> String {
        format!("{REPOSITORY}:{}", self.tag())
    }

    /// The images its Dockerfile starts FROM.
    pub fn base_images(self) -> &'static [&'static str] {
        match self {
            Image::Scratch => &["debian:bookworm-slim"],
            Image::Nonroot => &[
                "debian:bookworm-slim",
                "gcr.io/distroless/static-debian12:nonroot",
            ],
            Image::Bloated => &["debian:bookworm"],
        }
    }

    /// The position in [`Image::ALL`], for per-image tables.
    pub fn index(self) -> usize {
        match self {
            Image::Scratch => 0,
            Image::Nonroot => 1,
            Image::Bloated => 2,
        }
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference())
    }
}

static BUILT: [OnceCell<Result<(), String>>; 3] = [
    OnceCell::const_new(),
    OnceCell::const_new(),
    OnceCell::const_new(),
];
static START_ALL: Once = Once::new();

/// Waits until `image` is built (building all three on the first call);
/// panics with the failing step's output if its build failed.
pub async fn built(image: Image) {
    START_ALL.call_once(|| {
        for other in Image::ALL {
            tokio::spawn(async move {
                let _ = BUILT[other.index()].get_or_init(|| build_once(other)).await;
            });
        }
    });
    if let Err(message) = BUILT[image.index()].get_or_init(|| build_once(image)).await {
        panic!("{message}");
    }
}

async fn build_once(image: Image) -> Result<(), String> {
    for base in image.base_images() {
        ensure_base_image(base).await;
    }
    let started = Instant::now();
    build(image, image.tag(), None).await?;
    report::record_build_time(image, started.elapsed());
    Ok(())
}

/// Builds `image`'s Dockerfile as `calc:<tag>`, with `REBUILD=<value>` if given.
pub async fn build(image: Image, tag: &str, rebuild: Option<&str>) -> Result<(), String> {
    let root = repository_root();
    let mut buildable =
        GenericBuildableImage::new(REPOSITORY, tag).with_dockerfile(root.join(image.dockerfile()));
    for path in BUILD_CONTEXT {
        buildable = buildable.with_file(root.join(path), *path);
    }
    let mut options = BuildImageOptions::new();
    if let Some(value) = rebuild {
        options = options.with_build_arg("REBUILD", value);
    }
    match buildable.build_image_with(options).await {
        Ok(_) => Ok(()),
        Err(error) => Err(format!(
            "building {REPOSITORY}:{tag} from {} failed: {error}\n{}",
            image.dockerfile(),
            failed_build_output(image)
        )),
    }
}

/// The repository, where the Dockerfiles are.
pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// testcontainers reports a failed BuildKit build as "exit code: 1" and logs
/// none of it; the classic builder of the docker CLI prints every step, so the
/// build is run again with it and the tail of its output shown.
fn failed_build_output(image: Image) -> String {
    let output = Command::new("docker")
        // --force-rm: the failed step's container is removed too.
        .args(["build", "--force-rm", "--file", image.dockerfile(), "--tag"])
        .arg(format!("{REPOSITORY}:{}-failed-build", image.tag()))
        .arg(".")
        .current_dir(repository_root())
        .output();
    match output {
        Ok(output) => {
            let log = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(BUILD_LOG_TAIL_LINES)..];
            format!(
                "`docker build -f {} .` (classic builder, engine at {}) ends with:\n{}",
                image.dockerfile(),
                engine_address(),
                tail.join("\n")
            )
        }
        Err(error) => format!(
            "(the docker CLI, run to show the failing step, could not start: {error}; \
             run `docker build -f {} .` to see it)",
            image.dockerfile()
        ),
    }
}
