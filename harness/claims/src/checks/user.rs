//! Every process of a running container runs as the claimed user.

use crate::row::User;
use crate::verdict::{Mismatch, Problem, plain};
use image_probe::processes::ProcessUser;

pub fn runs_as(image: &str, claimed: User, processes: &[ProcessUser]) -> Result<(), Mismatch> {
    if processes.is_empty() {
        let none = Problem::new("processes", plain("at least one"), plain("none"));
        return Mismatch::verdict(image, vec![none]);
    }
    let problems = processes
        .iter()
        .filter(|process| process.uid != claimed.uid || process.gid != claimed.gid)
        .map(|process| {
            Problem::new(
                format!("user of process {}", process.command),
                plain(claimed),
                plain(format!("{}:{}", process.uid, process.gid)),
            )
        })
        .collect();
    Mismatch::verdict(image, problems)
}
