//! Seccomp allowlists: a profile as the engine takes it, read for who needs
//! each call, and derived from what an image is seen to call.

pub mod deciding;
pub mod derive;
pub mod profile;
