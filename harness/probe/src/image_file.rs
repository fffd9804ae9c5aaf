//! One named file of an image, read as a program in its container would
//! open it: through the engine's archive endpoint on a container that is
//! never started, following symbolic links inside the image (at most
//! [`MAX_LINKS`] of them, as the kernel's path walk bounds them), never out
//! of it. For the few small files a check needs whole, such as
//! `/etc/passwd`, without exporting the whole file system.

use crate::error::ProbeError;
use crate::filesystem::Unstarted;
use futures::StreamExt;
use std::io::Read;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::query_parameters::DownloadFromContainerOptionsBuilder;

/// Links followed before the path is taken to loop, as Linux's `MAXSYMLINKS`.
pub const MAX_LINKS: usize = 40;

/// Bytes of an archive read beyond the file's own bound: its headers, a
/// PAX record's long name.
const ARCHIVE_OVERHEAD: usize = 64 * 1024;

/// What one entry of the archive the engine sent was.
enum Found {
    File(Vec<u8>),
    Link(String),
    Other,
}

impl Unstarted {
    /// The bytes of the file at `path` (absolute), following links inside
    /// the image; `None` where no file is there. A file over `max_bytes` is
    /// a [`ProbeError::Bound`].
    pub async fn read_file(
        &self,
        path: &str,
        max_bytes: usize,
    ) -> Result<Option<Vec<u8>>, ProbeError> {
        let mut current = normalised(path);
        for _ in 0..=MAX_LINKS {
            match self.entry_at(&current, max_bytes).await? {
                None | Some(Found::Other) => return Ok(None),
                Some(Found::File(bytes)) => return Ok(Some(bytes)),
                Some(Found::Link(target)) => current = resolved(&current, &target),
            }
        }
        Err(ProbeError::Bound {
            what: format!("{path} is behind more than {MAX_LINKS} links"),
            bound: format!("{MAX_LINKS} links"),
        })
    }

    async fn entry_at(&self, path: &str, max_bytes: usize) -> Result<Option<Found>, ProbeError> {
        let options = DownloadFromContainerOptionsBuilder::new()
            .path(path)
            .build();
        let mut stream = self.docker.download_from_container(&self.id, Some(options));
        let bound = max_bytes + ARCHIVE_OVERHEAD;
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(BollardError::DockerResponseServerError {
                    status_code: 404, ..
                }) => {
                    return Ok(None);
                }
                Err(error) => {
                    return Err(ProbeError::engine(
                        format!("read {path} of the image"),
                        error,
                    ));
                }
            };
            archive.extend_from_slice(&chunk);
            if archive.len() > bound {
                return Err(ProbeError::Bound {
                    what: format!("{path} is larger than {max_bytes} bytes"),
                    bound: format!("{max_bytes} bytes"),
                });
            }
        }
        first_entry(&archive, path, max_bytes).map(Some)
    }
}

/// The first entry of a tar archive.
fn first_entry(archive: &[u8], path: &str, max_bytes: usize) -> Result<Found, ProbeError> {
    let unreadable =
        |reason: String| ProbeError::unreadable(format!("the archive of {path}"), reason);
    let mut entries = tar::Archive::new(archive);
    let mut entries = entries.entries().map_err(|e| unreadable(e.to_string()))?;
    let Some(entry) = entries.next() else {
        return Err(unreadable("it holds no entry".to_owned()));
    };
    let mut entry = entry.map_err(|e| unreadable(e.to_string()))?;
    let kind = entry.header().entry_type();
    if kind.is_symlink() {
        let target = entry
            .link_name()
            .map_err(|e| unreadable(e.to_string()))?
            .map(|target| target.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(Found::Link(target));
    }
    if !kind.is_file() {
        return Ok(Found::Other);
    }
    let mut bytes = Vec::new();
    (&mut entry)
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() > max_bytes {
        return Err(ProbeError::Bound {
            what: format!("{path} is larger than {max_bytes} bytes"),
            bound: format!("{max_bytes} bytes"),
        });
    }
    Ok(Found::File(bytes))
}

/// Where a link at `path` to `target` leads, inside the image: relative to
/// the link's directory, `..` stopping at `/`.
pub fn resolved(path: &str, target: &str) -> String {
    if target.starts_with('/') {
        return normalised(target);
    }
    let directory = path.rsplit_once('/').map_or("", |(directory, _)| directory);
    normalised(&format!("{directory}/{target}"))
}

/// `path` made absolute, without `.`, `..` past `/`, or repeated slashes.
fn normalised(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_leads_inside_the_image_and_never_above_its_root() {
        assert_eq!(resolved("/etc/passwd", "passwd.real"), "/etc/passwd.real");
        assert_eq!(
            resolved("/etc/passwd", "../usr/lib/passwd"),
            "/usr/lib/passwd"
        );
        assert_eq!(
            resolved("/etc/passwd", "../../../../host/passwd"),
            "/host/passwd"
        );
        assert_eq!(resolved("/etc/passwd", "/proc/self/../x"), "/proc/x");
    }
}
