//! Scripts offered to a program that no signature names, the ways shells
//! and the common interpreters take one: `-c`, `-e`, `-r`, a program as
//! the first argument, standard input, and `argv[0]` as `sh` for a
//! multi-call binary. What the claim promises, "no program here runs a
//! script it is given", is a property of behaviour: a list of known
//! strings trails the archive (zsh-static, yash, micropython, qjs and expect
//! passed the signatures under an innocent name, 2026-12-07).
//!
//! A script proves itself twice: it exits [`PROOF_EXIT`] and writes
//! [`MARKER`], which it builds from two halves, so that a program that
//! prints its arguments back, or exits 42 on a flag it refuses, proves
//! nothing.

use crate::signatures::{PROOF_EXIT, ProgramKind};

/// What a script writes when it ran: built by the script from two halves,
/// so that it is in no offer's text whole.
pub const MARKER: &str = "image-claims-ran-it";

/// One way of giving a program a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub kind: ProgramKind,
    /// The language or convention it is made for, as a message names it.
    pub language: &'static str,
    /// The name the program is run under; `None`: its own path.
    pub argv0: Option<&'static str>,
    pub args: &'static [&'static str],
    pub stdin: Option<&'static str>,
}

const SHELL_SCRIPT: &str = "echo image-claims-''ran-it; exit 42";
const PERL_SCRIPT: &str = r#"print "image-claims-" . "ran-it\n"; exit 42"#;
const PYTHON_SCRIPT: &str = r#"import sys; print("image-claims-" + "ran-it"); sys.exit(42)"#;
const TCL_SCRIPT: &str = "puts image-claims-[format %s ran-it]; exit 42";

/// Every offer, shells first.
pub const OFFERS: &[Offer] = &[
    Offer {
        kind: ProgramKind::Shell,
        language: "a shell's -c",
        argv0: None,
        args: &["-c", SHELL_SCRIPT],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Shell,
        language: "a shell's standard input",
        argv0: None,
        args: &[],
        stdin: Some("echo image-claims-''ran-it; exit 42\n"),
    },
    Offer {
        kind: ProgramKind::Shell,
        language: "a multi-call binary's sh",
        argv0: Some("sh"),
        args: &["-c", SHELL_SCRIPT],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Perl's -e",
        argv0: None,
        args: &["-e", PERL_SCRIPT],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "a program on standard input, in Perl",
        argv0: None,
        args: &[],
        stdin: Some(r#"print "image-claims-" . "ran-it\n"; exit 42;"#),
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Ruby's -e",
        argv0: None,
        args: &["-e", r#"print "image-claims-" + "ran-it\n"; exit 42"#],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Python's -c",
        argv0: None,
        args: &["-c", PYTHON_SCRIPT],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "a program on standard input, in Python",
        argv0: None,
        args: &[],
        stdin: Some("import sys\nprint(\"image-claims-\" + \"ran-it\")\nsys.exit(42)\n"),
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "JavaScript's -e (Node.js)",
        argv0: None,
        args: &[
            "-e",
            r#"console.log("image-claims-" + "ran-it"); process.exit(42)"#,
        ],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "JavaScript's -e (QuickJS)",
        argv0: None,
        args: &[
            "--std",
            "-e",
            r#"console.log("image-claims-" + "ran-it"); std.exit(42)"#,
        ],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "JavaScript's -c (GJS)",
        argv0: None,
        args: &[
            "-c",
            r#"print("image-claims-" + "ran-it"); imports.system.exit(42)"#,
        ],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Lua's -e",
        argv0: None,
        args: &["-e", r#"print("image-claims-" .. "ran-it") os.exit(42)"#],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Tcl's -c (expect)",
        argv0: None,
        args: &["-c", TCL_SCRIPT],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "a program on standard input, in Tcl",
        argv0: None,
        args: &[],
        stdin: Some("puts image-claims-[format %s ran-it]; exit 42\n"),
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "PHP's -r",
        argv0: None,
        args: &["-r", r#"echo "image-claims-" . "ran-it\n"; exit(42);"#],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Scheme's -c (Guile)",
        argv0: None,
        args: &[
            "-c",
            r#"(display (string-append "image-claims-" "ran-it")) (newline) (exit 42)"#,
        ],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Lisp's -e (newLISP)",
        argv0: None,
        args: &["-e", r#"(println "image-claims-" "ran-it") (exit 42)"#],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Forth's -e (Gforth)",
        argv0: None,
        args: &["-e", ".( image-claims-) .( ran-it) cr 42 (bye)"],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "Pike's -e",
        argv0: None,
        args: &["-e", r#"write("image-claims-" + "ran-it\n"); exit(42);"#],
        stdin: None,
    },
    Offer {
        kind: ProgramKind::Interpreter,
        language: "an awk program",
        argv0: None,
        args: &[r#"BEGIN { print "image-claims-" "ran-it"; exit 42 }"#],
        stdin: None,
    },
];

/// The offers made for a claim of no program of `kind`.
pub fn offers_of(kind: ProgramKind) -> impl Iterator<Item = &'static Offer> {
    OFFERS.iter().filter(move |offer| offer.kind == kind)
}

/// Whether a run given an offer ran its script: the code and the marker.
pub fn ran_the_script(code: i64, stdout: &str) -> bool {
    code == PROOF_EXIT && stdout.contains(MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_offer_holds_the_marker_whole() {
        for offer in OFFERS {
            let text = format!("{:?} {:?}", offer.args, offer.stdin);
            assert!(!text.contains(MARKER), "{}: {text}", offer.language);
        }
    }

    #[test]
    fn only_the_code_with_the_marker_is_proof() {
        assert!(ran_the_script(42, "image-claims-ran-it\n"));
        assert!(!ran_the_script(42, "unknown option -c\n"));
        assert!(!ran_the_script(0, "image-claims-ran-it\n"));
    }
}
