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
use testcontainers::bollard::errors::Error as BollardError;
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
                    Some(Err(error)) => return Err(failed(trace.explain(&said_mid_build(&error)))),
                },
                _ = ticks.tick() => progress.report(),
            }
        }
        Ok(progress.finish())
    }
}

/// What a build stream's error says: cut on its way (the engine killed or
/// restarting mid-build), the client's words alone ("error reading a body
/// from connection") do not say that the engine went away, so this does.
fn said_mid_build(error: &BollardError) -> String {
    if crate::error::is_transport(error) {
        format!(
            "the engine at {} stopped answering mid-build ({error})",
            crate::engine::address()
        )
    } else {
        error.to_string()
    }
}

/// The listed paths as a tar archive, as the engine's build endpoint takes them.
fn context_tar(request: &BuildRequest<'_>) -> Result<Vec<u8>, String> {
    context_tar_within(request, MAX_CONTEXT_BYTES)
}

/// [`context_tar`], refused past `bound` bytes.
fn context_tar_within(request: &BuildRequest<'_>, bound: usize) -> Result<Vec<u8>, String> {
    let mut archive = tar::Builder::new(BoundedContext {
        bytes: Vec::new(),
        bound,
    });
    // A link is sent as a link: followed, one to /etc/shadow put the host's
    // file into the image (2026-12-03).
    archive.follow_symlinks(false);
    // A sparse file as a plain one: Docker refuses GNU sparse entries
    // ("unhandled tar header type 83").
    archive.sparse(false);
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
        .map(|bounded| bounded.bytes)
        .map_err(|error| format!("cannot write the context: {error}"))
}

/// The most bytes a build context may take: it is held in memory to be
/// sent (a 1 GB file took 3.17 GB, 2026-12-03). A larger one: list fewer
/// paths in `context`, or build the image apart and give it by reference.
pub const MAX_CONTEXT_BYTES: usize = 256 * 1024 * 1024;

/// A context being written, refused past its bound.
struct BoundedContext {
    bytes: Vec<u8>,
    bound: usize,
}

impl std::io::Write for BoundedContext {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + bytes.len() > self.bound {
            return Err(std::io::Error::other(format!(
                "the context is larger than {} bytes, the harness's bound: list \
                 fewer paths in the row's context, or build the image apart and give it by \
                 reference",
                self.bound
            )));
        }
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

/// Hashes `path` under `root`: a file's path and bytes, a directory's
/// entries in name order, a link's target (never followed, as the context
/// does not follow it), a file read in chunks.
fn hash_tree(hasher: &mut impl Hasher, root: &Path, path: &Path) -> std::io::Result<()> {
    let source = root.join(path);
    path.hash(hasher);
    let kind = std::fs::symlink_metadata(&source)?.file_type();
    if kind.is_symlink() {
        std::fs::read_link(&source)?.hash(hasher);
    } else if kind.is_dir() {
        let mut entries = std::fs::read_dir(&source)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort();
        for name in entries {
            hash_tree(hasher, root, &path.join(name))?;
        }
    } else {
        let mut file = std::fs::File::open(&source)?;
        let mut chunk = vec![0; 64 * 1024];
        loop {
            let read = std::io::Read::read(&mut file, &mut chunk)?;
            if read == 0 {
                break;
            }
            hasher.write(&chunk[..read]);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temporary one.
    fn scratch_directory(name: &str) -> std::path::PathBuf {
        let directory =
            std::env::temp_dir().join(format!("image-probe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("a temporary directory");
        directory
    }

    fn request<'a>(root: &'a Path, context: &'a [&'a str]) -> BuildRequest<'a> {
        BuildRequest {
            tag: "image:1",
            root,
            dockerfile: "Dockerfile",
            target: None,
            context,
            args: &[],
        }
    }

    #[test]
    fn a_link_in_the_context_is_sent_as_a_link_never_its_target() {
        let root = scratch_directory("link");
        std::fs::write(root.join("Dockerfile"), "FROM scratch\n").expect("written");
        std::os::unix::fs::symlink("/etc/hostname", root.join("leak")).expect("linked");
        let context = context_tar(&request(&root, &["leak"])).expect("a context");
        let mut archive = tar::Archive::new(&context[..]);
        let leak = archive
            .entries()
            .expect("entries")
            .filter_map(Result::ok)
            .find(|entry| entry.path().is_ok_and(|path| path == Path::new("leak")))
            .expect("the link is in the context");
        assert_eq!(leak.header().entry_type(), tar::EntryType::Symlink);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_sparse_file_is_sent_plain_and_a_context_past_its_bound_is_refused() {
        let root = scratch_directory("sparse");
        std::fs::write(root.join("Dockerfile"), "FROM scratch\n").expect("written");
        let sparse = std::fs::File::create(root.join("sparse")).expect("created");
        sparse.set_len(2 * 1024 * 1024).expect("a 2 MiB hole");
        let context =
            context_tar_within(&request(&root, &["sparse"]), 4 * 1024 * 1024).expect("a context");
        let mut archive = tar::Archive::new(&context[..]);
        let kinds: Vec<tar::EntryType> = archive
            .entries()
            .expect("entries")
            .filter_map(Result::ok)
            .map(|entry| entry.header().entry_type())
            .collect();
        assert_eq!(kinds, vec![tar::EntryType::Regular; 2]);
        let refused = context_tar_within(&request(&root, &["sparse"]), 1024 * 1024);
        assert!(
            refused
                .as_ref()
                .is_err_and(|said| said.contains("the context is larger than 1048576 bytes")),
            "{refused:?}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
