//! Every process of a running container runs as the claimed user: its
//! real, effective and saved IDs all, and no supplementary group but the
//! claimed one.

use crate::row::User;
use crate::verdict::{Mismatch, Problem, plain};
use image_probe::processes::{Ids, ProcessUser};

/// Whether the image's `USER` starts its processes as root: unset, or uid 0
/// by number or name.
fn starts_as_root(configured: &str) -> bool {
    let uid = configured.split(':').next().unwrap_or_default();
    uid.is_empty() || uid == "0" || uid == "root"
}

/// A non-root claim holds for every run only if the engine starts every
/// process as a non-root user: an image started as root that drops its
/// privileges in its entrypoint decides per run, and a run with other
/// arguments than the resident's may keep root. (The observed processes
/// are the resident's; the smoke run is over before it can be listed.)
pub fn starts_as(image: &str, claimed: User, configured: &str) -> Result<(), Mismatch> {
    let problems = if claimed.uid != 0 && starts_as_root(configured) {
        let shown = if configured.is_empty() {
            "root (no USER)".to_owned()
        } else {
            format!("root (USER {configured})")
        };
        vec![Problem::new(
            "user the engine starts it as",
            plain(claimed),
            plain(shown),
        )]
    } else {
        Vec::new()
    };
    Mismatch::verdict(image, problems)
}

pub fn runs_as(image: &str, claimed: User, processes: &[ProcessUser]) -> Result<(), Mismatch> {
    if processes.is_empty() {
        let none = Problem::new("processes", plain("at least one"), plain("none"));
        return Mismatch::verdict(image, vec![none]);
    }
    let problems = processes
        .iter()
        .filter(|process| !process.is_only(Ids::from(claimed)))
        .map(|process| {
            Problem::new(
                format!("user of process {}", process.command),
                plain(claimed),
                plain(process),
            )
        })
        .collect();
    Mismatch::verdict(image, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONROOT: User = User {
        uid: 65532,
        gid: 65532,
    };

    fn process(real: u32, supplementary: Vec<u32>) -> ProcessUser {
        let nonroot = Ids::from(NONROOT);
        ProcessUser {
            real: Ids {
                uid: real,
                gid: real,
            },
            effective: nonroot,
            saved: nonroot,
            supplementary,
            command: "cat".to_owned(),
        }
    }

    #[test]
    fn a_process_of_the_user_through_and_through_holds() {
        assert!(runs_as("image", NONROOT, &[process(65532, vec![65532])]).is_ok());
    }

    #[test]
    fn a_root_real_user_behind_an_effective_one_is_named() {
        let message = runs_as("image", NONROOT, &[process(0, vec![])])
            .err()
            .map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "image\n  user of process cat: expected 65532:65532, observed real 0:0, \
                 effective 65532:65532, saved 65532:65532"
            )
        );
    }

    #[test]
    fn a_supplementary_group_of_root_is_named() {
        let message = runs_as("image", NONROOT, &[process(65532, vec![0])])
            .err()
            .map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "image\n  user of process cat: expected 65532:65532, observed real \
                 65532:65532, effective 65532:65532, saved 65532:65532, groups 0"
            )
        );
    }

    #[test]
    fn an_image_started_as_root_cannot_claim_a_user_for_every_run() {
        assert!(starts_as("image", NONROOT, "65532:65532").is_ok());
        assert!(starts_as("image", NONROOT, "nonroot").is_ok());
        let message = starts_as("image", NONROOT, "")
            .err()
            .map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "image\n  user the engine starts it as: expected 65532:65532, observed root (no USER)"
            )
        );
        assert!(starts_as("image", NONROOT, "0:0").is_err());
        assert!(starts_as("image", NONROOT, "root").is_err());
    }
}
