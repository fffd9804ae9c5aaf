//! One image under test, as data: where the image comes from and what it
//! claims. The suite's tests read rows and nothing else, so adding an image is
//! adding a row to the table in `images.rs`.

use std::fmt;

pub struct ImageRow {
    /// A short name for tests and the report. The environment variable
    /// `CALC_IMAGE_<NAME>` (upper case) replaces the row's image by another
    /// reference, which is then checked instead of building it.
    pub name: &'static str,
    pub source: Source,
    /// The program's path inside the image, for `docker exec`.
    pub program: &'static str,
    /// A run of the program that must print `stdout` and nothing else.
    pub smoke: Smoke,
    pub claims: Claims,
    /// A negative control states the claims a good image makes, and the
    /// suite proves that each of its checks fails on it, for the right reason.
    pub negative_control: bool,
}

/// How the suite obtains the image.
pub enum Source {
    /// Built from this repository by the suite, as `tag`.
    Dockerfile {
        file: &'static str,
        tag: &'static str,
        /// The images its stages start FROM, made present before the build.
        bases: &'static [&'static str],
        /// The files and directories the build context holds.
        context: &'static [&'static str],
    },
    /// An image the suite does not build: a tag or `name@sha256:…`, already
    /// in the engine or pullable.
    Reference(&'static str),
}

/// A command line and what it prints.
pub struct Smoke {
    pub args: &'static [&'static str],
    pub stdout: &'static str,
}

/// What the image must show from the outside.
pub struct Claims {
    /// The uid and gid every process of a running container has.
    pub user: Option<User>,
    /// No shell file in the image, and `docker exec` of one fails.
    pub no_shell: bool,
    /// No setuid or setgid file.
    pub no_setuid: bool,
    /// Its file system is its program alone (besides what Docker adds).
    pub only_program: bool,
    /// How large the image may be.
    pub size: Option<Budget>,
    /// The smoke run works under [`crate::properties::hardening`]'s flags.
    pub hardened: bool,
    /// The program runs under the repository's seccomp profile with the
    /// hardened flags: the smoke run and the whole specification
    /// ([`crate::properties::seccomp`]).
    pub seccomp: bool,
    /// Rebuilding the Dockerfile gives the same top layer (the program's).
    pub reproducible: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// A budget for each architecture the image is built for: the same program
/// compiles to different sizes (aarch64's fixed 4-byte instructions make its
/// code larger than x86_64's), so each gets its own.
pub enum Budget {
    /// At most this many bytes in all.
    Bytes(PerArchitecture<u64>),
    /// At most this many bytes over its base image: the first of `bases`
    /// present in the engine with the image's architecture. Several names,
    /// because an engine keeps one image per tag: where the multi-arch tag
    /// holds another architecture, a per-architecture tag stands in.
    OverBase {
        bases: &'static [&'static str],
        bytes: PerArchitecture<u64>,
    },
}

/// One value for each architecture calc's images are built for.
#[derive(Clone, Copy)]
pub struct PerArchitecture<T> {
    pub amd64: T,
    pub arm64: T,
}

impl<T: Copy> PerArchitecture<T> {
    /// The value for an image config's architecture (`amd64`, `arm64`).
    pub fn of(&self, architecture: &str) -> Option<T> {
        match architecture {
            "amd64" => Some(self.amd64),
            "arm64" => Some(self.arm64),
            _ => None,
        }
    }
}

impl ImageRow {
    /// The environment variable that gives this row's image by reference.
    pub fn reference_variable(&self) -> String {
        format!("CALC_IMAGE_{}", self.variable_suffix())
    }

    /// The environment variable that gives, for a row given by reference,
    /// a second build of the same Dockerfile to prove reproducibility with,
    /// where the suite cannot rebuild it itself (an image of another
    /// architecture than the engine's).
    pub fn rebuilt_variable(&self) -> String {
        format!("CALC_REBUILT_{}", self.variable_suffix())
    }

    fn variable_suffix(&self) -> String {
        self.name.to_uppercase().replace('-', "_")
    }
}
