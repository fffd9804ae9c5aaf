//! What a file is, read from its bytes as they stream out of an export, not
//! from its name or where it sits: an ELF program (its machine, whether it
//! is linked statically, its loader), a script (its `#!` line), and any
//! known shell or interpreter it is ([`crate::signatures`]), BusyBox with
//! the applets it holds, read from its own list of them.
//!
//! A file is read in chunks, each searched together with the end of the
//! one before, so memory stays bounded whatever its size, and at most
//! [`MAX_SCANNED_BYTES`] of it are searched.

use crate::signatures::{
    BUSYBOX_APPLETS, BUSYBOX_INTERPRETERS, BUSYBOX_SHELLS, BUSYBOX_VERSION, ProgramKind, Proof,
    SIGNATURES,
};
use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;
use std::io::Read;

/// How much of one file is searched. The largest program known here, a
/// static node, is about 100 MB; past this a file's rest is skipped.
pub const MAX_SCANNED_BYTES: u64 = 256 * 1024 * 1024;
/// The bytes read at once.
const CHUNK_BYTES: usize = 256 * 1024;
/// How much of BusyBox's applet list is read: 400 names, generously.
const MAX_APPLET_LIST_BYTES: usize = 16 * 1024;
/// How much of a version line, or of a `#!` line, is kept.
const MAX_LINE_BYTES: usize = 160;
/// What each chunk is searched together with, of the one before: enough
/// for the longest mark and the applet list after it.
const OVERLAP_BYTES: usize = MAX_APPLET_LIST_BYTES + 256;

/// An ELF file, as its headers say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// `x86-64`, `aarch64`, …
    pub machine: String,
    /// A program the kernel runs (ET_EXEC, or with a loader), not a library.
    pub program: bool,
    /// The loader it names (PT_INTERP); `None`: linked statically.
    pub loader: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Elf(Elf),
    /// A script, with its `#!` line.
    Script(String),
    Other,
}

/// A known shell or interpreter a file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    /// The program, as its bytes name it: `BusyBox v1.35.0 (Debian …)`, `dash`.
    pub program: String,
    pub kind: ProgramKind,
    /// Why: the applet or the string found.
    pub because: String,
    pub proof: Proof,
}

/// What one file's bytes said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub content: Content,
    pub identified: Vec<Identified>,
}

/// What each mark of the automaton stands for.
#[derive(Clone, Copy)]
enum Role {
    Signature(usize),
    BusyboxVersion,
    BusyboxApplets,
}

/// Reads files for every known mark at once.
pub struct Classifier {
    automaton: AhoCorasick,
    roles: Vec<Role>,
}

impl Classifier {
    pub fn new() -> Result<Classifier, String> {
        let mut patterns = vec![BUSYBOX_VERSION.bytes(), BUSYBOX_APPLETS.bytes()];
        let mut roles = vec![Role::BusyboxVersion, Role::BusyboxApplets];
        for (index, signature) in SIGNATURES.iter().enumerate() {
            for mark in signature.marks {
                patterns.push(mark.bytes());
                roles.push(Role::Signature(index));
            }
        }
        let automaton = AhoCorasick::new(&patterns).map_err(|e| e.to_string())?;
        Ok(Classifier { automaton, roles })
    }

    /// Reads a file's bytes, at most [`MAX_SCANNED_BYTES`] of them. Only an
    /// ELF file is searched past its first chunk: only a program is a shell
    /// (a C header or a Perl module that names perl_parse is not perl).
    pub fn read(&self, file: impl Read) -> std::io::Result<Reading> {
        let mut file = file.take(MAX_SCANNED_BYTES);
        let mut found = Found::default();
        let mut window: Vec<u8> = Vec::with_capacity(OVERLAP_BYTES + CHUNK_BYTES);
        let mut content = None;
        loop {
            let kept = window.len();
            window.resize(kept + CHUNK_BYTES, 0);
            let read = fill(&mut file, &mut window[kept..])?;
            window.truncate(kept + read);
            let end = read < CHUNK_BYTES;
            if content.is_none() {
                let first = content_of(&window);
                if !matches!(first, Content::Elf(_)) {
                    return Ok(Reading {
                        content: first,
                        identified: Vec::new(),
                    });
                }
                content = Some(first);
            }
            self.search(&window, end, &mut found);
            if end {
                break;
            }
            let drop = window.len().saturating_sub(OVERLAP_BYTES);
            window.drain(..drop);
        }
        Ok(Reading {
            content: content.unwrap_or(Content::Other),
            identified: found.identified(),
        })
    }

    /// Notes every mark in `window`. A mark whose text runs past the
    /// window's end is read again with the next chunk, which keeps it.
    fn search(&self, window: &[u8], end: bool, found: &mut Found) {
        for hit in self.automaton.find_overlapping_iter(window) {
            let Some(role) = self.roles.get(hit.pattern().as_usize()) else {
                continue;
            };
            let rest = &window[hit.start()..];
            match role {
                Role::Signature(index) => {
                    found.signatures.insert(*index);
                }
                Role::BusyboxVersion if found.busybox.is_none() => {
                    // A version, not a pattern that looks for one ("BusyBox v[\d.]+").
                    let numbered = rest.get(hit.len()).is_some_and(u8::is_ascii_digit);
                    if numbered {
                        found.busybox = terminated(rest, MAX_LINE_BYTES, end)
                            .map(|line| String::from_utf8_lossy(line).into_owned());
                    }
                }
                Role::BusyboxApplets if found.applets.is_none() => {
                    found.applets = applet_names(rest, end);
                }
                _ => {}
            }
        }
    }
}

/// Reads until `buffer` is full or the file ends; the count read.
fn fill(file: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The marks found in one file.
#[derive(Default)]
struct Found {
    signatures: BTreeSet<usize>,
    /// BusyBox's version line.
    busybox: Option<String>,
    /// BusyBox's applets: `Some(empty)` where the list was too long to be one.
    applets: Option<Vec<String>>,
}

impl Found {
    fn identified(self) -> Vec<Identified> {
        let mut identified = Vec::new();
        if let Some(version) = &self.busybox {
            identified.extend(busybox_programs(version, self.applets.as_deref()));
        }
        for index in self.signatures {
            let Some(signature) = SIGNATURES.get(index) else {
                continue;
            };
            identified.push(Identified {
                program: signature.program.to_owned(),
                kind: signature.kind,
                because: format!("it holds {}'s own strings", signature.program),
                proof: signature.proof,
            });
        }
        identified
    }
}

/// What a BusyBox holds: a shell if any of its applets is one (or if its
/// applets could not be read: it may), and each interpreter applet.
fn busybox_programs(version: &str, applets: Option<&[String]>) -> Vec<Identified> {
    let holds = |name: &str| applets.is_none_or(|applets| applets.iter().any(|a| a == name));
    let mut programs = Vec::new();
    let shells: Vec<&str> = BUSYBOX_SHELLS
        .iter()
        .copied()
        .filter(|shell| holds(shell))
        .collect();
    if let Some(first) = shells.first() {
        let because = match applets {
            Some(_) => format!("it holds the applets {}", shells.join(" and ")),
            None => "its list of applets could not be read, so it may hold sh".to_owned(),
        };
        programs.push(Identified {
            program: version.to_owned(),
            kind: ProgramKind::Shell,
            because,
            proof: Proof {
                argv0: first,
                args: &["-c", "exit 42"],
                stdin: None,
            },
        });
    }
    for (applet, proof) in BUSYBOX_INTERPRETERS {
        if holds(applet) {
            programs.push(Identified {
                program: version.to_owned(),
                kind: ProgramKind::Interpreter,
                because: format!("it holds the applet {applet}"),
                proof: *proof,
            });
        }
    }
    programs
}

/// The bytes of `rest` before its first NUL or newline, at most `max`;
/// `None` if they run past the window and more is coming.
fn terminated(rest: &[u8], max: usize, end: bool) -> Option<&[u8]> {
    let line_end = rest.iter().take(max).position(|&b| b == 0 || b == b'\n');
    match line_end {
        Some(at) => Some(&rest[..at]),
        None if end || rest.len() >= max => Some(&rest[..rest.len().min(max)]),
        None => None,
    }
}

/// BusyBox's applet names from the start of its list: NUL-separated, up to
/// an empty one. `None` if the list runs past the window and more is
/// coming; `Some(empty)` if it is not a list after all.
fn applet_names(rest: &[u8], end: bool) -> Option<Vec<String>> {
    let list = &rest[..rest.len().min(MAX_APPLET_LIST_BYTES)];
    let Some(close) = list.windows(2).position(|pair| pair == [0, 0]) else {
        return (end || rest.len() >= MAX_APPLET_LIST_BYTES).then(Vec::new);
    };
    let names: Vec<String> = list[..close]
        .split(|&b| b == 0)
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect();
    let plausible = names.iter().all(|name| {
        !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"[]._-".contains(&b))
    });
    Some(if plausible { names } else { Vec::new() })
}

/// The start of a file: an ELF's headers, or a script's `#!` line.
fn content_of(head: &[u8]) -> Content {
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = terminated(line, MAX_LINE_BYTES, true).unwrap_or_default();
        return Content::Script(String::from_utf8_lossy(line).trim().to_owned());
    }
    elf_of(head).map_or(Content::Other, Content::Elf)
}

/// An ELF header and its program headers, where they lie in `head`.
fn elf_of(head: &[u8]) -> Option<Elf> {
    if !head.starts_with(b"\x7fELF") {
        return None;
    }
    let wide = *head.get(4)? == 2;
    let little = *head.get(5)? == 1;
    let number = |at: usize, width: usize| -> Option<u64> {
        let bytes = head.get(at..at.checked_add(width)?)?;
        let mut value = 0u64;
        for index in 0..width {
            let byte = if little {
                bytes[width - 1 - index]
            } else {
                bytes[index]
            };
            value = (value << 8) | u64::from(byte);
        }
        Some(value)
    };
    let object_type = number(16, 2)?;
    let machine = number(18, 2)?;
    let (phoff, phentsize, phnum) = if wide {
        (number(32, 8)?, number(54, 2)?, number(56, 2)?)
    } else {
        (number(28, 4)?, number(42, 2)?, number(44, 2)?)
    };
    let mut loader = None;
    // A hostile header may point anywhere: every offset is checked, and a
    // program header out of reach ends the search.
    for index in 0..phnum {
        let Some(at) = index
            .checked_mul(phentsize)
            .and_then(|offset| offset.checked_add(phoff))
            .and_then(|at| usize::try_from(at).ok())
        else {
            break;
        };
        const PT_INTERP: u64 = 3;
        let Some(kind) = number(at, 4) else { break };
        if kind != PT_INTERP {
            continue;
        }
        let place = if wide {
            number(at + 8, 8).zip(number(at + 32, 8))
        } else {
            number(at + 4, 4).zip(number(at + 16, 4))
        };
        let path = place.and_then(|(offset, size)| {
            let start = usize::try_from(offset).ok()?;
            let size = usize::try_from(size).ok()?.min(MAX_LINE_BYTES);
            head.get(start..start.checked_add(size)?)
        });
        let path = path.unwrap_or_default();
        let path = path.split(|&b| b == 0).next().unwrap_or_default();
        loader = Some(String::from_utf8_lossy(path).into_owned());
    }
    const ET_EXEC: u64 = 2;
    Some(Elf {
        machine: machine_name(machine),
        program: object_type == ET_EXEC || loader.is_some(),
        loader,
    })
}

fn machine_name(machine: u64) -> String {
    match machine {
        0x03 => "x86".to_owned(),
        0x28 => "arm".to_owned(),
        0x3e => "x86-64".to_owned(),
        0xb7 => "aarch64".to_owned(),
        0xf3 => "riscv".to_owned(),
        0x15 => "ppc64".to_owned(),
        0x16 => "s390".to_owned(),
        other => format!("machine {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64 bytes of an x86-64 ELF program's header, with no program headers.
    fn elf() -> Vec<u8> {
        let mut header = b"\x7fELF\x02\x01\x01".to_vec();
        header.resize(64, 0);
        header[16] = 2; // ET_EXEC
        header[18] = 0x3e; // x86-64
        header
    }

    fn read(bytes: &[u8]) -> Reading {
        let classifier = Classifier::new().expect("the marks make an automaton");
        classifier.read(bytes).expect("a slice reads")
    }

    #[test]
    fn a_busybox_is_named_by_its_version_with_its_shell_and_awk_applets() {
        let mut bytes = elf();
        bytes.extend_from_slice(b"BusyBox v1.35.0 (Debian 1:1.35.0-4)\0");
        bytes.extend_from_slice(b"[\0[[\0ash\0awk\0cat\0sh\0\0rest");
        let reading = read(&bytes);
        let said: Vec<(String, ProgramKind, String)> = reading
            .identified
            .iter()
            .map(|found| (found.program.clone(), found.kind, found.because.clone()))
            .collect();
        let version = "BusyBox v1.35.0 (Debian 1:1.35.0-4)".to_owned();
        assert_eq!(
            said,
            vec![
                (
                    version.clone(),
                    ProgramKind::Shell,
                    "it holds the applets ash and sh".to_owned()
                ),
                (
                    version,
                    ProgramKind::Interpreter,
                    "it holds the applet awk".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_busybox_without_a_shell_applet_is_no_shell() {
        let mut bytes = elf();
        bytes.extend_from_slice(b"BusyBox v1.36.1\0[\0[[\0cat\0ls\0\0");
        assert!(read(&bytes).identified.is_empty());
    }

    #[test]
    fn a_mark_split_between_two_chunks_is_found() {
        let mut bytes = elf();
        bytes.resize(CHUNK_BYTES - 5, b'.');
        bytes.extend_from_slice(b"GNU bash, version 5.2");
        let reading = read(&bytes);
        assert_eq!(
            reading
                .identified
                .first()
                .map(|found| found.program.as_str()),
            Some("bash")
        );
    }

    #[test]
    fn a_program_that_looks_for_busybox_is_not_one() {
        let mut bytes = elf();
        bytes.extend_from_slice(b"pattern: BusyBox v[\\d.]+\0");
        let reading = read(&bytes);
        assert_eq!(reading.identified, Vec::new());
    }

    #[test]
    fn a_text_that_names_a_shell_is_no_shell() {
        let reading = read(b"/* bash prints GNU bash, version 5.2 */\n");
        assert_eq!(reading.identified, Vec::new());
    }

    #[test]
    fn a_hostile_header_pointing_past_the_file_is_read_without_a_loader() {
        let mut bytes = elf();
        bytes[32..40].copy_from_slice(&u64::MAX.to_le_bytes()); // e_phoff
        bytes[54] = 56; // e_phentsize
        bytes[56..58].copy_from_slice(&u16::MAX.to_le_bytes()); // e_phnum
        let reading = read(&bytes);
        assert!(matches!(
            reading.content,
            Content::Elf(Elf {
                loader: None,
                program: true,
                ..
            })
        ));
    }

    #[test]
    fn a_script_is_its_hashbang_line() {
        let reading = read(b"#!/bin/sh -e\nexit 0\n");
        assert_eq!(reading.content, Content::Script("/bin/sh -e".to_owned()));
    }
}
