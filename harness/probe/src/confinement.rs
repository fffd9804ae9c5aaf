//! Confinement: the `docker run` flags that take rights away from a
//! container, as one value applied the same way to every container made,
//! so that a one-shot run and a resident under "the same flags" really are
//! under the same flags.

use testcontainers::bollard::models::HostConfig;

/// Every container's backstop limits, where its confinement sets none: an
/// image nobody here wrote could otherwise fork-bomb, or fill the memory
/// of, the machine that checks it. No honest image's smoke run or resident
/// comes near them; a row's own limits (the hardened run's, a run's
/// `memory_mib`) are tighter. To raise them, change these two.
pub const BACKSTOP_PIDS_LIMIT: i64 = 4096;
pub const BACKSTOP_MEMORY_BYTES: i64 = 4 * 1024 * 1024 * 1024;

/// A scratch directory's mount: writable, nothing on it runs, 1 MiB at
/// most. Where the image has the directory, runc copies its content up and
/// gives the mount the directory's mode, but root as its owner (Docker
/// 20.10, runc 1.1): a user other than root writes there only if the
/// image's directory is writable by all, as /tmp is (1777).
const TMPFS_OPTIONS: &str = "rw,noexec,nosuid,size=1m";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confinement {
    /// `--read-only --cap-drop ALL --security-opt no-new-privileges`.
    pub locked_down: bool,
    /// `--network none`.
    pub no_network: bool,
    /// `--network container:ID`: the network namespace of a running
    /// container, instead of one of its own. The engine makes and tears down
    /// a namespace for every container started otherwise, about half the cost
    /// of a start (0.22 of 0.45 CPU-s here, 2026-12-01), so runs whose
    /// network proves nothing can share one.
    pub joined_network: Option<String>,
    /// `--tmpfs PATH:rw,noexec,nosuid,size=1m` for each path: a writable
    /// scratch directory in memory on a read-only root.
    pub tmpfs: Vec<String>,
    /// `--pids-limit`, counting threads as the kernel does.
    pub pids_limit: Option<i64>,
    /// `--memory` and `--memory-swap` alike: no swap on top of it.
    pub memory_bytes: Option<i64>,
    /// `--cpus`, in billionths of a CPU.
    pub nano_cpus: Option<i64>,
    /// `--security-opt seccomp=FILE`, given as the file's JSON, which is
    /// what the engine's API takes (the CLI reads the file for it).
    pub seccomp_profile: Option<String>,
    /// `--user`: the uid (and gid) every process starts as, in place of
    /// the image's USER, such as the arbitrary uid OpenShift gives.
    pub user: Option<String>,
    /// Where the backstop is: on the container, as limits its processes
    /// can read (`pids.max`, `memory.limit_in_bytes`), or watched from
    /// outside (see [`crate::backstop`]), for a run that must look as
    /// `docker run -d` does from inside.
    pub backstop: Backstop,
}

/// Where a container's backstop limits are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backstop {
    /// `--pids-limit` and `--memory`: exact, and visible inside.
    #[default]
    OnTheContainer,
    /// The engine's count of its processes and memory read from outside,
    /// and the container killed past either: nothing inside shows it.
    Watched,
}

impl Confinement {
    pub const NONE: Confinement = Confinement {
        locked_down: false,
        no_network: false,
        joined_network: None,
        tmpfs: Vec::new(),
        pids_limit: None,
        memory_bytes: None,
        nano_cpus: None,
        seccomp_profile: None,
        user: None,
        backstop: Backstop::OnTheContainer,
    };

    /// As `docker run -d IMAGE` starts it: the default network, no limit,
    /// the backstop watched from outside. What a check of how an image
    /// behaves in production judges, so that an image cannot tell it is
    /// being checked by a network of its own or a limit it can read.
    pub fn as_deployed() -> Confinement {
        Confinement {
            backstop: Backstop::Watched,
            ..Confinement::NONE
        }
    }

    /// `--network none`.
    pub fn without_network(self) -> Self {
        Confinement {
            no_network: true,
            ..self
        }
    }

    /// `--network container:ID`, in place of any other network.
    pub fn joining_network_of(self, container: &str) -> Self {
        Confinement {
            joined_network: Some(container.to_owned()),
            ..self
        }
    }

    pub fn with_memory(self, bytes: i64) -> Self {
        Confinement {
            memory_bytes: Some(bytes),
            ..self
        }
    }

    pub fn with_pids_limit(self, pids: i64) -> Self {
        Confinement {
            pids_limit: Some(pids),
            ..self
        }
    }

    pub fn with_cpus(self, nano_cpus: i64) -> Self {
        Confinement {
            nano_cpus: Some(nano_cpus),
            ..self
        }
    }

    pub fn as_user(self, user: &str) -> Self {
        Confinement {
            user: Some(user.to_owned()),
            ..self
        }
    }

    pub fn with_seccomp_profile(self, json: String) -> Self {
        Confinement {
            seccomp_profile: Some(json),
            ..self
        }
    }

    /// Sets this confinement's fields of a container's host configuration.
    pub fn apply(&self, host: &mut HostConfig) {
        if self.locked_down {
            host.readonly_rootfs = Some(true);
            host.cap_drop = Some(vec!["ALL".to_owned()]);
        }
        if self.no_network {
            host.network_mode = Some("none".to_owned());
        }
        if let Some(container) = &self.joined_network {
            host.network_mode = Some(format!("container:{container}"));
        }
        if !self.tmpfs.is_empty() {
            host.tmpfs = Some(
                self.tmpfs
                    .iter()
                    .map(|path| (path.clone(), TMPFS_OPTIONS.to_owned()))
                    .collect(),
            );
        }
        let mut security = Vec::new();
        if self.locked_down {
            security.push("no-new-privileges".to_owned());
        }
        if let Some(profile) = &self.seccomp_profile {
            security.push(format!("seccomp={profile}"));
        }
        if !security.is_empty() {
            host.security_opt = Some(security);
        }
        let (pids, memory) = match self.backstop {
            Backstop::OnTheContainer => (
                Some(self.pids_limit.unwrap_or(BACKSTOP_PIDS_LIMIT)),
                Some(self.memory_bytes.unwrap_or(BACKSTOP_MEMORY_BYTES)),
            ),
            Backstop::Watched => (self.pids_limit, self.memory_bytes),
        };
        host.pids_limit = pids;
        host.memory = memory;
        host.memory_swap = memory;
        host.nano_cpus = self.nano_cpus;
    }

    /// Tells confinements apart: equal for equal flags and profile.
    pub fn identity(&self) -> String {
        format!(
            "{} {:?} {}",
            self.describe(),
            self.backstop,
            self.seccomp_profile.as_deref().unwrap_or_default()
        )
    }

    /// The flags as `docker run` takes them, for failure messages.
    pub fn describe(&self) -> String {
        let mut flags = Vec::new();
        if let Some(user) = &self.user {
            flags.push(format!("--user {user}"));
        }
        if self.locked_down {
            flags.push("--read-only --cap-drop ALL --security-opt no-new-privileges".to_owned());
        }
        match &self.joined_network {
            Some(container) => flags.push(format!("--network container:{}", short(container))),
            None if self.no_network => flags.push("--network none".to_owned()),
            None => {}
        }
        for path in &self.tmpfs {
            flags.push(format!("--tmpfs {path}:{TMPFS_OPTIONS}"));
        }
        if let Some(pids) = self.pids_limit {
            flags.push(format!("--pids-limit {pids}"));
        }
        if let Some(bytes) = self.memory_bytes {
            flags.push(format!("--memory {}m", bytes / (1024 * 1024)));
        }
        if let Some(nano_cpus) = self.nano_cpus {
            flags.push(format!("--cpus {}", nano_cpus as f64 / 1e9));
        }
        if self.seccomp_profile.is_some() {
            flags.push("--security-opt seccomp=…".to_owned());
        }
        flags.join(" ")
    }
}

/// A container ID as `docker ps` shows it.
fn short(container: &str) -> &str {
    container.get(..12).unwrap_or(container)
}
