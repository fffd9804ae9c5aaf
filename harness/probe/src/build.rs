//! A Dockerfile to an image, with BuildKit through the engine's API (as
//! testcontainers builds), watched step by step: the progress goes to the
//! terminal, and a failed build names its failing step with that step's output.
//! testcontainers' own build reports a failure only as "exit code: 1".

use crate::deadline::{self, within};
use crate::engine::Engine;
use crate::error::ProbeError;
use crate::progress::{BuildProgress, REPORT_INTERVAL};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use testcontainers::bollard::body_full;
use testcontainers::bollard::moby::buildkit::v1::StatusResponse;
use testcontainers::bollard::models::BuildInfoAux;
use testcontainers::bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion};

/// How many lines of the failing step's output a failure shows.
const FAILED_STEP_TAIL_LINES: usize = 40;

/// What to build and how.
pub struct BuildRequest<'a> {
    /// The tag the image gets, such as `calc:scratch`.
    pub tag: &'a str,
    /// The directory the context's paths are relative to.
    pub root: &'a Path,
    pub dockerfile: &'a str,
    /// The stage to build (`--target`); the Dockerfile's last stage if `None`.
    pub target: Option<&'a str>,
    /// What the build context holds. The engine's API ignores `.dockerignore`,
    /// so the context is listed, never a whole directory with its `target/`.
    pub context: &'a [&'a str],
    pub args: &'a [(String, String)],
}

impl BuildRequest<'_> {
    /// What the build sends: the Dockerfile, then the context's paths.
    fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.dockerfile).chain(self.context.iter().copied())
    }
}

impl Engine {
    /// Builds the image and returns how long it took.
    pub async fn build(&self, request: &BuildRequest<'_>) -> Result<Duration, ProbeError> {
        let doing = format!("building {} from {}", request.tag, request.dockerfile);
        within(deadline::BUILD, &doing, self.build_unbounded(request)).await
    }

    async fn build_unbounded(&self, request: &BuildRequest<'_>) -> Result<Duration, ProbeError> {
        let failed = |explanation: String| ProbeError::Build {
            tag: request.tag.to_owned(),
            dockerfile: request.dockerfile.to_owned(),
            explanation,
        };
        let context = context_tar(request).map_err(&failed)?;
        let args: HashMap<&str, &str> = request
            .args
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let options = BuildImageOptionsBuilder::new()
            .dockerfile(request.dockerfile)
            .target(request.target.unwrap_or_default())
            .t(request.tag)
            .rm(true)
            .forcerm(true)
            .buildargs(&args)
            .version(BuilderVersion::BuilderBuildKit)
            .session(&session_id())
            .build();
        let mut stream = self
            .docker()
            .build_image(options, None, Some(body_full(context.into())));
        let mut progress = BuildProgress::start(request.tag);
        let mut trace = Trace::default();
        let mut ticks = tokio::time::interval_at(
            tokio::time::Instant::now() + REPORT_INTERVAL,
            REPORT_INTERVAL,
        );
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    None => break,
                    Some(Ok(info)) => {
                        if let Some(BuildInfoAux::BuildKit(status)) = info.aux {
                            trace.absorb(status);
                            progress.step(trace.current_step());
                        }
                        if let Some(detail) = info.error_detail {
                            let message = detail.message.unwrap_or_default();
                            return Err(failed(trace.explain(&message)));
                        }
                    }
                    Some(Err(error)) => return Err(failed(trace.explain(&error.to_string()))),
                },
                _ = ticks.tick() => progress.report(),
            }
        }
        Ok(progress.finish())
    }
}

/// The listed paths as a tar archive, as the engine's build endpoint takes them.
fn context_tar(request: &BuildRequest<'_>) -> Result<Vec<u8>, String> {
    let mut archive = tar::Builder::new(Vec::new());
    for path in request.paths() {
        let source = request.root.join(path);
        let added = if source.is_dir() {
            archive.append_dir_all(path, &source)
        } else {
            archive.append_path_with_name(&source, path)
        };
        added
            .map_err(|error| format!("cannot add {} to the context: {error}", source.display()))?;
    }
    archive
        .into_inner()
        .map_err(|error| format!("cannot write the context: {error}"))
}

/// A digest of what the build reads: the Dockerfile, the context's paths
/// and the bytes of every file in it (never mtimes), the target and the
/// build arguments. Equal digests mean BuildKit would be given the same.
pub fn inputs_digest(request: &BuildRequest<'_>) -> Result<u64, ProbeError> {
    let mut hasher = std::hash::DefaultHasher::new();
    for path in request.paths() {
        hash_tree(&mut hasher, request.root, Path::new(path)).map_err(|error| {
            ProbeError::Build {
                tag: request.tag.to_owned(),
                dockerfile: request.dockerfile.to_owned(),
                explanation: format!("cannot read {path} of the context: {error}"),
            }
        })?;
    }
    (request.target, request.args).hash(&mut hasher);
    Ok(hasher.finish())
}

/// Hashes `path` under `root`: a file's path and bytes, a directory's entries in name order.
fn hash_tree(hasher: &mut impl Hasher, root: &Path, path: &Path) -> std::io::Result<()> {
    let source = root.join(path);
    path.hash(hasher);
    if source.is_dir() {
        let mut entries = std::fs::read_dir(&source)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort();
        for name in entries {
            hash_tree(hasher, root, &path.join(name))?;
        }
    } else {
        std::fs::read(&source)?.hash(hasher);
    }
    Ok(())
}

/// BuildKit's session for this build; any unique name serves.
fn session_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("image-claims-{}-{nanos}", std::process::id())
}

/// What BuildKit has said of the build's steps so far.
#[derive(Default)]
struct Trace {
    /// Step names by vertex digest, and the order they started in.
    names: HashMap<String, String>,
    started: Vec<String>,
    completed: HashSet<String>,
    output: HashMap<String, Vec<u8>>,
    /// The step that failed, with BuildKit's error for it.
    failed: Option<(String, String)>,
}

impl Trace {
    fn absorb(&mut self, status: StatusResponse) {
        for vertex in status.vertexes {
            self.names.insert(vertex.digest.clone(), vertex.name);
            if vertex.started.is_some() && !self.started.contains(&vertex.digest) {
                self.started.push(vertex.digest.clone());
            }
            if vertex.completed.is_some() {
                self.completed.insert(vertex.digest.clone());
            }
            if !vertex.error.is_empty() {
                self.failed = Some((vertex.digest, vertex.error));
            }
        }
        for log in status.logs {
            self.output.entry(log.vertex).or_default().extend(log.msg);
        }
    }

    /// The latest step that started and has not completed.
    fn current_step(&self) -> &str {
        self.started
            .iter()
            .rev()
            .find(|digest| !self.completed.contains(*digest))
            .and_then(|digest| self.names.get(digest))
            .map_or("", String::as_str)
    }

    /// The engine's error, then the failing step and the tail of its output.
    fn explain(&self, error: &str) -> String {
        let Some((digest, step_error)) = &self.failed else {
            return error.to_owned();
        };
        let name = self.names.get(digest).map_or("?", String::as_str);
        let output = self
            .output
            .get(digest)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = output.lines().collect();
        let tail = &lines[lines.len().saturating_sub(FAILED_STEP_TAIL_LINES)..];
        let mut message = format!("{error}\n  step: {name}");
        if !error.contains(step_error.as_str()) {
            message.push_str(&format!("\n  error: {step_error}"));
        }
        if !tail.is_empty() {
            message.push_str(&format!("\n  its last {} lines of output:", tail.len()));
            for line in tail {
                message.push_str(&format!("\n    | {line}"));
            }
        }
        message
    }
}
