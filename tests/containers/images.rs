//! calc's images: the table of rows the suite checks. Each row is one image
//! and everything the suite needs to know of it; the `image_table!` macro
//! makes from the rows both [`ALL`] and the `every_image` rstest template, so
//! a row added here is checked by every property without another edit.

use crate::row::{Budget, Claims, ImageRow, PerArchitecture, Smoke, Source, User};
use rstest_reuse::template;

/// What the build context holds for every Dockerfile of this repository.
const CONTEXT: &[&str] = &["Cargo.toml", "Cargo.lock", "src"];

/// distroless's nonroot user and group, which the scratch image uses by number.
pub const NONROOT_USER: User = User {
    uid: 65532,
    gid: 65532,
};

/// The scratch image's budget: its size on 2026-11-24 plus under 10%, so that
/// a regression fails. amd64: 37,720 B, budget 40 KiB (+8.6%). arm64: 42,640 B,
/// budget 45 KiB (+8.1%); aarch64's code is larger (fixed 4-byte instructions,
/// and constants built in registers over several instructions).
pub const SCRATCH_MAX_BYTES: PerArchitecture<u64> = PerArchitecture {
    amd64: 40 * 1024,
    arm64: 45 * 1024,
};
/// What the nonroot image may add to its distroless base: the same /calc.
pub const NONROOT_MAX_ADDED_BYTES: PerArchitecture<u64> = SCRATCH_MAX_BYTES;

const DEBIAN_SLIM: &str = "debian:bookworm-slim";
const DISTROLESS_NONROOT: &str = "gcr.io/distroless/static-debian12:nonroot";
/// distroless's own tag for its arm64 image, which `tools/seed-base-images
/// --arch arm64` makes where no registry answers.
const DISTROLESS_NONROOT_ARM64: &str = "gcr.io/distroless/static-debian12:nonroot-arm64";

/// The hardened run's smoke test: a few operators, one line out.
pub const SMOKE: Smoke = Smoke {
    args: &["2", "^", "10", "-", "1000"],
    stdout: "24\n",
};

/// What a minimal image of calc claims; the control claims the same and fails.
pub const MINIMAL: Claims = Claims {
    user: Some(NONROOT_USER),
    no_shell: true,
    no_setuid: true,
    only_program: true,
    size: Some(Budget::Bytes(SCRATCH_MAX_BYTES)),
    hardened: true,
    seccomp: true,
    reproducible: true,
};

macro_rules! image_table {
    ($($case:ident => $name:ident = $row:expr;)+) => {
        $(pub static $name: ImageRow = $row;)+

        /// Every row, in the order the report lists them.
        pub static ALL: &[&ImageRow] = &[$(&$name),+];

        /// `#[apply(every_image)]` runs a test once for each row, named after it.
        #[template]
        #[rstest]
        $(#[case::$case(&crate::images::$name)])+
        pub fn every_image(#[case] image: &'static ImageRow) {}
    };
}

image_table! {
    scratch => SCRATCH = ImageRow {
        name: "scratch",
        source: Source::Dockerfile {
            file: "Dockerfile",
            tag: "calc:scratch",
            bases: &[DEBIAN_SLIM],
            context: CONTEXT,
        },
        program: "/calc",
        smoke: SMOKE,
        claims: MINIMAL,
        negative_control: false,
    };
    nonroot => NONROOT_IMAGE = ImageRow {
        name: "nonroot",
        source: Source::Dockerfile {
            file: "Dockerfile.nonroot",
            tag: "calc:nonroot",
            bases: &[DEBIAN_SLIM, DISTROLESS_NONROOT],
            context: CONTEXT,
        },
        program: "/calc",
        smoke: SMOKE,
        claims: Claims {
            // distroless brings /etc, CA certificates and time zones.
            only_program: false,
            // Its top layer is the scratch image's /calc, from the same build
            // stage: rebuilding it too would double the warm run's one long step.
            reproducible: false,
            size: Some(Budget::OverBase {
                bases: &[DISTROLESS_NONROOT, DISTROLESS_NONROOT_ARM64],
                bytes: NONROOT_MAX_ADDED_BYTES,
            }),
            ..MINIMAL
        },
        negative_control: false,
    };
    bloated => BLOATED = ImageRow {
        name: "bloated",
        source: Source::Dockerfile {
            file: "Dockerfile.bloated",
            tag: "calc:bloated",
            bases: &["debian:bookworm"],
            context: CONTEXT,
        },
        program: "/app/target/release/calc",
        smoke: SMOKE,
        claims: MINIMAL,
        negative_control: true,
    };
}
