//! What is inside an image, seen from outside with no shell needed: the file
//! system of a container that is created and never started, through
//! `docker export`, each regular file's bytes read for what it is.

use crate::capabilities::{CAPABILITY_RECORD, FileCapabilities};
use crate::cleanup::OnDrop;
use crate::deadline::{self, abandonable_reader, within};
use crate::engine::Engine;
use crate::error::ProbeError;
use crate::inventory::{Classifier, Content, Identified, Reading};
use crate::run::remove_on_drop;
use bytes::Bytes;
use futures::Stream;
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
}

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
    docker: Docker,
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
        self.entries_within(enough, MAX_LISTED_ENTRIES).await
    }

    /// [`Unstarted::entries_until`], at most `max_entries` of them, within
    /// [`deadline::IMAGE_READING`].
    pub async fn entries_within(
        &self,
        enough: impl FnMut(&Entry) -> bool + Send + 'static,
        max_entries: usize,
    ) -> Result<Listing, ProbeError> {
        let stream = self.docker.export_container(&self.id);
        within(
            deadline::IMAGE_READING,
            "reading its file system (docker export)",
            read_tar(stream, enough, max_entries),
        )
        .await
    }
}

/// Entries of a file system, and whether they are all of them.
pub struct Listing {
    pub entries: Vec<Entry>,
    pub complete: bool,
}

/// The capabilities an entry's PAX records give it, if any.
fn capabilities_of<R: std::io::Read>(
    entry: &mut tar::Entry<'_, R>,
) -> std::io::Result<Option<FileCapabilities>> {
    let Some(records) = entry.pax_extensions()? else {
        return Ok(None);
    };
    for record in records {
        let record = record?;
        if record.key_bytes() == CAPABILITY_RECORD.as_bytes() {
            return Ok(FileCapabilities::parse(record.value_bytes()).filter(FileCapabilities::any));
        }
    }
    Ok(None)
}

async fn read_tar(
    stream: impl Stream<Item = Result<Bytes, BollardError>> + Send + 'static,
    enough: impl FnMut(&Entry) -> bool + Send + 'static,
    max_entries: usize,
) -> Result<Listing, ProbeError> {
    // Reads the tar as it streams: an image can be gigabytes.
    let (reader, _reading) = abandonable_reader(stream);
    let listed = tokio::task::spawn_blocking(move || list_tar(reader, enough, max_entries)).await;
    listed.map_err(|e| ProbeError::unreadable("a container's export", e))?
}

fn list_tar(
    reader: impl std::io::Read,
    mut enough: impl FnMut(&Entry) -> bool,
    max_entries: usize,
) -> Result<Listing, ProbeError> {
    let unreadable = |e: &dyn std::fmt::Display| ProbeError::unreadable("a container's export", e);
    let classifier = Classifier::new().map_err(|e| unreadable(&e))?;
    let mut archive = tar::Archive::new(reader);
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(|e| unreadable(&e))? {
        if entries.len() >= max_entries {
            return Err(ProbeError::Bound {
                what: format!("its file system holds more than {max_entries} entries"),
                bound: format!("{max_entries} entries"),
            });
        }
        let mut entry = entry.map_err(|e| unreadable(&e))?;
        let header = entry.header().clone();
        let kind = match header.entry_type() {
            tar::EntryType::Regular => Kind::File,
            tar::EntryType::Directory => Kind::Directory,
            tar::EntryType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let path = entry.path().map_err(|e| unreadable(&e))?;
        let path = path
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        let capabilities = capabilities_of(&mut entry).map_err(|e| unreadable(&e))?;
        let reading = match kind {
            Kind::File => Some(classifier.read(&mut entry).map_err(|e| unreadable(&e))?),
            _ => None,
        };
        let entry = Entry {
            path,
            kind,
            mode: header.mode().map_err(|e| unreadable(&e))?,
            reading,
            capabilities,
        };
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
