//! The README shows real code: every line of each of its Rust blocks stands,
//! in the same order, in the source file the text just before the block
//! names. A block whose code changed in the source fails here.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// Each ```rust block, with the last path of a `.rs` file named before it.
fn rust_blocks(readme: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut named = String::new();
    let mut rest = readme;
    while let Some(start) = rest.find("```rust\n") {
        let before = &rest[..start];
        if let Some(path) = before
            .split(['`', ' ', '(', ')', '\n'])
            .rfind(|word| word.contains('/') && word.ends_with(".rs"))
        {
            named = path.to_owned();
        }
        let body_start = start + "```rust\n".len();
        let Some(length) = rest[body_start..].find("```") else {
            break;
        };
        blocks.push((
            named.clone(),
            rest[body_start..body_start + length].to_owned(),
        ));
        rest = &rest[body_start + length + 3..];
    }
    blocks
}

/// Whether every non-blank line of `block`, except `// …` elisions, appears
/// in `source` in the same order.
fn stands_in(block: &str, source: &str) -> Result<(), String> {
    let mut lines = source.lines();
    for wanted in block.lines().filter(|line| !line.trim().is_empty()) {
        if wanted.trim() == "// …" {
            continue;
        }
        if !lines.any(|line| line == wanted) {
            return Err(wanted.to_owned());
        }
    }
    Ok(())
}

#[test]
fn every_rust_block_of_the_readme_is_code_of_the_file_it_names() {
    let readme = read("README.md");
    let blocks = rust_blocks(&readme);
    assert!(!blocks.is_empty(), "the README has no Rust block");
    for (path, block) in blocks {
        assert!(
            !path.is_empty(),
            "a Rust block of the README names no file before it:\n{block}"
        );
        if let Err(line) = stands_in(&block, &read(&path)) {
            panic!(
                "the README shows code from {path} that is not there (or not in that order):\n  {line}"
            );
        }
    }
}

#[test]
fn a_block_that_differs_from_its_file_is_found() {
    let source = "fn a() {\n    one();\n    two();\n}\n";
    assert_eq!(stands_in("fn a() {\n    two();\n}\n", source), Ok(()));
    assert_eq!(
        stands_in("    two();\n    one();\n", source),
        Err("    one();".to_owned())
    );
    assert_eq!(
        stands_in("    three();\n", source),
        Err("    three();".to_owned())
    );
}
