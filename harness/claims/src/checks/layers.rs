//! Reproducibility: two images share their top layer, the one with the program.

use crate::verdict::{Mismatch, Problem, plain};

/// `first` and `second` are (reference, top layer digest).
pub fn same_top_layer(first: (&str, &str), second: (&str, &str)) -> Result<(), Mismatch> {
    let problems = if first.1 == second.1 {
        vec![]
    } else {
        vec![Problem::new(
            format!("top layer of {}", second.0),
            plain(format!("{} (the top layer of {})", first.1, first.0)),
            plain(second.1),
        )]
    };
    Mismatch::verdict(first.0, problems)
}

/// The image has as many layers as it claims.
pub fn layer_count(image: &str, claimed: usize, layer_digests: &[String]) -> Result<(), Mismatch> {
    let problems = if layer_digests.len() == claimed {
        vec![]
    } else {
        vec![Problem::new(
            "layers",
            plain(format!("{claimed} layers")),
            plain(format!("{} layers", layer_digests.len())),
        )]
    };
    Mismatch::verdict(image, problems)
}
