//! One rule for every text an image can name (a file name, a label, an
//! entrypoint, a log line, an engine's error), wherever it is shown: the
//! terminal, `report.md`, `junit.xml` and `github-annotations.txt`.
//!
//! - A character a reader cannot see, or that moves what they see, is
//!   shown escaped, as `\n`, `\r`, `\t` or `\u{1b}`: the C0 and C1 controls
//!   and DEL, the line and paragraph separators (U+2028, U+2029) that some
//!   readers end a line at, the bidirectional controls that reorder a line,
//!   the byte-order mark, and the noncharacters XML may not hold.
//! - A value is one line, cut to a bound with its true length said.
//! - A message keeps its own line breaks, and no line of it is a GitHub
//!   Actions workflow command: the runner takes a line as one when it begins
//!   with `::` after leading blanks, so that `::` is shown as `\u{3a}:`.
//!
//! A backslash is shown as it is: `\u{1b}` in a message may be an escape or
//! the six characters themselves, which matters less than keeping a regular
//! expression readable.

/// The most characters of one value shown inline (an entrypoint, a label,
/// a list of files).
pub const MAX_VALUE_CHARS: usize = 2_000;
/// The most characters of one line of a message.
pub const MAX_MESSAGE_LINE_CHARS: usize = 4_000;
/// The most lines of one message.
pub const MAX_MESSAGE_LINES: usize = 400;

/// Whether `c` is shown escaped rather than as itself.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{200e}' | '\u{200f}' | '\u{061c}' // directional marks
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' // bidirectional embeddings and isolates
            | '\u{feff}' // byte-order mark
            | '\u{fdd0}'..='\u{fdef}' // noncharacters
        )
        || (c as u32) & 0xfffe == 0xfffe // U+FFFE, U+FFFF and their kin in every plane: not XML
}

fn push_shown(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// `text` as one line: every hidden character escaped, cut to `bound`
/// characters of what is shown, then its true length. Only what is shown is
/// escaped (escaping a 5 GB line whole to show 160 characters of it took
/// 5.9 GB, 2026-12-03).
pub fn value(text: &str, bound: usize) -> String {
    let mut shown = String::new();
    let mut shown_chars = 0;
    let mut chars = text.chars();
    for (taken, c) in chars.by_ref().enumerate() {
        let before = shown.len();
        push_shown(&mut shown, c);
        let width = shown[before..].chars().count();
        if shown_chars + width > bound {
            shown.truncate(before);
            return format!("{shown}… ({} characters)", taken + 1 + chars.count());
        }
        shown_chars += width;
    }
    shown
}

/// A whole message as any output shows it: its own line breaks kept (a
/// value in it is already one line), everything else hidden escaped, no
/// line read as a workflow command, each line and the number of lines
/// bounded.
pub fn message(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::with_capacity(text.len().min(1 << 16));
    for (index, line) in lines.iter().take(MAX_MESSAGE_LINES).enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&not_a_command(&value(line, MAX_MESSAGE_LINE_CHARS)));
    }
    if lines.len() > MAX_MESSAGE_LINES {
        out.push_str(&format!(
            "\n… {} more lines ({} bytes in all)",
            lines.len() - MAX_MESSAGE_LINES,
            text.len()
        ));
    }
    out
}

/// A line that begins with `::` after blanks, as the runner trims them
/// (`TrimStart`), with its first colon escaped.
fn not_a_command(line: &str) -> String {
    let body = line.trim_start();
    if body.starts_with("::") {
        let blanks = &line[..line.len() - body.len()];
        format!("{blanks}\\u{{3a}}{}", &body[1..])
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carriage_return_cannot_start_a_workflow_command() {
        let name = "/x/a\r::error title=INJECTED::x\r::stop-commands::pwned";
        let shown = message(&format!(
            "file {name}\n::add-mask::image-claims\n  ::warning::x"
        ));
        assert_eq!(
            shown,
            "file /x/a\\r::error title=INJECTED::x\\r::stop-commands::pwned\n\
             \\u{3a}:add-mask::image-claims\n  \\u{3a}:warning::x"
        );
    }

    #[test]
    fn escape_sequences_separators_and_bidirectional_controls_are_escaped() {
        assert_eq!(
            value(
                "\u{1b}[2J\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\u{feff}\u{ffff}é",
                100
            ),
            "\\u{1b}[2J\\u{7f}\\u{85}\\u{2028}\\u{2029}\\u{202e}\\u{feff}\\u{ffff}é"
        );
    }

    #[test]
    fn a_long_value_is_cut_with_its_true_length() {
        assert_eq!(value(&"x".repeat(10), 4), "xxxx… (10 characters)");
        assert_eq!(
            value(&"\0".repeat(1_000_000), 10),
            format!("{}… (1000000 characters)", "\\u{0}".repeat(2))
        );
        assert_eq!(value("xxxx", 4), "xxxx");
    }

    #[test]
    fn a_message_of_many_lines_is_cut_with_its_size() {
        let text = "line\n".repeat(MAX_MESSAGE_LINES + 10);
        let shown = message(&text);
        assert_eq!(shown.lines().count(), MAX_MESSAGE_LINES + 1);
        assert!(shown.ends_with(&format!("… 11 more lines ({} bytes in all)", text.len())));
    }
}
