//! Quoting one argument for each place Tenantry writes a command line: a POSIX shell (cron,
//! `tenantry token --env`), a systemd unit, a Windows command line, and XML. Pure and
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
    fn windows_arguments_follow_commandlinetoargvw() {
        assert_eq!(windows_quote(r"a\b"), r"a\b", "no quotes needed");
        assert_eq!(
            windows_quote(r"a b\"),
            r#""a b\\""#,
            "a trailing backslash before the closing quote is doubled"
        );
    }
}
