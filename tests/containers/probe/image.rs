//! What the engine says of an image: its ID, size, layers and platform.

use crate::probe::cleanup::OnDrop;
use crate::probe::engine::docker;
use crate::probe::engine_facts::{ImageStore, engine_facts};
use crate::probe::layer_bytes::layer_bytes;
use testcontainers::bollard::query_parameters::{
    RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};

/// An image as the engine describes it.
#[derive(Clone)]
pub struct ImageFacts {
    /// `sha256:…`, what was really tested: the config's digest in the
    /// classic image store, the manifest's in the containerd store.
    pub id: String,
    /// The sizes of the files its layers hold, on every image store: what
    /// size budgets count.
    pub bytes: u64,
    /// Its layers as the store keeps them, compressed where it keeps them
    /// so (the containerd store): what a pull transfers. The classic store
    /// keeps layers unpacked and compresses them only to push, so `None`.
    pub stored_bytes: Option<u64>,
    pub layer_digests: Vec<String>,
    /// The unpacked sizes of the layers that hold files, oldest first.
    pub layer_bytes: Vec<u64>,
    /// `amd64`, `arm64`, …
    pub architecture: String,
}

pub async fn image_facts(reference: &str) -> Result<ImageFacts, String> {
    let docker = docker().await;
    let inspected = docker
        .inspect_image(reference)
        .await
        .map_err(|e| format!("cannot inspect {reference}: {e}"))?;
    let layer_digests = inspected
        .root_fs
        .and_then(|root_fs| root_fs.layers)
        .unwrap_or_default();
    let store = engine_facts().await?.image_store;
    let (bytes, stored_bytes, mut layer_bytes): (u64, Option<u64>, Vec<u64>) = match store {
        // The classic store's size is the unpacked bytes, and its history
        // gives each instruction's, newest first; only some make a layer.
        ImageStore::Classic => {
            let bytes = inspected
                .size
                .and_then(|size| u64::try_from(size).ok())
                .ok_or(format!("the engine gives {reference} no size"))?;
            let history = docker
                .image_history(reference)
                .await
                .map_err(|e| format!("cannot read the history of {reference}: {e}"))?;
            let each = history
                .iter()
                .rev()
                .map(|item| u64::try_from(item.size).unwrap_or(0))
                .collect();
            (bytes, None, each)
        }
        ImageStore::Containerd => {
            let layers = layer_bytes(reference).await?;
            let unpacked = layers.iter().map(|layer| layer.unpacked).sum();
            let stored = layers.iter().map(|layer| layer.stored).sum();
            let each = layers.iter().map(|layer| layer.unpacked).collect();
            (unpacked, Some(stored), each)
        }
    };
    layer_bytes.retain(|&size| size > 0);
    layer_bytes.truncate(layer_digests.len());
    Ok(ImageFacts {
        id: inspected.id.unwrap_or_default(),
        bytes,
        stored_bytes,
        layer_digests,
        layer_bytes,
        architecture: inspected.architecture.unwrap_or_default(),
    })
}

/// Tags `image` as `reference` (`repository:tag`) until the value is dropped;
/// removing the tag leaves the image, which keeps its other names.
pub async fn temporary_tag(image: &str, reference: &str) -> Result<OnDrop, String> {
    let (repository, tag) = reference
        .rsplit_once(':')
        .ok_or(format!("{reference} names no tag"))?;
    let options = TagImageOptionsBuilder::new()
        .repo(repository)
        .tag(tag)
        .build();
    docker()
        .await
        .tag_image(image, Some(options))
        .await
        .map_err(|e| format!("cannot tag {image} as {reference}: {e}"))?;
    let reference = reference.to_owned();
    Ok(OnDrop::new(async move {
        let options = RemoveImageOptionsBuilder::new().noprune(true).build();
        // An error means the tag is already gone.
        let _ = docker()
            .await
            .remove_image(&reference, Some(options), None)
            .await;
    }))
}
