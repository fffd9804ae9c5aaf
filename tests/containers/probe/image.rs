//! What the engine says of an image: its ID, size, layers and platform.

use crate::probe::cleanup::OnDrop;
use crate::probe::engine::docker;
use testcontainers::bollard::query_parameters::{
    RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};

/// An image as the engine describes it.
#[derive(Clone)]
pub struct ImageFacts {
    /// `sha256:…`, the ID of the image's config: what was really tested.
    pub id: String,
    pub bytes: u64,
    pub layer_digests: Vec<String>,
    /// The sizes of the layers that hold files, oldest first.
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
    let history = docker
        .image_history(reference)
        .await
        .map_err(|e| format!("cannot read the history of {reference}: {e}"))?;
    let bytes = inspected
        .size
        .and_then(|size| u64::try_from(size).ok())
        .ok_or(format!("the engine gives {reference} no size"))?;
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
        id: inspected.id.unwrap_or_default(),
        bytes,
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
