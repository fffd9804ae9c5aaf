//! What is inside an image, seen from outside with no shell needed: the file
//! system of a container that is created and never started, through
//! `docker export`, each regular file's bytes read for what it is.

use crate::capabilities::{CAPABILITY_RECORD, FileCapabilities};
use crate::cleanup::OnDrop;
use crate::deadline::{self, abandonable_reader, within};
use crate::engine::{Engine, explain_unreadable};
use crate::error::ProbeError;
use crate::inventory::{Classifier, Content, Identified, Reading};
use crate::run::remove_on_drop;
use crate::tar_stream::{EntryHeader, EntryKind, TarStream};
use bytes::Bytes;
use futures::Stream;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Read;
use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::models::ContainerCreateBody;
use testcontainers::bollard::query_parameters::CreateContainerOptions;

/// Paths Docker itself adds to every container (the init layer and mount
/// points); they say nothing about the image.
pub const DOCKER_ADDED_PATHS: &[&str] = &[
    ".dockerenv",
    "dev",
    "dev/console",
    "dev/pts",
    "dev/shm",
    "etc",
    "etc/hostname",
    "etc/hosts",
    "etc/mtab",
    "etc/resolv.conf",
    "proc",
    "sys",
];

/// The most entries a listing holds: each costs the listing about a
/// hundred bytes, and a layer can be made of millions of empty files.
/// Debian's full image holds about 24,000.
pub const MAX_LISTED_ENTRIES: usize = 1_000_000;

/// The most bytes of paths a listing holds: a path may be 4,096 bytes, so
/// that the entries' bound alone let 280,000 long paths take 1.11 GB
/// (2026-12-07). Debian's full image's paths hold about 1.3 MB.
pub const MAX_LISTED_PATH_BYTES: usize = 128 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    Other,
}

/// One entry of an exported file system; paths are relative, without `./` or a trailing `/`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub kind: Kind,
    pub mode: u32,
    /// What a regular file's bytes say it is (see `inventory.rs`).
    pub reading: Option<Reading>,
    /// Its file capabilities, if it has any.
    pub capabilities: Option<FileCapabilities>,
    /// Its owner's uid and gid, as the archive records them.
    pub uid: u64,
    pub gid: u64,
    /// For a regular file whose content was asked for: its digest, size
    /// and first bytes.
    pub content: Option<FileContent>,
}

/// A file's content, as far as a claim needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// SHA-256, as `sha256sum` prints it.
    pub sha256: String,
    pub size: u64,
    /// Its first [`MAX_KEPT_CONTENT_BYTES`] bytes.
    pub head: Vec<u8>,
}

/// The most bytes of a file's content a listing keeps: a claim on more
/// is one on its digest.
pub const MAX_KEPT_CONTENT_BYTES: usize = 1024 * 1024;

/// Any of the execute bits.
const EXECUTABLE_BITS: u32 = 0o111;

impl Entry {
    pub fn is_added_by_docker(&self) -> bool {
        DOCKER_ADDED_PATHS.contains(&self.path.as_str())
    }

    /// The known programs this file is, if it can be run: an ELF program
    /// (its loader runs it even without an execute bit), or any file with
    /// one. A library that holds an interpreter runs nothing by itself.
    pub fn runnable_programs(&self) -> &[Identified] {
        let Some(reading) = &self.reading else {
            return &[];
        };
        let program = matches!(&reading.content, Content::Elf(elf) if elf.program);
        if program || self.is_executable() {
            &reading.identified
        } else {
            &[]
        }
    }

    /// Whether a process could be made of it, whatever its name: an ELF
    /// file or a script with an execute bit, or an ELF program its loader
    /// runs whatever its mode.
    pub fn could_run(&self) -> bool {
        let Some(reading) = &self.reading else {
            return false;
        };
        match &reading.content {
            Content::Elf(elf) => self.is_executable() || (elf.program && elf.loader.is_some()),
            Content::Script(_) => self.is_executable(),
            Content::Other => false,
        }
    }

    /// Whether any of its execute bits is set.
    pub fn is_executable(&self) -> bool {
        self.mode & EXECUTABLE_BITS != 0
    }

    /// The loader an ELF program names, which runs it whatever its mode.
    pub fn loader(&self) -> Option<&str> {
        match &self.reading.as_ref()?.content {
            Content::Elf(elf) => elf.loader.as_deref(),
            _ => None,
        }
    }
}

/// A container of the image that is created and never started: its file
/// system is the image's, plus what Docker adds. Removed when dropped.
pub struct Unstarted {
    pub id: String,
    pub(crate) docker: Docker,
    _removal: OnDrop,
}

impl Engine {
    pub async fn unstarted(&self, image: &str) -> Result<Unstarted, ProbeError> {
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            labels: Some(self.labels()),
            // Never run; an image with no entrypoint or command cannot be created without one.
            cmd: Some(vec!["never-started".to_owned()]),
            ..ContainerCreateBody::default()
        };
        let created = self
            .docker()
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(|e| ProbeError::engine(format!("create a container of {image}"), e))?;
        Ok(Unstarted {
            _removal: remove_on_drop(self.docker(), &created.id),
            docker: self.docker().clone(),
            id: created.id,
        })
    }
}

impl Unstarted {
    /// The entries of the file system (`docker export`), read in the order
    /// the engine writes them until `enough` says the last one settles what
    /// the reader wanted to know. Stopping early spares reading gigabytes.
    pub async fn entries_until(
        &self,
        enough: impl FnMut(&Entry) -> bool + Send + 'static,
    ) -> Result<Listing, ProbeError> {
        self.entries_within(enough, BTreeSet::new(), MAX_LISTED_ENTRIES)
            .await
    }

    /// [`Unstarted::entries_until`], with the content of each regular file
    /// at the paths of `contents_of` (absolute, as `/etc/passwd`), at most
    /// `max_entries` of them, within [`deadline::IMAGE_READING`].
    pub async fn entries_within(
        &self,
        enough: impl FnMut(&Entry) -> bool + Send + 'static,
        contents_of: BTreeSet<String>,
        max_entries: usize,
    ) -> Result<Listing, ProbeError> {
        let stream = self.docker.export_container(&self.id);
        let kept = Kept {
            contents_of,
            max_entries,
            max_path_bytes: MAX_LISTED_PATH_BYTES,
        };
        let wanted = kept.contents_of.clone();
        let reading = async {
            let read = read_tar(stream, enough, kept).await;
            let mut listing =
                explain_unreadable(&self.docker, "read a container's export", read).await?;
            self.read_linked_contents(&mut listing, &wanted).await?;
            Ok(listing)
        };
        within(
            deadline::IMAGE_READING,
            "reading its file system (docker export)",
            reading,
        )
        .await
    }
}

/// The most bytes of a hard link's file read again for its content: the
/// export gave the file's bytes under its first name, before the second
/// name was known to be wanted.
const MAX_LINKED_CONTENT_BYTES: usize = 64 * 1024 * 1024;

impl Unstarted {
    /// The content of each wanted file the export gave under another name
    /// first (a hard link's second name), read again by its own name.
    async fn read_linked_contents(
        &self,
        listing: &mut Listing,
        wanted: &BTreeSet<String>,
    ) -> Result<(), ProbeError> {
        for entry in &mut listing.entries {
            let path = format!("/{}", entry.path);
            if entry.kind != Kind::File || entry.content.is_some() || !wanted.contains(&path) {
                continue;
            }
            if let Some(bytes) = self.read_file(&path, MAX_LINKED_CONTENT_BYTES).await? {
                let digesting = Digesting::new(bytes.as_slice());
                entry.content = Some(
                    digesting
                        .finish()
                        .map_err(|e| ProbeError::unreadable(format!("{path} of the image"), e))?,
                );
            }
        }
        Ok(())
    }
}

/// Entries of a file system, and whether they are all of them.
pub struct Listing {
    pub entries: Vec<Entry>,
    pub complete: bool,
}

/// The capabilities an entry's PAX records give it, if any.
fn capabilities_of(header: &EntryHeader) -> Option<FileCapabilities> {
    header
        .extended
        .record(CAPABILITY_RECORD)
        .and_then(FileCapabilities::parse)
        .filter(FileCapabilities::any)
}

/// A path of an export as listings name it: relative, without `./` or a
/// trailing `/`.
fn listed_path(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_owned()
}

/// The entries of an export read from any reader, as
/// [`Unstarted::entries_within`] reads the engine's stream: at most
/// `max_entries`, keeping the content of the files at `contents_of`. The
/// fuzz target `export` reads hostile archives through it.
pub fn entries_of_export(
    reader: impl std::io::Read,
    contents_of: BTreeSet<String>,
    max_entries: usize,
) -> Result<Listing, ProbeError> {
    let kept = Kept {
        contents_of,
        max_entries,
        max_path_bytes: MAX_LISTED_PATH_BYTES,
    };
    list_tar(reader, |_| false, &kept)
}

/// What a read of an export keeps besides each entry's header.
struct Kept {
    /// The paths whose content is kept.
    contents_of: BTreeSet<String>,
    max_entries: usize,
    max_path_bytes: usize,
}

async fn read_tar(
    stream: impl Stream<Item = Result<Bytes, BollardError>> + Send + 'static,
    enough: impl FnMut(&Entry) -> bool + Send + 'static,
    kept: Kept,
) -> Result<Listing, ProbeError> {
    // Reads the tar as it streams: an image can be gigabytes.
    let (reader, _reading) = abandonable_reader(stream);
    let listed = tokio::task::spawn_blocking(move || list_tar(reader, enough, &kept)).await;
    listed.map_err(|e| ProbeError::unreadable("a container's export", e))?
}

/// A reader that digests what passes through it and keeps its first bytes.
struct Digesting<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let bytes = &buf[..read];
        self.hasher.update(bytes);
        self.size += read as u64;
        let room = MAX_KEPT_CONTENT_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(read)]);
        Ok(read)
    }
}

impl<R: Read> Digesting<R> {
    fn new(inner: R) -> Self {
        Digesting {
            inner,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
        }
    }

    /// Reads what the classifier left, and gives the whole file's content.
    fn finish(mut self) -> std::io::Result<FileContent> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        let digest = self.hasher.finalize();
        Ok(FileContent {
            sha256: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
            size: self.size,
            head: self.head,
        })
    }
}

fn list_tar(
    reader: impl std::io::Read,
    mut enough: impl FnMut(&Entry) -> bool,
    kept: &Kept,
) -> Result<Listing, ProbeError> {
    let max_entries = kept.max_entries;
    let unreadable = |e: &dyn std::fmt::Display| ProbeError::unreadable("a container's export", e);
    let classifier = Classifier::new().map_err(|e| unreadable(&e))?;
    let mut archive = TarStream::new(reader);
    let mut path_bytes = 0;
    let mut entries: Vec<Entry> = Vec::new();
    // Where each regular file is among `entries`, for the hard links to it.
    let mut files: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    while let Some(header) = archive.next_entry().map_err(|e| unreadable(&e))? {
        if entries.len() >= max_entries {
            return Err(ProbeError::Bound {
                what: format!("its file system holds more than {max_entries} entries"),
                bound: format!("{max_entries} entries"),
            });
        }
        let kind = match header.kind {
            EntryKind::File => Kind::File,
            EntryKind::Directory => Kind::Directory,
            EntryKind::Symlink => Kind::Symlink,
            EntryKind::HardLink | EntryKind::Other => Kind::Other,
        };
        let path = listed_path(&header.path);
        path_bytes += path.len();
        if path_bytes > kept.max_path_bytes {
            return Err(ProbeError::Bound {
                what: format!(
                    "its file system's paths hold more than {} bytes",
                    kept.max_path_bytes
                ),
                bound: format!("{} bytes of paths", kept.max_path_bytes),
            });
        }
        if header.kind == EntryKind::HardLink {
            // A second name of a file met earlier: the same file, under this name.
            if let Some(&index) = files.get(&listed_path(&header.link)) {
                let linked = Entry {
                    path,
                    ..entries[index].clone()
                };
                let stop = enough(&linked);
                entries.push(linked);
                if stop {
                    return Ok(Listing {
                        entries,
                        complete: false,
                    });
                }
                continue;
            }
        }
        let capabilities = capabilities_of(&header);
        let wanted = kind == Kind::File && kept.contents_of.contains(&format!("/{path}"));
        let (read, content) = match kind {
            Kind::File if wanted => {
                let mut digesting = Digesting::new(&mut archive);
                let read = classifier
                    .read(&mut digesting)
                    .map_err(|e| unreadable(&e))?;
                let content = digesting.finish().map_err(|e| unreadable(&e))?;
                (Some(read), Some(content))
            }
            Kind::File => (
                Some(classifier.read(&mut archive).map_err(|e| unreadable(&e))?),
                None,
            ),
            _ => (None, None),
        };
        let entry = Entry {
            path,
            kind,
            mode: header.mode,
            reading: read,
            capabilities,
            uid: header.uid,
            gid: header.gid,
            content,
        };
        if entry.kind == Kind::File {
            files.insert(entry.path.clone(), entries.len());
        }
        let stop = enough(&entry);
        entries.push(entry);
        if stop {
            return Ok(Listing {
                entries,
                complete: false,
            });
        }
    }
    Ok(Listing {
        entries,
        complete: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export of one file, `/bin/a`, and a hard link to it, `/bin/b`.
    fn linked_export() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut file = tar::Header::new_gnu();
        file.set_size(5);
        file.set_mode(0o755);
        file.set_entry_type(tar::EntryType::Regular);
        file.set_uid(0);
        file.set_gid(0);
        builder
            .append_data(&mut file, "bin/a", &b"hello"[..])
            .expect("a file");
        let mut link = tar::Header::new_gnu();
        link.set_size(0);
        link.set_mode(0o755);
        link.set_entry_type(tar::EntryType::Link);
        link.set_uid(0);
        link.set_gid(0);
        builder
            .append_link(&mut link, "bin/b", "bin/a")
            .expect("a link");
        builder.into_inner().expect("an archive")
    }

    #[test]
    fn a_hard_links_second_name_is_the_file_it_names() {
        let contents_of = BTreeSet::from(["/bin/a".to_owned()]);
        let kept = Kept {
            contents_of,
            max_entries: MAX_LISTED_ENTRIES,
            max_path_bytes: MAX_LISTED_PATH_BYTES,
        };
        let listing = list_tar(linked_export().as_slice(), |_| false, &kept).expect("a listing");
        let second = &listing.entries[1];
        assert_eq!((second.path.as_str(), second.kind), ("bin/b", Kind::File));
        assert_eq!(second.mode, 0o755);
        assert_eq!(second.content.as_ref().map(|content| content.size), Some(5));
    }

    #[test]
    fn a_listing_ends_at_its_bound_of_path_bytes() {
        let kept = Kept {
            contents_of: BTreeSet::new(),
            max_entries: MAX_LISTED_ENTRIES,
            max_path_bytes: 6,
        };
        let error = list_tar(linked_export().as_slice(), |_| false, &kept)
            .err()
            .expect("two paths of 5 bytes pass a bound of 6");
        assert!(
            error.to_string().contains("paths hold more than 6 bytes"),
            "{error}"
        );
    }
}
