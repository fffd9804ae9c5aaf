//! Who runs in a container, as the host sees it through the engine's top
//! endpoint: the real process, not what the image config says.

use crate::deadline::{self, within};
use crate::engine::Engine;
use crate::error::ProbeError;
use testcontainers::bollard::query_parameters::TopOptionsBuilder;

/// The user of one process, as the host's `ps` sees it through the engine.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessUser {
    pub uid: u32,
    pub gid: u32,
    pub command: String,
}

impl Engine {
    /// The users of every process of a running container (`docker top`).
    pub async fn process_users(&self, container: &str) -> Result<Vec<ProcessUser>, ProbeError> {
        // The engine needs a pid column to tell the container's processes apart.
        let options = TopOptionsBuilder::new()
            .ps_args("-eo pid,uid,gid,comm")
            .build();
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
        let titles = top.titles.unwrap_or_default();
        let column = |name: &str| {
            titles
                .iter()
                .position(|title| title == name)
                .ok_or_else(|| {
                    ProbeError::missing(format!(
                        "{name} column in docker top, only {}",
                        titles.join(", ")
                    ))
                })
        };
        let (uid, gid, command) = (column("UID")?, column("GID")?, column("COMMAND")?);
        let number = |row: &[String], index: usize| -> Result<u32, ProbeError> {
            row.get(index)
                .and_then(|value| value.parse().ok())
                .ok_or_else(|| {
                    ProbeError::unreadable(
                        format!("docker top's row \"{}\"", row.join(" ")),
                        format!("no number in column {index}"),
                    )
                })
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
}
