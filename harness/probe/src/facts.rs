//! What the engine is: its version, architecture, the runtime that starts
//! its containers, the store that keeps its images, and the cgroup version.
//! Evidence that differs between engines (the runtime's own system calls,
//! how an image ID and a size are defined) is read from here instead of
//! assuming one engine.

use crate::error::ProbeError;
use std::fmt;
use testcontainers::bollard::Docker;

/// A platform's architecture as image configs name it: `amd64`, `arm64`, ….
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Architecture(String);

impl Architecture {
    pub fn new(name: impl Into<String>) -> Self {
        Architecture(name.into())
    }

    /// The name `uname -m` gives (`x86_64`, `aarch64`), as images name it.
    pub fn from_machine(machine: &str) -> Self {
        Architecture::new(match machine {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the engine keeps its images. The two define an image ID, and the
/// size `docker image inspect` reports, differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageStore {
    /// The graph drivers (overlay2, fuse-overlayfs…), Docker's default up to
    /// 28: the ID is the config's digest, and the size the unpacked bytes.
    Classic,
    /// containerd's snapshotters, the default of fresh Docker 29 installs:
    /// the ID is the manifest's digest, and the size the stored (often
    /// compressed) content.
    Containerd,
}

impl fmt::Display for ImageStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageStore::Classic => "classic image store",
            ImageStore::Containerd => "containerd image store",
        })
    }
}

/// The OCI runtime, named as a seccomp profile's `neededBy` names runtimes:
/// `runc 1.3`, major and minor version only, since the calls its init makes
/// change between minor releases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runtime {
    pub name: String,
    /// As the engine reports it, such as `1.3.6+ds1`.
    pub version: String,
}

impl Runtime {
    /// `runc 1.3` for runc 1.3.6.
    pub fn release(&self) -> String {
        let mut parts = self.version.split(['.', '+', '-', '~']);
        match (parts.next(), parts.next()) {
            (Some(major), Some(minor)) => format!("{} {major}.{minor}", self.name),
            _ => format!("{} {}", self.name, self.version),
        }
    }
}

#[derive(Clone, Debug)]
pub struct EngineFacts {
    pub server_version: String,
    pub api_version: String,
    pub architecture: Architecture,
    pub runtime: Runtime,
    pub image_store: ImageStore,
    /// 1 or 2; 0 where the engine does not say.
    pub cgroup_version: u8,
}

impl fmt::Display for EngineFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Docker {} (API {}), {}, {} {}, {}, cgroup v{}",
            self.server_version,
            self.api_version,
            self.architecture,
            self.runtime.name,
            self.runtime.version,
            self.image_store,
            self.cgroup_version
        )
    }
}

/// Asks the engine what it is.
pub async fn ask_engine(docker: &Docker) -> Result<EngineFacts, ProbeError> {
    let version = docker
        .version()
        .await
        .map_err(|e| ProbeError::engine("ask the engine for its version", e))?;
    let info = docker
        .info()
        .await
        .map_err(|e| ProbeError::engine("ask the engine for its configuration", e))?;
    let runtime_name = info.default_runtime.unwrap_or_else(|| "runc".to_owned());
    // The default runtime's own version is a component of the version answer.
    let runtime_version = version
        .components
        .unwrap_or_default()
        .into_iter()
        .find(|component| component.name == runtime_name)
        .map(|component| component.version)
        .ok_or_else(|| ProbeError::missing(format!("version of its runtime, {runtime_name}")))?;
    // The containerd store shows as the storage driver's "driver-type".
    let snapshotter = info.driver_status.unwrap_or_default().iter().any(|pair| {
        pair.first().is_some_and(|key| key == "driver-type")
            && pair
                .get(1)
                .is_some_and(|kind| kind.starts_with("io.containerd.snapshotter"))
    });
    let image_store = if snapshotter {
        ImageStore::Containerd
    } else {
        ImageStore::Classic
    };
    let machine = info
        .architecture
        .ok_or_else(|| ProbeError::missing("architecture"))?;
    Ok(EngineFacts {
        server_version: version.version.unwrap_or_default(),
        api_version: version.api_version.unwrap_or_default(),
        architecture: Architecture::from_machine(&machine),
        runtime: Runtime {
            name: runtime_name,
            version: runtime_version,
        },
        image_store,
        cgroup_version: info
            .cgroup_version
            .and_then(|v| v.to_string().parse().ok())
            .unwrap_or(0),
    })
}
