//! Running a file of a running container under a name of the caller's
//! choosing. A multi-call binary (BusyBox) is what `argv[0]` names, and
//! `docker exec` sets `argv[0]` only to the path it runs: BusyBox renamed
//! `/httpd` runs as httpd. So a symbolic link of the chosen name, pointing
//! at the file, is placed in a directory of its own in the container
//! (through the engine's archive endpoint, as `docker cp` does), and the
//! exec runs the name with that directory as its PATH: the runtime finds
//! the link there, and the kernel runs the file with `argv[0]` the name,
//! as any process in the container that can call execve could.

use crate::engine::Engine;
use crate::error::ProbeError;
use crate::outcome::Outcome;
use crate::resident::EXEC_DEADLINE;
use std::time::Duration;
use testcontainers::bollard::body_full;
use testcontainers::bollard::query_parameters::UploadToContainerOptionsBuilder;

/// The directories' names begin with this, at the container's root.
pub const LINKS_DIRECTORY: &str = ".image-claims-argv0";

impl Engine {
    /// Runs `target`, a path in `container`, as `argv0 ARGS...`, with
    /// `input` on stdin if given.
    pub async fn exec_named(
        &self,
        container: &str,
        target: &str,
        argv0: &str,
        args: &[&str],
        input: Option<&[u8]>,
    ) -> Result<Outcome, ProbeError> {
        self.exec_named_within(container, target, argv0, args, input, EXEC_DEADLINE)
            .await
    }

    /// [`Engine::exec_named`], ending at `deadline`.
    pub async fn exec_named_within(
        &self,
        container: &str,
        target: &str,
        argv0: &str,
        args: &[&str],
        input: Option<&[u8]>,
        deadline: Duration,
    ) -> Result<Outcome, ProbeError> {
        // A directory for each run, so that two files tried under one name
        // never meet.
        let directory = format!("{LINKS_DIRECTORY}-{}", self.new_request().0);
        let archive = link_archive(&directory, argv0, target)
            .map_err(|e| ProbeError::unreadable("an archive of one link", e))?;
        let options = UploadToContainerOptionsBuilder::new().path("/").build();
        self.docker()
            .upload_to_container(container, Some(options), body_full(archive.into()))
            .await
            .map_err(|e| {
                ProbeError::engine(format!("place a link named {argv0} to {target}"), e)
            })?;
        let mut command = vec![argv0.to_owned()];
        command.extend(args.iter().map(|&arg| arg.to_owned()));
        let path = format!("PATH=/{directory}");
        self.exec_within(container, &command, &[path], input, deadline)
            .await
    }
}

/// A tar of `directory/` holding the link `name` to `target`.
fn link_archive(directory: &str, name: &str, target: &str) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    let mut folder = tar::Header::new_gnu();
    folder.set_entry_type(tar::EntryType::Directory);
    // Searchable by any user the container runs as.
    folder.set_mode(0o755);
    folder.set_size(0);
    archive.append_data(&mut folder, format!("{directory}/"), std::io::empty())?;
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_mode(0o777);
    link.set_size(0);
    archive.append_link(&mut link, format!("{directory}/{name}"), target)?;
    archive.into_inner()
}
