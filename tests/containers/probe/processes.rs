//! Who runs in a container, as the host sees it through the engine's top
//! endpoint: the real process, not what the image config says.

use crate::probe::engine::docker;
use testcontainers::bollard::query_parameters::TopOptionsBuilder;

/// The user of one process, as the host's `ps` sees it through the engine.
#[derive(Clone, PartialEq, Eq)]
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
        titles.iter().position(|title| title == name).ok_or(format!(
            "docker top gave no {name} column, only {}",
            titles.join(", ")
        ))
    };
    let (uid, gid, command) = (column("UID")?, column("GID")?, column("COMMAND")?);
    let number = |row: &[String], index: usize| -> Result<u32, String> {
        row.get(index)
            .and_then(|value| value.parse().ok())
            .ok_or(format!(
                "docker top row \"{}\" has no number in column {index}",
                row.join(" ")
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
