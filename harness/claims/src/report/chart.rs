//! `sizes.svg`: a horizontal bar chart of image sizes on a log scale, 10 KB
//! to 10 GB, negative controls in red, reference points in grey.

use super::Report;
use crate::units::thousands;
use std::fmt::Write as _;

const WIDTH: f64 = 760.0;
const LABEL: f64 = 250.0;
const BAR: f64 = 26.0;
const GAP: f64 = 14.0;
const TOP: f64 = 50.0;
/// log10 of 10 KB and of 10 GB, the ends of the scale.
const SCALE_LOW: f64 = 4.0;
const SCALE_HIGH: f64 = 10.0;
const COLOURS: [&str; 4] = ["#2e7d32", "#1565c0", "#6a1b9a", "#00838f"];
const CONTROL_COLOUR: &str = "#c62828";
const REFERENCE_COLOUR: &str = "#9e9e9e";

pub fn chart(report: &Report) -> String {
    let mut bars: Vec<(String, Option<u64>, &str)> = report
        .rows
        .iter()
        .zip(COLOURS.iter().cycle())
        .map(|((name, row), colour)| {
            let label = row.reference.clone().unwrap_or_else(|| name.clone());
            let colour = if row.negative_control {
                CONTROL_COLOUR
            } else {
                colour
            };
            (label, row.bytes, colour)
        })
        .collect();
    for (label, bytes) in &report.chart_references {
        bars.push((label.clone(), Some(*bytes), REFERENCE_COLOUR));
    }
    let height = TOP + bars.len() as f64 * (BAR + GAP) + 40.0;
    let scale = |bytes: u64| {
        let position = ((bytes.max(1) as f64).log10() - SCALE_LOW) / (SCALE_HIGH - SCALE_LOW);
        position.clamp(0.0, 1.0) * (WIDTH - LABEL - 20.0)
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">Image size, bytes (log scale)</text>\n"
    );
    let ticks = [
        "10 kB", "100 kB", "1 MB", "10 MB", "100 MB", "1 GB", "10 GB",
    ];
    for (power, tick) in (4..=10).zip(ticks) {
        let x = LABEL + scale(10_u64.pow(power));
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#616161\">{tick}</text>",
            height - 30.0,
            height - 14.0
        );
    }
    for (index, (name, bytes, colour)) in bars.iter().enumerate() {
        let y = TOP + index as f64 * (BAR + GAP);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + BAR * 0.65,
            escaped(name)
        );
        if let Some(bytes) = bytes {
            let width = scale(*bytes).max(1.0);
            // A long bar carries its value inside, a short one beside it.
            let (x, anchor, fill) = if width > (WIDTH - LABEL) / 2.0 {
                (LABEL + width - 6.0, "end", "white")
            } else {
                (LABEL + width + 6.0, "start", "black")
            };
            let _ = writeln!(
                svg,
                "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{BAR}\" fill=\"{colour}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{} B</text>",
                y + BAR * 0.65,
                thousands(*bytes)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Text as XML reads it: a row's name or reference is the rows file's, and
/// `a<b` in one broke the chart.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn a_name_with_markup_is_written_as_text() {
        assert_eq!(escaped("<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
    }
}
