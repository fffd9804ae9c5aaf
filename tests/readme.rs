//! The README and the book (docs/src) show real code and lead somewhere:
//! - every line of each Rust block stands, in the same order, in the source
//!   file the text just before the block names, so a block whose code
//!   changed in the source fails here;
//! - every link resolves: a file or directory of the repository, and its
//!   heading when it names one (`page.md#heading`). A page of the book links
//!   only inside the book, or to this repository on GitHub by a path that
//!   exists; other sites are not fetched (no network here);
//! - every page of the book is in its SUMMARY.md, or mdBook leaves it out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The book's pages, relative to the repository.
const BOOK: &str = "docs/src";

/// This repository on GitHub: a link under it names a file of the checkout.
const REPOSITORY_ON_GITHUB: &str = "https://github.com/calc-containers/calc/blob/main/";

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

/// The README and every page of the book, relative to the repository.
fn documents() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<String> = std::fs::read_dir(root.join(BOOK))
        .unwrap_or_else(|error| panic!("cannot list {BOOK}: {error}"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("{BOOK}/{name}"))
        .collect();
    pages.sort();
    pages.insert(0, "README.md".to_owned());
    pages
}

#[test]
fn every_rust_block_of_the_readme_and_the_book_is_code_of_the_file_it_names() {
    let mut blocks_seen = 0;
    for document in documents() {
        for (path, block) in rust_blocks(&read(&document)) {
            blocks_seen += 1;
            assert!(
                !path.is_empty(),
                "a Rust block of {document} names no file before it:\n{block}"
            );
            if let Err(line) = stands_in(&block, &read(&path)) {
                panic!(
                    "{document} shows code from {path} that is not there (or not in that order):\n  {line}"
                );
            }
        }
    }
    assert!(
        blocks_seen > 0,
        "neither the README nor the book has a Rust block"
    );
}

/// The lines of a Markdown document outside its fenced code blocks.
fn prose_lines(document: &str) -> Vec<&str> {
    let mut in_block = false;
    document
        .lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_block = !in_block;
                return false;
            }
            !in_block
        })
        .collect()
}

/// The targets of a document's links, `[text](target)`, outside code.
fn links(document: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(document) {
        // Code spans hold brackets that are no links.
        let text: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// The id mdBook and GitHub give a heading: lower case, letters, digits,
/// `-` and `_` kept, white space as `-`, the rest dropped.
fn heading_id(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_lowercase().next()?),
            c if c.is_whitespace() => Some('-'),
            _ => None,
        })
        .collect()
}

/// The ids of a Markdown document's headings, outside code.
fn heading_ids(document: &str) -> BTreeSet<String> {
    prose_lines(document)
        .into_iter()
        .filter(|line| line.starts_with('#'))
        .map(|line| heading_id(line.trim_start_matches('#')))
        .collect()
}

/// Why `target`, linked from the document at `from`, leads nowhere; `None`
/// if it resolves.
fn broken(from: &str, target: &str) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let in_book = from.starts_with(BOOK);
    if let Some(path) = target.strip_prefix(REPOSITORY_ON_GITHUB) {
        let path = path.split('#').next().unwrap_or(path);
        return (!root.join(path).exists()).then(|| format!("{path} is not in the repository"));
    }
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let directory = Path::new(from).parent().unwrap_or(Path::new(""));
    let file: PathBuf = if path.is_empty() {
        PathBuf::from(from)
    } else {
        normalise(&directory.join(path))
    };
    if in_book && !file.starts_with(BOOK) {
        return Some(format!(
            "{} is outside the book: link it as {REPOSITORY_ON_GITHUB}{}",
            file.display(),
            file.display()
        ));
    }
    if !root.join(&file).exists() {
        return Some(format!("{} does not exist", file.display()));
    }
    let anchor = anchor?;
    let ids = heading_ids(&read(&file.to_string_lossy()));
    (!ids.contains(anchor)).then(|| format!("{} has no heading #{anchor}", file.display()))
}

/// `path` with its `..` and `.` resolved, as text.
fn normalise(path: &Path) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str()),
        }
    }
    parts.iter().collect()
}

#[test]
fn every_link_of_the_readme_and_the_book_resolves() {
    let mut problems = Vec::new();
    for document in documents() {
        for target in links(&read(&document)) {
            if let Some(why) = broken(&document, &target) {
                problems.push(format!("{document}: ({target}): {why}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "links that lead nowhere:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_page_of_the_book_is_in_its_summary() {
    let summary = read(&format!("{BOOK}/SUMMARY.md"));
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for page in documents()
        .iter()
        .filter_map(|page| page.strip_prefix(&format!("{BOOK}/")))
    {
        if page != "SUMMARY.md" {
            assert!(
                listed.contains(page),
                "{BOOK}/{page} is not in SUMMARY.md, so the book leaves it out"
            );
        }
    }
}

#[test]
fn a_link_that_leads_nowhere_is_found() {
    assert_eq!(
        broken("README.md", "docs/src/rows.md#the-key-that-is-not"),
        Some("docs/src/rows.md has no heading #the-key-that-is-not".to_owned())
    );
    assert_eq!(
        broken("README.md", "docs/src/no-such-page.md"),
        Some("docs/src/no-such-page.md does not exist".to_owned())
    );
    assert_eq!(
        broken("docs/src/rows.md", "../../Dockerfile"),
        Some(format!(
            "Dockerfile is outside the book: link it as {REPOSITORY_ON_GITHUB}Dockerfile"
        ))
    );
    assert_eq!(
        broken(
            "docs/src/rows.md",
            "https://github.com/calc-containers/calc/blob/main/no-such-file"
        ),
        Some("no-such-file is not in the repository".to_owned())
    );
    assert_eq!(
        broken("README.md", "docs/src/rows.md#checking-your-own-image"),
        None
    );
    assert_eq!(
        heading_id("Only the system calls calc needs: `seccomp.json`"),
        "only-the-system-calls-calc-needs-seccompjson"
    );
    assert_eq!(
        links("see [a](x.md) and `[b](y.md)`\n```\n[c](z.md)\n```\n"),
        vec!["x.md"]
    );
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
