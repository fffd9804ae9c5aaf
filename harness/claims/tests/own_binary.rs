//! The image-claims binary holds the marks of every shell and interpreter
//! it recognises, reversed, so that an image shipping it (its own image,
//! say) is not taken for all of them.

use image_probe::inventory::{Classifier, Content, Elf};

#[test]
fn the_image_claims_binary_is_taken_for_no_shell_or_interpreter() {
    let path = env!("CARGO_BIN_EXE_image-claims");
    let file = std::fs::File::open(path).expect("the image-claims binary reads");
    let classifier = Classifier::new().expect("the marks make an automaton");
    let reading = classifier
        .read(file)
        .expect("the image-claims binary reads");
    assert_eq!(reading.identified, Vec::new(), "{path}");
    assert!(
        matches!(reading.content, Content::Elf(Elf { program: true, .. })),
        "{path}: {:?}",
        reading.content
    );
}
