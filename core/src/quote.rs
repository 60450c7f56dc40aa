//! Quoting one argument for each place Tenantry writes a command line: a POSIX shell (cron,
//! `tenantry token --env`), fish, PowerShell and cmd.exe (`token --format`), a systemd unit, a
//! Windows command line, and XML. Pure and
//! table-tested: a token or a path with a quote, a space, a `$` or a `%` must arrive unchanged.

/// systemd's ExecStart quoting: double quotes, with `\`, `"` escaped and `%` doubled (specifier)
/// and `$` doubled (variable expansion).
pub fn systemd_quote(arg: &str) -> String {
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    format!("\"{escaped}\"")
}

/// One word for a POSIX shell: as it is when nothing in it is special, else single-quoted.
pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.=:".contains(c))
    {
        return arg.to_owned();
    }
    shell_single_quoted(arg)
}

/// Always single-quoted for a POSIX shell, a `'` inside written `'\''`: what `eval` of an
/// `export NAME=…` line reads back exactly.
pub fn shell_single_quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// A single-quoted fish string: inside one, only `\\` and `\'` are escapes.
pub fn fish_single_quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\\', r"\\").replace('\'', r"\'"))
}

/// A single-quoted PowerShell string: nothing expands inside one; a `'` is written twice. The
/// typographic quotes PowerShell also treats as quote marks are doubled the same way.
pub fn powershell_single_quoted(arg: &str) -> String {
    let mut out = String::from('\'');
    for c in arg.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `set "NAME=value"` for cmd.exe, or None when the value holds a character cmd would expand or
/// end the line on (`%`, `!` under delayed expansion, `"`, a control character): cmd has no
/// quoting that carries those through, so the caller must refuse rather than write a line that
/// means something else.
pub fn cmd_set(name: &str, value: &str) -> Option<String> {
    let safe = |s: &str| {
        !s.chars()
            .any(|c| matches!(c, '%' | '!' | '"' | '^') || c.is_control())
    };
    (safe(name) && safe(value)).then(|| format!("set \"{name}={value}\""))
}

/// One argument for a Windows command line (CommandLineToArgvW rules).
pub fn windows_quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_owned();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_reads_back_exactly_what_was_quoted() {
        for (raw, quoted) in [
            ("eyJhbGciOi.abc-123_x", "eyJhbGciOi.abc-123_x"),
            ("it's", r"'it'\''s'"),
            ("a b", "'a b'"),
            ("$(rm -rf ~)", "'$(rm -rf ~)'"),
            ("`id`;x", "'`id`;x'"),
            ("", "''"),
        ] {
            assert_eq!(shell_quote(raw), quoted, "{raw}");
            let echoed = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {quoted}")])
                .output()
                .expect("a POSIX shell");
            assert_eq!(
                String::from_utf8_lossy(&echoed.stdout),
                raw,
                "`{quoted}`: the shell must see one word, unexpanded"
            );
        }
    }

    #[test]
    fn a_value_for_export_is_always_quoted_and_reads_back_exactly() {
        for raw in ["eyJ.abc-_", "it's", "$HOME `id` \\ \"x\""] {
            let quoted = shell_single_quoted(raw);
            assert!(quoted.starts_with('\''), "{quoted}: always in quotes");
            let echoed = std::process::Command::new("sh")
                .args(["-c", &format!("export V={quoted}; printf %s \"$V\"")])
                .output()
                .expect("a POSIX shell");
            assert_eq!(String::from_utf8_lossy(&echoed.stdout), raw, "{quoted}");
        }
    }

    #[test]
    fn fish_and_powershell_strings_hold_quotes_and_backslashes() {
        let table = [
            ("eyJ.abc-_", "'eyJ.abc-_'", "'eyJ.abc-_'"),
            ("it's", r"'it\'s'", "'it''s'"),
            (r"a\b $x", r"'a\\b $x'", r"'a\b $x'"),
            ("\u{2019}", "'\u{2019}'", "'\u{2019}\u{2019}'"),
        ];
        for (raw, fish, pwsh) in table {
            assert_eq!(fish_single_quoted(raw), fish, "fish: {raw}");
            assert_eq!(powershell_single_quoted(raw), pwsh, "PowerShell: {raw}");
        }
        // fish itself reads them back where it is installed (scripts/setup.sh installs it).
        if let Ok(out) = std::process::Command::new("fish")
            .args([
                "-c",
                &format!("printf %s {}", fish_single_quoted("it's a \\ $x")),
            ])
            .output()
        {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "it's a \\ $x",
                "fish sees one word, unexpanded"
            );
        }
    }

    #[test]
    fn cmd_lines_refuse_what_cmd_would_expand() {
        assert_eq!(
            cmd_set("XERO_TENANT_ID", "9f1c-2d").as_deref(),
            Some("set \"XERO_TENANT_ID=9f1c-2d\""),
            "the quoted form keeps & | < > literal"
        );
        for bad in ["50%off", "hi!", "a\"b", "line\nnext", "a^b"] {
            assert_eq!(
                cmd_set("V", bad),
                None,
                "{bad:?} cannot be written safely for cmd"
            );
        }
    }

    #[test]
    fn windows_arguments_follow_commandlinetoargvw() {
        assert_eq!(windows_quote(r"a\b"), r"a\b", "no quotes needed");
        assert_eq!(
            windows_quote(r"a b\"),
            r#""a b\\""#,
            "a trailing backslash before the closing quote is doubled"
        );
    }
}
