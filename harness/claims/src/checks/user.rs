//! Every process of a running container runs as the claimed user: its
//! real, effective and saved IDs all, and no supplementary group but the
//! claimed one.

use crate::row::User;
use crate::users::Resolved;
use crate::verdict::{Mismatch, Problem, plain};
use image_probe::processes::{Ids, ProcessUser};

/// The image's `USER` in words: `USER 00:00`, or `no USER`.
fn user_line(configured: &str) -> String {
    if configured.is_empty() {
        "no USER".to_owned()
    } else {
        format!("USER {configured}")
    }
}

/// The engine starts every process as the claimed user: the image's `USER`,
/// resolved as runc resolves it (see `users.rs`), is the claimed uid and
/// gid. An image started as root that drops its privileges in its
/// entrypoint decides per run, and a run with other arguments than the
/// resident's may keep root; the observed processes are the resident's.
pub fn starts_as(
    image: &str,
    claimed: User,
    configured: &str,
    resolved: &Result<Resolved, String>,
) -> Result<(), Mismatch> {
    let observed = match resolved {
        Err(refused) => Some(format!("none: {}: {refused}", user_line(configured))),
        Ok(resolved) if (resolved.uid, resolved.gid) != (claimed.uid, claimed.gid) => {
            let who = if resolved.uid == 0 {
                format!("root, {resolved}")
            } else {
                resolved.to_string()
            };
            let mapped = if resolved.mapped_by.is_empty() {
                String::new()
            } else {
                format!(", mapped by {}", resolved.mapped_by.join("; "))
            };
            Some(format!("{who} ({}{mapped})", user_line(configured)))
        }
        Ok(_) => None,
    };
    let problems = observed
        .map(|observed| {
            Problem::new(
                "user the engine starts it as",
                plain(claimed),
                plain(observed),
            )
        })
        .into_iter()
        .collect();
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
    use crate::users::resolve;

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

    fn started(configured: &str, passwd: &str) -> Result<(), String> {
        let resolved = resolve(configured, Some(passwd), None);
        starts_as("image", NONROOT, configured, &resolved).map_err(|mismatch| mismatch.to_string())
    }

    #[test]
    fn an_image_started_as_root_by_any_spelling_cannot_claim_a_user() {
        let passwd = "root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/:/sbin/nologin\n";
        assert!(started("65532:65532", passwd).is_ok());
        assert!(started("nonroot", passwd).is_ok());
        assert_eq!(
            started("", passwd).err().as_deref(),
            Some(
                "image\n  user the engine starts it as: expected 65532:65532, observed root, 0:0 \
                 (no USER, mapped by /etc/passwd: root:x:0:0::/root:/sbin/nologin)"
            )
        );
        for root in ["0:0", "root", "00:00", "0000"] {
            assert!(started(root, passwd).is_err(), "{root}");
        }
        let lying = "nonroot:x:0:0::/:/sbin/nologin\n";
        assert_eq!(
            started("nonroot", lying).err().as_deref(),
            Some(
                "image\n  user the engine starts it as: expected 65532:65532, observed root, 0:0 \
                 (USER nonroot, mapped by /etc/passwd: nonroot:x:0:0::/:/sbin/nologin)"
            )
        );
        let unknown = started("ghost", passwd).err().unwrap_or_default();
        assert!(
            unknown.contains("observed none: USER ghost: the user \"ghost\" is not in"),
            "{unknown}"
        );
    }
}
