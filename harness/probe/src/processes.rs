//! Who runs in a container, as the host sees it through the engine's top
//! endpoint: the real process, not what the image config says. Every ID a
//! process holds: its real, effective and saved user and group, and its
//! supplementary groups. A process whose effective user is 65532 and whose
//! real or saved user is root gets root back with one call (`setpriv
//! --euid=65532` leaves exactly that).

use crate::deadline::{self, within};
use crate::engine::Engine;
use crate::error::ProbeError;
use std::fmt;
use testcontainers::bollard::query_parameters::TopOptionsBuilder;

/// What `docker top` is asked for; the engine needs the pid column to tell
/// the container's processes apart.
const PS_COLUMNS: &str = "-eo pid,ruid,euid,suid,rgid,egid,sgid,supgid,comm";

/// A user ID and a group ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// The IDs of one process, as the host's `ps` sees it through the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessUser {
    pub real: Ids,
    pub effective: Ids,
    pub saved: Ids,
    pub supplementary: Vec<u32>,
    pub command: String,
}

impl ProcessUser {
    /// Whether it is `ids` through and through: real, effective and saved,
    /// with no supplementary group but its own.
    pub fn is_only(&self, ids: Ids) -> bool {
        self.real == ids
            && self.effective == ids
            && self.saved == ids
            && self.supplementary.iter().all(|&group| group == ids.gid)
    }
}

impl fmt::Display for ProcessUser {
    /// `65532:65532` when all its IDs agree, else each of them:
    /// `real 0:0, effective 65532:65532, saved 65532:65532, groups 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_only(self.effective) {
            return write!(f, "{}", self.effective);
        }
        write!(
            f,
            "real {}, effective {}, saved {}",
            self.real, self.effective, self.saved
        )?;
        let others: Vec<String> = self
            .supplementary
            .iter()
            .filter(|&&group| group != self.effective.gid)
            .map(u32::to_string)
            .collect();
        if !others.is_empty() {
            write!(f, ", groups {}", others.join(","))?;
        }
        Ok(())
    }
}

impl Engine {
    /// The users of every process of a running container (`docker top`).
    pub async fn process_users(&self, container: &str) -> Result<Vec<ProcessUser>, ProbeError> {
        let top = self.top(container, PS_COLUMNS).await?;
        let column = |name: &str| top.column(name);
        let at = Columns {
            ruid: column("RUID")?,
            euid: column("EUID")?,
            suid: column("SUID")?,
            rgid: column("RGID")?,
            egid: column("EGID")?,
            sgid: column("SGID")?,
            supgid: column("SUPGID")?,
            command: column("COMMAND")?,
        };
        top.rows.iter().map(|row| at.read(row)).collect()
    }

    /// `docker top CONTAINER PS_ARGS`, within its deadline.
    pub(crate) async fn top(&self, container: &str, ps_args: &str) -> Result<Top, ProbeError> {
        let options = TopOptionsBuilder::new().ps_args(ps_args).build();
        let listing = async {
            self.docker()
                .top_processes(container, Some(options))
                .await
                .map_err(|e| ProbeError::engine("list its processes (docker top)", e))
        };
        let top = within(
            deadline::PROCESS_LISTING,
            "listing its processes (docker top)",
            listing,
        )
        .await?;
        Ok(Top {
            titles: top.titles.unwrap_or_default(),
            rows: top.processes.unwrap_or_default(),
        })
    }
}

/// What `docker top` listed: its column titles, and a row per process.
pub(crate) struct Top {
    pub titles: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Top {
    /// Where the column titled `name` is.
    pub fn column(&self, name: &str) -> Result<usize, ProbeError> {
        self.titles
            .iter()
            .position(|title| title == name)
            .ok_or_else(|| {
                ProbeError::missing(format!(
                    "{name} column in docker top, only {}",
                    self.titles.join(", ")
                ))
            })
    }
}

/// Where each ID is in a row of `docker top`.
struct Columns {
    ruid: usize,
    euid: usize,
    suid: usize,
    rgid: usize,
    egid: usize,
    sgid: usize,
    supgid: usize,
    command: usize,
}

impl Columns {
    fn read(&self, row: &[String]) -> Result<ProcessUser, ProbeError> {
        let unreadable = |index: usize| {
            ProbeError::unreadable(
                format!("docker top's row \"{}\"", row.join(" ")),
                format!("no number in column {index}"),
            )
        };
        let number = |index: usize| -> Result<u32, ProbeError> {
            row.get(index)
                .and_then(|value| value.parse().ok())
                .ok_or_else(|| unreadable(index))
        };
        let ids = |uid: usize, gid: usize| -> Result<Ids, ProbeError> {
            Ok(Ids {
                uid: number(uid)?,
                gid: number(gid)?,
            })
        };
        // `-` for none, else the groups' numbers separated by commas.
        let groups = row
            .get(self.supgid)
            .ok_or_else(|| unreadable(self.supgid))?;
        let supplementary = if groups == "-" {
            Vec::new()
        } else {
            groups
                .split(',')
                .map(|group| group.parse().map_err(|_| unreadable(self.supgid)))
                .collect::<Result<_, _>>()?
        };
        Ok(ProcessUser {
            real: ids(self.ruid, self.rgid)?,
            effective: ids(self.euid, self.egid)?,
            saved: ids(self.suid, self.sgid)?,
            supplementary,
            command: row.get(self.command).cloned().unwrap_or_default(),
        })
    }
}
