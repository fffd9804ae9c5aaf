//! What the engine says of an image: its ID, size, layers and platform.

use crate::cleanup::OnDrop;
use crate::engine::Engine;
use crate::error::ProbeError;
use crate::facts::{Architecture, ImageStore};
use crate::stop::DEFAULT_STOP_SIGNAL;
use std::collections::BTreeMap;
use std::fmt;
use testcontainers::bollard::models::ImageConfig as InspectedConfig;
use testcontainers::bollard::query_parameters::{
    RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};

/// An image's ID, `sha256:…`: the config's digest in the classic image
/// store, the manifest's in the containerd store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageId(String);

impl ImageId {
    pub fn new(id: impl Into<String>) -> Self {
        ImageId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `0123456789ab`, as `docker images` shows IDs.
    pub fn short(&self) -> String {
        self.0
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect()
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An image as the engine describes it.
#[derive(Clone, Debug)]
pub struct ImageFacts {
    /// What was really tested.
    pub id: ImageId,
    /// The sizes of the files its layers hold, on every image store: what
    /// size budgets count.
    pub bytes: u64,
    /// Its layers as the store keeps them, compressed where it keeps them
    /// so (the containerd store): what a pull transfers. The classic store
    /// keeps layers unpacked and compresses them only to push, so `None`.
    pub stored_bytes: Option<u64>,
    pub layer_digests: Vec<String>,
    /// The unpacked sizes of the layers that hold files, oldest first;
    /// `None` where the classic store's history does not size each layer
    /// (an image loaded from an archive whose config has no history).
    pub layer_bytes: Option<Vec<u64>>,
    pub architecture: Architecture,
    /// Its configuration, as `docker inspect` gives it.
    pub config: ImageConfig,
}

/// An image's configuration, as `docker image inspect` gives it; what it
/// does not set is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `NAME=value`, in order.
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// `5000/tcp`, sorted.
    pub exposed_ports: Vec<String>,
    pub workdir: String,
    /// The user the engine starts its processes as (`USER`); empty: root.
    pub user: String,
    pub stop_signal: String,
    /// The HEALTHCHECK's test (`["CMD", …]`, `["CMD-SHELL", …]`); empty: none.
    pub healthcheck: Vec<String>,
}

impl ImageConfig {
    fn of(config: Option<InspectedConfig>) -> ImageConfig {
        let Some(config) = config else {
            return ImageConfig::default();
        };
        let mut exposed_ports: Vec<String> = config.exposed_ports.unwrap_or_default();
        exposed_ports.sort();
        ImageConfig {
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            env: config.env.unwrap_or_default(),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            exposed_ports,
            workdir: config.working_dir.unwrap_or_default(),
            user: config.user.unwrap_or_default(),
            stop_signal: config.stop_signal.unwrap_or_default(),
            healthcheck: config
                .healthcheck
                .and_then(|health| health.test)
                .unwrap_or_default(),
        }
    }

    /// The signal `docker stop` sends to its containers: its stop signal,
    /// else [`DEFAULT_STOP_SIGNAL`].
    pub fn stop_signal_sent(&self) -> String {
        if self.stop_signal.is_empty() {
            DEFAULT_STOP_SIGNAL.to_owned()
        } else {
            self.stop_signal.clone()
        }
    }

    /// The value of the environment variable `name`, if set.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then_some(value)
        })
    }
}

impl Engine {
    pub async fn image_facts(&self, reference: &str) -> Result<ImageFacts, ProbeError> {
        let docker = self.docker();
        let inspected = docker
            .inspect_image(reference)
            .await
            .map_err(|e| ProbeError::engine(format!("inspect {reference}"), e))?;
        let layer_digests = inspected
            .root_fs
            .and_then(|root_fs| root_fs.layers)
            .unwrap_or_default();
        let store = self.facts().image_store;
        let (bytes, stored_bytes, layer_bytes): (u64, Option<u64>, Option<Vec<u64>>) = match store {
            // The classic store's size is the unpacked bytes, and its history
            // gives each instruction's, newest first; only some make a layer.
            ImageStore::Classic => {
                let bytes = inspected
                    .size
                    .and_then(|size| u64::try_from(size).ok())
                    .ok_or_else(|| ProbeError::missing(format!("size of {reference}")))?;
                let history = docker.image_history(reference).await.map_err(|e| {
                    ProbeError::engine(format!("read the history of {reference}"), e)
                })?;
                // Each layer has an entry of its own in a history the
                // engine wrote; fewer entries than layers size none of them.
                let each = (history.len() >= layer_digests.len()).then(|| {
                    history
                        .iter()
                        .rev()
                        .map(|item| u64::try_from(item.size).unwrap_or(0))
                        .collect()
                });
                (bytes, None, each)
            }
            ImageStore::Containerd => {
                let layers = self.layer_bytes(reference).await?;
                let unpacked = layers.iter().map(|layer| layer.unpacked).sum();
                let stored = layers.iter().map(|layer| layer.stored).sum();
                let each = layers.iter().map(|layer| layer.unpacked).collect();
                (unpacked, Some(stored), Some(each))
            }
        };
        let layer_bytes = layer_bytes.map(|mut sizes| {
            sizes.retain(|&size| size > 0);
            sizes.truncate(layer_digests.len());
            sizes
        });
        Ok(ImageFacts {
            id: ImageId::new(
                inspected
                    .id
                    .ok_or_else(|| ProbeError::missing(format!("ID of {reference}")))?,
            ),
            bytes,
            stored_bytes,
            layer_digests,
            layer_bytes,
            architecture: Architecture::new(inspected.architecture.unwrap_or_default()),
            config: ImageConfig::of(inspected.config),
        })
    }

    /// Tags `image` as `reference` (`repository:tag`) until the value is dropped;
    /// removing the tag leaves the image, which keeps its other names.
    pub async fn temporary_tag(&self, image: &str, reference: &str) -> Result<OnDrop, ProbeError> {
        let (repository, tag) = reference.rsplit_once(':').ok_or_else(|| {
            ProbeError::unreadable(format!("the reference {reference}"), "it names no tag")
        })?;
        let options = TagImageOptionsBuilder::new()
            .repo(repository)
            .tag(tag)
            .build();
        let docker = self.docker().clone();
        docker
            .tag_image(image, Some(options))
            .await
            .map_err(|e| ProbeError::engine(format!("tag {image} as {reference}"), e))?;
        let reference = reference.to_owned();
        Ok(OnDrop::new(async move {
            let options = RemoveImageOptionsBuilder::new().noprune(true).build();
            // An error means the tag is already gone.
            let _ = docker.remove_image(&reference, Some(options), None).await;
        }))
    }
}
