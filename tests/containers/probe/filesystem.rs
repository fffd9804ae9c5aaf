//! What is inside an image and who runs in a container, seen from outside:
//! the exported file system (no shell needed), image metadata, and the
//! engine's view of a container's processes.

use crate::engine::{docker, suite_labels};
use crate::images::{Image, built};
use crate::run::RemoveOnDrop;
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::models::ContainerCreateBody;
use testcontainers::bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptionsBuilder, TopOptionsBuilder,
};
use tokio_util::io::{StreamReader, SyncIoBridge};

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
}

impl Entry {
    pub fn is_added_by_docker(&self) -> bool {
        DOCKER_ADDED_PATHS.contains(&self.path.as_str())
    }
}

/// A container of the image that is created and never started: its file
/// system is the image's, plus what Docker adds. Removed when dropped.
pub struct Unstarted {
    pub id: String,
    _removal: RemoveOnDrop,
}

pub async fn unstarted(image: Image) -> Result<Unstarted, String> {
    built(image).await;
    let body = ContainerCreateBody {
        image: Some(image.reference()),
        labels: Some(suite_labels()),
        // Never run; scratch has no default command, and create wants one.
        cmd: Some(vec!["/calc".to_owned()]),
        ..ContainerCreateBody::default()
    };
    let created = docker()
        .await
        .create_container(None::<CreateContainerOptions>, body)
        .await
        .map_err(|e| format!("cannot create a container of {image}: {e}"))?;
    Ok(Unstarted {
        _removal: RemoveOnDrop(created.id.clone()),
        id: created.id,
    })
}

impl Unstarted {
    /// Every entry of the file system (`docker export`).
    pub async fn entries(&self) -> Result<Vec<Entry>, String> {
        let stream = docker().await.export_container(&self.id);
        read_tar(stream, "").await
    }

    /// The entries under an absolute directory such as `/usr/bin` (`docker cp`).
    pub async fn entries_under(&self, directory: &str) -> Result<Vec<Entry>, String> {
        let options = DownloadFromContainerOptionsBuilder::new()
            .path(directory)
            .build();
        let stream = docker()
            .await
            .download_from_container(&self.id, Some(options));
        // The archive names entries from the directory's own name down.
        let parent = directory
            .trim_matches('/')
            .rsplit_once('/')
            .map_or("", |(parent, _)| parent);
        let prefix = if parent.is_empty() {
            String::new()
        } else {
            format!("{parent}/")
        };
        read_tar(stream, &prefix).await
    }

    /// Whether a path exists, symbolic links resolved by the engine as `docker cp` does.
    pub async fn has_path(&self, path: &str) -> Result<bool, String> {
        let options = DownloadFromContainerOptionsBuilder::new()
            .path(path)
            .build();
        let mut stream = docker()
            .await
            .download_from_container(&self.id, Some(options));
        match stream.next().await {
            Some(Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            })) => Ok(false),
            Some(Err(error)) => Err(format!("cannot look for {path}: {error}")),
            Some(Ok(_)) | None => Ok(true),
        }
    }
}

async fn read_tar(
    stream: impl Stream<Item = Result<Bytes, BollardError>> + Send + 'static,
    prefix: &str,
) -> Result<Vec<Entry>, String> {
    let stream = stream.map_err(std::io::Error::other).boxed();
    // Reads the tar as it streams: the bloated image is over a gigabyte.
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let prefix = prefix.to_owned();
    tokio::task::spawn_blocking(move || list_tar(reader, &prefix))
        .await
        .map_err(|e| e.to_string())?
}

fn list_tar(reader: impl std::io::Read, prefix: &str) -> Result<Vec<Entry>, String> {
    let mut archive = tar::Archive::new(reader);
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let header = entry.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular => Kind::File,
            tar::EntryType::Directory => Kind::Directory,
            tar::EntryType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let path = entry.path().map_err(|e| e.to_string())?;
        let path = path.to_string_lossy();
        entries.push(Entry {
            path: format!(
                "{prefix}{}",
                path.trim_start_matches("./").trim_end_matches('/')
            ),
            kind,
            mode: header.mode().map_err(|e| e.to_string())?,
        });
    }
    Ok(entries)
}

/// The user of one process, as the host's `ps` sees it through the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessUser {
    pub uid: u32,
    pub gid: u32,
    pub command: String,
}

/// The users of every process of a running container (`docker top`).
pub async fn process_users(container: &str) -> Result<Vec<ProcessUser>, String> {
    // The engine needs a pid column to tell the container's processes apart.
    let options = TopOptionsBuilder::new()
        .ps_args("-eo pid,uid,gid,comm")
        .build();
    let top = docker()
        .await
        .top_processes(container, Some(options))
        .await
        .map_err(|e| format!("docker top failed: {e}"))?;
    let titles = top.titles.unwrap_or_default();
    let column = |name: &str| {
        titles
            .iter()
            .position(|title| title == name)
            .ok_or(format!("docker top gave no {name} column: {titles:?}"))
    };
    let (uid, gid, command) = (column("UID")?, column("GID")?, column("COMMAND")?);
    let number = |row: &[String], index: usize| -> Result<u32, String> {
        row.get(index)
            .and_then(|value| value.parse().ok())
            .ok_or(format!(
                "docker top row {row:?} has no number in column {index}"
            ))
    };
    top.processes
        .unwrap_or_default()
        .iter()
        .map(|row| {
            Ok(ProcessUser {
                uid: number(row, uid)?,
                gid: number(row, gid)?,
                command: row.get(command).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// Size in bytes, and the sizes of the layers, oldest first.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    pub bytes: u64,
    pub layer_digests: Vec<String>,
    pub layer_bytes: Vec<u64>,
}

pub async fn image_facts(reference: &str) -> Result<ImageFacts, String> {
    let docker = docker().await;
    let inspected = docker
        .inspect_image(reference)
        .await
        .map_err(|e| format!("cannot inspect {reference}: {e}"))?;
    let history = docker
        .image_history(reference)
        .await
        .map_err(|e| format!("cannot read the history of {reference}: {e}"))?;
    let bytes = inspected
        .size
        .and_then(|size| u64::try_from(size).ok())
        .ok_or(format!("{reference} has no size"))?;
    let layer_digests = inspected
        .root_fs
        .and_then(|root_fs| root_fs.layers)
        .unwrap_or_default();
    // History lists every instruction, newest first; only some make a layer.
    let mut layer_bytes: Vec<u64> = history
        .iter()
        .rev()
        .map(|item| u64::try_from(item.size).unwrap_or(0))
        .filter(|&size| size > 0)
        .collect();
    layer_bytes.truncate(layer_digests.len());
    Ok(ImageFacts {
        bytes,
        layer_digests,
        layer_bytes,
    })
}
