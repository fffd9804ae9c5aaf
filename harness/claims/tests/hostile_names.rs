//! What an image names cannot reach an output raw: the example
//! `hostile-names` (examples/hidden) has a setuid file named
//! `a\r::error title=INJECTED::x\r::stop-commands::pwned` and a setgid one
//! holding `ESC[2J` and U+2028. Claimed free of setuid files by a row that
//! is not a negative control, its failure is printed, written to
//! `report.md`, `junit.xml` and `github-annotations.txt`: none may hold a
//! control character of the name, nor a line a GitHub runner reads as a
//! workflow command. Before 2026-12-07 the terminal showed the carriage
//! returns raw, and a runner ending lines at CR would have taken
//! `::stop-commands::pwned` as a command.

mod support;

use support::check;

const HOSTILE_NAMES: &str = r#"
[[image]]
name = "hostile-names"
build = { dockerfile = "Dockerfile", root = "{examples}/hidden", target = "hostile-names", tag = "example-hidden:hostile-names", bases = ["debian:bookworm-slim"], context = ["Dockerfile"], outside_rows_directory = true }
smoke = { stdin = "hello\n", stdout = "hello\n" }

[image.claims]
no_setuid = true
"#;

/// Whether a GitHub runner, which trims a line's leading blanks, reads it as a command.
fn is_workflow_command(line: &str) -> bool {
    line.trim_start().starts_with("::")
}

#[test]
fn a_file_name_made_of_workflow_commands_and_escapes_reaches_no_output_raw() {
    let run = check("hostile-names", HOSTILE_NAMES);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(r"/x/a\r::error title=INJECTED::x\r::stop-commands::pwned (4755)"),
        "the failure should name the setuid file, escaped\n{}",
        run.stdout
    );
    let read = |file: &str| std::fs::read_to_string(run.report.join(file)).expect(file);
    let annotations = read("github-annotations.txt");
    assert_eq!(
        annotations.lines().count(),
        1,
        "one failure, one annotation:\n{annotations}"
    );
    for (output, text) in [
        ("stdout", run.stdout.clone()),
        ("report.md", read("report.md")),
        ("junit.xml", read("junit.xml")),
    ] {
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && image_claims::escaping::is_hidden(c))
            .collect();
        assert!(raw.is_empty(), "{output} holds {raw:?} raw:\n{text}");
        let commands: Vec<&str> = text
            .lines()
            .filter(|line| is_workflow_command(line))
            .collect();
        assert!(
            commands.is_empty(),
            "{output} holds workflow commands {commands:?}"
        );
    }
}
