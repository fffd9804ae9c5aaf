//! The probe layer: everything that talks to the Docker engine. It takes
//! images by reference (a tag, `name@sha256:…` or an image ID) and knows
//! nothing of calc, so it serves any image.

pub mod build;
pub mod cleanup;
pub mod confinement;
pub mod engine;
pub mod engine_facts;
pub mod filesystem;
pub mod image;
pub mod layer_bytes;
pub mod once;
pub mod processes;
pub mod progress;
pub mod reaper;
pub mod resident;
pub mod run;
