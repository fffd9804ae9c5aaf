//! Hardened run: the smoke run works unchanged with a read-only root, no
//! capabilities, no privilege escalation, no network, 8 processes and 16 MiB.
//!
//! A negative control cannot fail this (an image that computes under these
//! flags is not made worse by them), so on a control the test proves the
//! flags themselves: a shell in it may write to `/` in a plain run and is
//! refused under the flags.

use super::{OrFail, expect_outcome};
use crate::probe::confinement::Confinement;
use crate::probe::run::{generic_image, one_shot, one_shot_of, run_to_exit};
use crate::row::ImageRow;
use crate::spec::Outcome;
use crate::subject::{Subject, subject};

pub const PIDS_LIMIT: i64 = 8;
pub const MEMORY_LIMIT_BYTES: i64 = 16 * 1024 * 1024;

/// What a shell in the control tries, and what the kernel says under the flags.
const WRITE_TO_ROOT: &[&str] = &["-c", "echo probe > /probe"];
const READ_ONLY_ERROR: &str = "Read-only file system";

/// `--read-only --cap-drop ALL --security-opt no-new-privileges --network none
/// --pids-limit 8 --memory 16m --memory-swap 16m`.
pub const HARDENED: Confinement = Confinement {
    locked_down: true,
    pids_limit: Some(PIDS_LIMIT),
    memory_bytes: Some(MEMORY_LIMIT_BYTES),
    nano_cpus: None,
    seccomp_profile: None,
};

pub async fn smoke_run_works_under_the_hardened_flags(image: &'static ImageRow) {
    if !image.claims.hardened {
        return;
    }
    let subject = subject(image).await;
    if image.negative_control {
        prove_the_flags_bite(subject).await;
        return;
    }
    let run = HARDENED.confine(one_shot(subject.image(), image.smoke.args));
    let observed = run_to_exit(run).await.or_fail(subject);
    let expected = Outcome::from_streams(image.smoke.stdout.as_bytes(), b"", 0);
    let what = format!("hardened run of {}", image.smoke.args.join(" "));
    expect_outcome(subject, &what, &observed, &expected);
}

async fn prove_the_flags_bite(subject: &Subject) {
    let shell = || generic_image(subject.image()).with_entrypoint("/bin/sh");
    let plain = run_to_exit(one_shot_of(shell(), WRITE_TO_ROOT))
        .await
        .or_fail(subject);
    assert_eq!(
        plain.code, 0,
        "{subject}: a shell could not write to / even without the hardened flags, \
         so refusing it under them proves nothing:\n{}",
        plain.stderr
    );
    let refused = run_to_exit(HARDENED.confine(one_shot_of(shell(), WRITE_TO_ROOT)))
        .await
        .or_fail(subject);
    assert!(
        refused.code != 0 && refused.stderr.contains(READ_ONLY_ERROR),
        "{subject}: under the hardened flags a shell's write to / gave exit code {} and \
         stderr \"{}\", expected a failure saying \"{READ_ONLY_ERROR}\"",
        refused.code,
        refused.stderr.trim_end()
    );
}

tests_for_every_image!(smoke_run_works_under_the_hardened_flags);
