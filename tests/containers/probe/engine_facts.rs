//! What the engine is: its version, the runtime that starts its containers,
//! the store that keeps its images, and the cgroup version. Properties whose
//! evidence differs between engines (the runtime's own system calls, how an
//! image ID and a size are defined) ask here instead of assuming one engine.

use crate::probe::engine::docker;
use std::fmt;
use tokio::sync::OnceCell;

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

/// The OCI runtime, named as `seccomp.json`'s `neededBy` names runtimes:
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
    pub runtime: Runtime,
    pub image_store: ImageStore,
    /// 1 or 2; 0 where the engine does not say.
    pub cgroup_version: u8,
}

impl fmt::Display for EngineFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Docker {} (API {}), {} {}, {}, cgroup v{}",
            self.server_version,
            self.api_version,
            self.runtime.name,
            self.runtime.version,
            self.image_store,
            self.cgroup_version
        )
    }
}

static FACTS: OnceCell<Result<EngineFacts, String>> = OnceCell::const_new();

/// The engine's facts, asked once per run.
pub async fn engine_facts() -> Result<&'static EngineFacts, String> {
    FACTS
        .get_or_init(ask_engine)
        .await
        .as_ref()
        .map_err(Clone::clone)
}

async fn ask_engine() -> Result<EngineFacts, String> {
    let docker = docker().await;
    let version = docker
        .version()
        .await
        .map_err(|e| format!("cannot ask the engine for its version: {e}"))?;
    let info = docker
        .info()
        .await
        .map_err(|e| format!("cannot ask the engine for its configuration: {e}"))?;
    let runtime_name = info.default_runtime.unwrap_or_else(|| "runc".to_owned());
    // The default runtime's own version is a component of the version answer.
    let runtime_version = version
        .components
        .unwrap_or_default()
        .into_iter()
        .find(|component| component.name == runtime_name)
        .map(|component| component.version)
        .ok_or_else(|| {
            format!("the engine does not say which version of {runtime_name} it runs")
        })?;
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
    Ok(EngineFacts {
        server_version: version.version.unwrap_or_default(),
        api_version: version.api_version.unwrap_or_default(),
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
