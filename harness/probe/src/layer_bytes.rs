//! An image's bytes counted from its layers, the same way on every image
//! store: the unpacked bytes are the sizes of the regular files and the
//! target lengths of the symbolic links the layers hold; the stored bytes
//! are the layers as the store keeps them, compressed where it keeps them
//! compressed, which is what a push sends and a pull transfers.
//!
//! The classic store reports, per layer, either the regular files alone (a
//! layer applied from a tar stream: BuildKit's, and pulled ones) or the
//! unpacked bytes as counted here (a layer the classic builder committed
//! from a directory, measured as moby's `directory.Size` does). Both are
//! kept, so that a check can tell which a store's figure is.
//!
//! The containerd store reports the stored bytes as the image's size, so
//! there the unpacked bytes are counted here, from `docker save`'s archive.

use crate::deadline::{self, abandonable_reader, within};
use crate::engine::{Engine, explain_unreadable};
use crate::error::ProbeError;
use bytes::Bytes;
use futures::Stream;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Cursor, Read};
use testcontainers::bollard::errors::Error as BollardError;

/// Each layer of an image, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerBytes {
    /// The sizes of the regular files it holds, and the lengths of its
    /// symbolic links' targets.
    pub unpacked: u64,
    /// The lengths of its symbolic links' targets alone.
    pub symlinks: u64,
    /// Its blob as the store keeps it.
    pub stored: u64,
}

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The most of `manifest.json` read.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Where a tar header says `ustar`, and how long the prefix to sniff is.
const USTAR_OFFSET: usize = 257;
const SNIFFED: usize = 512;

/// The layers of `reference`, counted from the archive the engine exports.
/// Reads the whole archive: seconds for an image of a few megabytes, about
/// half a minute for one of gigabytes.
impl Engine {
    pub async fn layer_bytes(&self, reference: &str) -> Result<Vec<LayerBytes>, ProbeError> {
        let stream = self.docker().export_image(reference);
        let doing = format!("reading the layers of {reference} (docker save)");
        let reading = async {
            let read = read_archive(stream).await.map_err(|problem| {
                ProbeError::unreadable(format!("the layers of {reference}"), problem)
            });
            let doing = format!("read the layers of {reference}");
            explain_unreadable(self.docker(), &doing, read).await
        };
        within(deadline::IMAGE_READING, &doing, reading).await
    }
}

async fn read_archive(
    stream: impl Stream<Item = Result<Bytes, BollardError>> + Send + 'static,
) -> Result<Vec<LayerBytes>, String> {
    let (reader, _reading) = abandonable_reader(stream);
    tokio::task::spawn_blocking(move || count_archive(reader))
        .await
        .map_err(|e| e.to_string())?
}

/// `docker save`'s archive: blobs (layers, configs, manifests) by path, and
/// `manifest.json`, which lists the layers of each image in order.
pub fn count_archive(reader: impl Read) -> Result<Vec<LayerBytes>, String> {
    let mut archive = tar::Archive::new(reader);
    let mut blobs: HashMap<String, LayerBytes> = HashMap::new();
    let mut manifest: Option<Value> = None;
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?;
        let path = path.to_string_lossy().trim_start_matches("./").to_owned();
        let stored = entry.size();
        if path == "manifest.json" {
            let mut text = String::new();
            // A manifest lists layers by name: a few kilobytes.
            entry
                .by_ref()
                .take(MAX_MANIFEST_BYTES)
                .read_to_string(&mut text)
                .map_err(|e| e.to_string())?;
            manifest = Some(serde_json::from_str(&text).map_err(|e| e.to_string())?);
            continue;
        }
        if let Some((regular, symlinks)) = unpacked_bytes_of_layer(&mut entry)? {
            let unpacked = regular + symlinks;
            blobs.insert(
                path,
                LayerBytes {
                    unpacked,
                    symlinks,
                    stored,
                },
            );
        }
    }
    let manifest = manifest.ok_or("the archive has no manifest.json")?;
    let layers = manifest[0]["Layers"]
        .as_array()
        .ok_or("manifest.json lists no layers")?;
    layers
        .iter()
        .map(|layer| {
            let path = layer.as_str().unwrap_or_default();
            blobs
                .get(path)
                .cloned()
                .ok_or_else(|| format!("manifest.json names {path}, which is not a tar layer"))
        })
        .collect()
}

/// The regular files' sizes and the symbolic links' target lengths in a
/// layer blob, plain or gzip-compressed; `None` for a blob that is not a
/// layer (a config or a manifest).
fn unpacked_bytes_of_layer(blob: &mut impl Read) -> Result<Option<(u64, u64)>, String> {
    let mut prefix = Vec::with_capacity(SNIFFED);
    blob.by_ref()
        .take(SNIFFED as u64)
        .read_to_end(&mut prefix)
        .map_err(|e| e.to_string())?;
    let whole = Cursor::new(prefix.clone()).chain(blob);
    if prefix.starts_with(&GZIP_MAGIC) {
        // Every member: a layer may be gzip members one after another, and
        // GzDecoder stops at the end of the first.
        return sum_tar(flate2::read::MultiGzDecoder::new(whole)).map(Some);
    }
    if prefix.get(USTAR_OFFSET..USTAR_OFFSET + 5) == Some(b"ustar") {
        return sum_tar(whole).map(Some);
    }
    // An empty layer is a tar of its end-of-archive blocks alone, all zero:
    // BuildKit commits one for a step that changes nothing, such as a
    // WORKDIR that exists already.
    if !prefix.is_empty() && prefix.iter().all(|&byte| byte == 0) {
        return Ok(Some((0, 0)));
    }
    Ok(None)
}

/// A layer's regular files' sizes and symbolic links' target lengths; a
/// hard link is its file, once.
fn sum_tar(reader: impl Read) -> Result<(u64, u64), String> {
    let (mut regular, mut symlinks) = (0, 0);
    for entry in tar::Archive::new(reader)
        .entries()
        .map_err(|e| e.to_string())?
    {
        let entry = entry.map_err(|e| e.to_string())?;
        match entry.header().entry_type() {
            // entry.size(), not the header's: a file of 8 GiB or more has its
            // size in a PAX record, as Go's tar writer puts it.
            tar::EntryType::Regular => regular += entry.size(),
            tar::EntryType::Symlink => {
                symlinks += entry
                    .link_name_bytes()
                    .map_or(0, |target| target.len() as u64);
            }
            _ => {}
        }
    }
    Ok((regular, symlinks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_layer_counts_zero_bytes_and_a_config_is_no_layer() {
        let empty_tar = [0u8; 1024];
        assert_eq!(
            unpacked_bytes_of_layer(&mut &empty_tar[..]),
            Ok(Some((0, 0)))
        );
        assert_eq!(
            unpacked_bytes_of_layer(&mut &br#"{"architecture":"arm64"}"#[..]),
            Ok(None)
        );
    }

    /// A tar of one file of `size` zero bytes, its size also in a PAX
    /// record, and its header's size field `header_size`, as a writer that
    /// relies on the record may leave it.
    fn tar_with_pax_size(size: u64, header_size: u64) -> Vec<u8> {
        let mut archive = tar::Builder::new(Vec::new());
        let record = size.to_string();
        archive
            .append_pax_extensions([("size", record.as_bytes())])
            .expect("a PAX record appends");
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(header_size);
        header.set_mode(0o644);
        header.set_path("big").expect("a short path");
        header.set_cksum();
        archive
            .append(&header, std::io::repeat(0).take(size))
            .expect("the file appends");
        archive.into_inner().expect("the archive ends")
    }

    #[test]
    fn a_file_whose_size_is_in_a_pax_record_counts_that_size() {
        let size = 3 * 1024 * 1024;
        let layer = tar_with_pax_size(size, 0);
        assert_eq!(
            unpacked_bytes_of_layer(&mut &layer[..]),
            Ok(Some((size, 0)))
        );
    }

    #[test]
    fn a_layer_of_two_gzip_members_counts_both() {
        use flate2::Compression;
        use flate2::write::GzEncoder;
        use std::io::Write;
        let layer = tar_with_pax_size(1024 * 1024, 1024 * 1024);
        // Split where the second member starts mid-archive, as a crafted
        // layer may.
        let (first, second) = layer.split_at(layer.len() / 2);
        let mut compressed = Vec::new();
        for part in [first, second] {
            let mut member = GzEncoder::new(Vec::new(), Compression::fast());
            member.write_all(part).expect("a member compresses");
            compressed.extend(member.finish().expect("a member ends"));
        }
        assert_eq!(
            unpacked_bytes_of_layer(&mut &compressed[..]),
            Ok(Some((1024 * 1024, 0)))
        );
    }
}
