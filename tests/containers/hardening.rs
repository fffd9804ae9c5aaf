//! Property 5, hardened run: the minimal images work unchanged with a read-only root,
//! no capabilities, no privilege escalation, no network, 8 processes and 16 MiB.

use crate::images::{Image, built};
use crate::run::{one_shot, one_shot_of, prints_only, run_to_exit};
use crate::{block_on, pass};
use rstest::rstest;
use testcontainers::GenericImage;
use testcontainers::core::{ContainerRequest, ImageExt};

pub const PIDS_LIMIT: i64 = 8;
pub const MEMORY_LIMIT_BYTES: i64 = 16 * 1024 * 1024;

/// `--read-only --cap-drop ALL --security-opt no-new-privileges --network none
/// --pids-limit 8 --memory 16m --memory-swap 16m`.
fn hardened(request: ContainerRequest<GenericImage>) -> ContainerRequest<GenericImage> {
    request
        .with_readonly_rootfs(true)
        .with_cap_drop("ALL")
        .with_security_opt("no-new-privileges")
        .with_network("none")
        .with_host_config_modifier(|host| {
            host.pids_limit = Some(PIDS_LIMIT);
            host.memory = Some(MEMORY_LIMIT_BYTES);
            // Equal to the memory limit: no swap on top of it.
            host.memory_swap = Some(MEMORY_LIMIT_BYTES);
        })
}

#[rstest]
fn minimal_image_computes_under_a_hardened_run(
    #[values(Image::Scratch, Image::Nonroot)] image: Image,
) {
    block_on(async {
        let run = hardened(one_shot(image, &["2", "^", "10", "-", "1000"]));
        pass(prints_only(image, run, "24\n", "hardened run of 2 ^ 10 - 1000").await);
    });
}

/// The control: the restrictions are really in force, as a shell in the
/// bloated image finds when it tries to write to its root file system.
#[test]
fn hardened_run_forbids_writing_the_root_file_system() {
    block_on(async {
        let image = Image::Bloated;
        built(image).await;
        let shell =
            GenericImage::new(crate::images::REPOSITORY, image.tag()).with_entrypoint("/bin/sh");
        let request = hardened(one_shot_of(shell, &["-c", "echo probe > /probe"]));
        let observed = run_to_exit(request)
            .await
            .unwrap_or_else(|problem| panic!("{image}: {problem}"));
        assert_ne!(
            observed.code, 0,
            "{image}: writing / succeeded under --read-only"
        );
        assert!(
            observed.stderr.contains("Read-only file system"),
            "{image}: stderr {:?}, expected \"Read-only file system\"",
            observed.stderr
        );
    });
}
