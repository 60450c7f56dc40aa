//! CSV as spreadsheets open it: RFC 4180 (a field with a comma, a quote or a line break is
//! quoted, quotes doubled, lines ended CRLF), UTF-8, a byte-order mark on request (Excel reads
//! UTF-8 without one as the system's code page), and formula injection neutralised: a cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula by Excel,
//! LibreOffice and Google Sheets (`=HYPERLINK(...)` in an organisation's name), so it is prefixed
//! with `'`, which they show as text (OWASP's advice for CSV injection).

/// The UTF-8 byte-order mark, for `--excel`.
pub const BOM: &str = "\u{feff}";

/// One cell, neutralised and quoted as needed.
pub fn cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !negative_number(value)
    {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// `-12.5`: a number, which no spreadsheet runs, and which a `'` would turn into text.
fn negative_number(value: &str) -> bool {
    value.strip_prefix('-').is_some_and(|digits| {
        digits.chars().any(|c| c.is_ascii_digit())
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() <= 1
    })
}

/// A header and rows as one CSV document.
pub fn document(header: &[&str], rows: &[Vec<String>], excel: bool) -> String {
    let mut out = String::new();
    if excel {
        out.push_str(BOM);
    }
    let line =
        |cells: &mut dyn Iterator<Item = String>| cells.collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&line(&mut header.iter().map(|h| cell(h))));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(|c| cell(c))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_is_shown_as_text() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"Pay\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"Pay\"\")\""
        );
        for risky in ["+1", "-2+3", "@SUM(A1)", "\tx"] {
            assert!(cell(risky).trim_matches('"').starts_with('\''), "{risky}");
        }
        for number in ["-2", "-12.50", "-0.5"] {
            assert_eq!(cell(number), number, "a negative number stays a number");
        }
        for not_number in ["-", "-1.2.3", "-1e5"] {
            assert!(cell(not_number).starts_with('\''), "{not_number}");
        }
        assert_eq!(cell("Kiwi Plumbing"), "Kiwi Plumbing");
        assert_eq!(cell("2026-12-07T10:00:00Z"), "2026-12-07T10:00:00Z");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_as_rfc_4180_says() {
        assert_eq!(cell("Smith, Jones & Co"), "\"Smith, Jones & Co\"");
        assert_eq!(cell("The \"Best\" Cafe"), "\"The \"\"Best\"\" Cafe\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        let doc = document(&["a", "b"], &[vec!["1".into(), "x,y".into()]], true);
        assert_eq!(doc, "\u{feff}a,b\r\n1,\"x,y\"\r\n");
    }
}
