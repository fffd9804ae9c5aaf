//! What a Docker engine shows of a container image from the outside: runs
//! and their output, `docker exec` in a resident container, the users of its
//! processes, its files, its layers and sizes, and builds from a Dockerfile.
//!
//! This is the lowest layer of the image-claims harness. It takes images by
//! reference (a tag, `name@sha256:…` or an image ID) and knows nothing of
//! rows, claims or verdicts, which live in the `image-claims` crate above
//! it: a crate boundary, so this layer cannot name them.
//!
//! Everything goes through one [`Engine`], which owns the client, the
//! engine's facts, the resident containers and the reaper that removes this
//! run's containers if the process is killed.

pub mod argv0;
pub mod audit;
pub mod backstop;
pub mod build;
pub mod capabilities;
pub mod cleanup;
pub mod confinement;
pub mod deadline;
pub mod engine;
pub mod error;
pub mod facts;
pub mod filesystem;
pub mod health;
pub mod image;
pub mod image_file;
pub mod inventory;
pub mod layer_bytes;
pub mod network;
pub mod offers;
pub mod once;
pub mod outcome;
pub mod pax;
pub mod processes;
pub mod progress;
pub mod readiness;
pub mod reaper;
pub mod resident;
pub mod run;
pub mod signal_state;
pub mod signatures;
pub mod stop;
pub mod tar_stream;

pub use confinement::Confinement;
pub use engine::Engine;
pub use error::ProbeError;
pub use facts::{Architecture, EngineFacts, ImageStore, Runtime};
pub use image::{ImageConfig, ImageFacts, ImageId};
pub use outcome::Outcome;
