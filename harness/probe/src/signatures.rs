//! Known shells and interpreters, recognised by their own bytes wherever
//! they sit and whatever they are called: each is a few strings its program
//! holds and no other program was seen to (checked against Debian 12's
//! builds of every program below and of coreutils, tar, find, Docker,
//! registry, CPython and calc, 2026-12-03), and a command that proves it
//! runs: it exits [`PROOF_EXIT`] only if the program ran the script given.
//!
//! The strings are stored reversed (see [`mark!`]), so that this crate's
//! own binary, or an image that ships it, is not taken for all of them.

/// What a proof's script exits with: a code no refusal gives by chance.
pub const PROOF_EXIT: i64 = 42;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProgramKind {
    /// Runs any command line it is given.
    Shell,
    /// Runs any program it is given, in its language.
    Interpreter,
}

impl ProgramKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramKind::Shell => "shell",
            ProgramKind::Interpreter => "interpreter",
        }
    }
}

/// How a found program is made to run a script: `argv[0]`, which a
/// multi-call binary picks its applet by, the arguments, and what it reads
/// on stdin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    pub argv0: &'static str,
    pub args: &'static [&'static str],
    pub stdin: Option<&'static str>,
}

/// A known program: its name, its kind, the strings that identify it (any
/// one is enough), and how to prove that it runs.
pub struct Signature {
    pub program: &'static str,
    pub kind: ProgramKind,
    pub marks: &'static [Mark],
    pub proof: Proof,
}

/// A string stored reversed; [`Mark::bytes`] gives it the right way round.
pub struct Mark(&'static [u8]);

impl Mark {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.iter().rev().copied().collect()
    }
}

/// `text`'s bytes, last first, for [`mark!`] at compile time.
pub const fn reversed<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut out = [0; N];
    let mut at = 0;
    while at < N {
        out[at] = bytes[N - 1 - at];
        at += 1;
    }
    out
}

/// A [`Mark`] of a string literal: only its reversed bytes reach the binary.
macro_rules! mark {
    ($text:literal) => {{
        const HIDDEN: [u8; $text.len()] = reversed::<{ $text.len() }>($text);
        Mark(&HIDDEN)
    }};
}

/// A shell proof: `sh -c 'exit 42'`.
const SHELL_PROOF: Proof = Proof {
    argv0: "sh",
    args: &["-c", "exit 42"],
    stdin: None,
};

/// The version line of a multi-call BusyBox, followed by its build.
pub const BUSYBOX_VERSION: Mark = mark!("BusyBox v");
/// BusyBox's applet names start with these two, NUL-separated, sorted.
pub const BUSYBOX_APPLETS: Mark = mark!("[\0[[\0");
/// The applets of a BusyBox that are shells, most capable first.
pub const BUSYBOX_SHELLS: &[&str] = &["ash", "hush", "sh"];
/// The applets of a BusyBox that are interpreters, with their proofs.
pub const BUSYBOX_INTERPRETERS: &[(&str, Proof)] = &[(
    "awk",
    Proof {
        argv0: "awk",
        args: &["BEGIN { exit 42 }"],
        stdin: None,
    },
)];

/// Every program recognised besides BusyBox, which `inventory` reads apart
/// for its applets.
pub const SIGNATURES: &[Signature] = &[
    Signature {
        program: "toybox with its sh",
        kind: ProgramKind::Shell,
        // Only a toybox built with sh holds sh's usage line.
        marks: &[mark!("usage: sh [")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "dash",
        kind: ProgramKind::Shell,
        marks: &[mark!(
            "Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or"
        )],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "bash",
        kind: ProgramKind::Shell,
        marks: &[mark!("GNU bash, version ")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "zsh",
        kind: ProgramKind::Shell,
        marks: &[mark!("zsh_main"), mark!("setup_zshQsmain")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "mksh",
        kind: ProgramKind::Shell,
        marks: &[mark!("MIRBSD KSH"), mark!("LEGACY KSH")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "ksh93",
        kind: ProgramKind::Shell,
        marks: &[mark!("(AT&T Research)")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "fish",
        kind: ProgramKind::Shell,
        marks: &[
            mark!("fish_default_key_bindings"),
            mark!("__fish_print_help"),
        ],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "csh or tcsh",
        kind: ProgramKind::Shell,
        marks: &[mark!("/etc/csh.cshrc")],
        proof: SHELL_PROOF,
    },
    Signature {
        program: "python",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("Py_BytesMain"), mark!("PyRun_SimpleString")],
        proof: Proof {
            argv0: "python",
            args: &["-c", "raise SystemExit(42)"],
            stdin: None,
        },
    },
    Signature {
        program: "perl",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("perl_parse"), mark!("perl_run")],
        proof: Proof {
            argv0: "perl",
            args: &["-e", "exit 42"],
            stdin: None,
        },
    },
    Signature {
        program: "ruby",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("ruby_run_node")],
        proof: Proof {
            argv0: "ruby",
            args: &["-e", "exit 42"],
            stdin: None,
        },
    },
    Signature {
        program: "node",
        kind: ProgramKind::Interpreter,
        // node::Start, mangled: every build exports it for addons.
        marks: &[mark!("_ZN4node5Start")],
        proof: Proof {
            argv0: "node",
            args: &["-e", "process.exit(42)"],
            stdin: None,
        },
    },
    Signature {
        program: "lua",
        kind: ProgramKind::Interpreter,
        // luaL_loadbuffer (5.1, LuaJIT) and luaL_loadbufferx (5.2 on).
        marks: &[mark!("luaL_loadbuffer")],
        proof: Proof {
            argv0: "lua",
            args: &["-e", "os.exit(42)"],
            stdin: None,
        },
    },
    Signature {
        program: "php",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("php_execute_script"), mark!("X-Powered-By: PHP/")],
        proof: Proof {
            argv0: "php",
            args: &["-r", "exit(42);"],
            stdin: None,
        },
    },
    Signature {
        program: "tcl",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("Tcl_Main"), mark!("Tcl_EvalObjEx")],
        proof: Proof {
            argv0: "tclsh",
            args: &[],
            stdin: Some("exit 42\n"),
        },
    },
    Signature {
        program: "gawk",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("GNU Awk")],
        proof: AWK_PROOF,
    },
    Signature {
        program: "mawk",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("MAWK_LONG_OPTIONS"), mark!("Usage: mawk")],
        proof: AWK_PROOF,
    },
    Signature {
        program: "awk (the one true awk)",
        kind: ProgramKind::Interpreter,
        marks: &[mark!("usage: %s [-F fs] [-v var=value] [-f progfile")],
        proof: AWK_PROOF,
    },
];

const AWK_PROOF: Proof = Proof {
    argv0: "awk",
    args: &["BEGIN { exit 42 }"],
    stdin: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_gives_its_string_the_right_way_round() {
        assert_eq!(BUSYBOX_VERSION.bytes(), b"BusyBox v");
        assert_eq!(BUSYBOX_APPLETS.bytes(), b"[\0[[\0");
    }
}
