//! An image the suite did not build, checked by every property all the same:
//! how a pushed image is verified, and the worked example of the README's
//! "Adding an image". Here the given image is the scratch image under
//! another name, as a registry would hand it back.

use crate::block_on;
use crate::images::{MINIMAL, SCRATCH, SMOKE};
use crate::probe::image::temporary_tag;
use crate::properties::{OrFail, arithmetic, files, hardening, seccomp, shell, size, user};
use crate::row::{Claims, ImageRow, Source};
use crate::subject::subject;

/// The name the scratch image is given under for the example.
const GIVEN_REFERENCE: &str = "calc-given:scratch";

/// A fourth row: an image given by reference, with the claims of a minimal image.
pub static GIVEN: ImageRow = ImageRow {
    name: "scratch-given",
    source: Source::Reference(GIVEN_REFERENCE),
    program: "/calc",
    smoke: SMOKE,
    claims: Claims {
        // Reproducibility is a claim about a Dockerfile, and this row has none.
        reproducible: false,
        ..MINIMAL
    },
    negative_control: false,
};

#[test]
fn an_image_given_by_reference_passes_every_check_without_a_build() {
    block_on(async {
        let scratch = subject(&SCRATCH).await;
        let _tag = temporary_tag(scratch.image(), GIVEN_REFERENCE)
            .await
            .or_fail(scratch);
        let given = subject(&GIVEN).await;
        assert!(
            given.given && given.facts.id == scratch.facts.id,
            "{given}: expected the image {} taken as given, observed image {} {}",
            scratch.facts.id,
            given.facts.id,
            if given.given { "given" } else { "built" }
        );
        // Every property of the table's rows, in the order of properties/.
        arithmetic::docker_run_passes_arguments_to_the_entrypoint(&GIVEN).await;
        arithmetic::docker_run_interactive_evaluates_stdin_lines(&GIVEN).await;
        files::image_holds_only_its_program(&GIVEN).await;
        files::program_is_the_only_layer(&GIVEN).await;
        files::image_has_no_setuid_file(&GIVEN).await;
        hardening::smoke_run_works_under_the_hardened_flags(&GIVEN).await;
        seccomp::smoke_run_works_under_the_seccomp_profile(&GIVEN).await;
        shell::image_has_no_shell_file(&GIVEN).await;
        shell::no_shell_runs_in_the_container(&GIVEN).await;
        size::image_is_within_its_size_budget(&GIVEN).await;
        user::process_runs_as_the_claimed_user(&GIVEN).await;
    });
}
