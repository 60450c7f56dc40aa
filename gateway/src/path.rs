//! The request path, checked once before anything routes on it. The gateway decides what a
//! request may reach (Xero's API prefixes, never `/connections` for a write) from the path it
//! was sent, and forwards that path to Xero through an HTTP client whose URL parser resolves
//! dot segments (`/api.xro/../connections` becomes `/connections`), percent-encoded dots
//! (`%2e%2e`) and backslashes (read as `/` in an `http` URL) the way a browser does. A path the
//! parser would rewrite is therefore refused here, so the path checked is the path sent. Pure,
//! table-tested, and fuzzed (`fuzz/fuzz_targets/gateway_path.rs`: a path this accepts reaches
//! Xero unchanged).

/// Why a path was refused; each is a 400 naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    /// A `.` or `..` segment, written plainly or percent-encoded (`%2e`).
    DotSegment,
    /// `%2f` or `%5c`: a separator hidden from a check that reads the path as sent.
    EncodedSeparator,
    /// `\`, which an `http` URL reads as `/`.
    Backslash,
    /// A path that does not start with `/`.
    NotAbsolute,
    /// A space or a control character, which a URL parser drops or trims (and HTTP forbids).
    Control,
}

impl PathRefusal {
    pub fn detail(self) -> &'static str {
        match self {
            Self::DotSegment => {
                "the path has a `.` or `..` segment (perhaps encoded as %2e); send the path it resolves to"
            }
            Self::EncodedSeparator => {
                "the path has an encoded `/` or `\\` (%2f or %5c); Xero's paths have none"
            }
            Self::Backslash => "the path has a `\\`; Xero's paths separate segments with `/`",
            Self::NotAbsolute => "the path must start with `/`",
            Self::Control => "the path has a space or a control character; percent-encode it",
        }
    }
}

/// `path` (as sent, without the query) if no URL parser would rewrite it.
pub fn check(path: &str) -> Result<&str, PathRefusal> {
    if !path.starts_with('/') {
        return Err(PathRefusal::NotAbsolute);
    }
    if path.contains('\\') {
        return Err(PathRefusal::Backslash);
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(PathRefusal::Control);
    }
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return Err(PathRefusal::EncodedSeparator);
    }
    if lower.split('/').any(is_dot_segment) {
        return Err(PathRefusal::DotSegment);
    }
    Ok(path)
}

/// A segment the WHATWG URL parser treats as `.` or `..` (a segment already lower-cased).
fn is_dot_segment(segment: &str) -> bool {
    matches!(segment.replace("%2e", ".").as_str(), "." | "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xero_s_own_paths_pass_unchanged() {
        for ok in [
            "/api.xro/2.0/Invoices",
            "/api.xro/2.0/Invoices/9f1c2d3e-0000-4000-8000-000000000001",
            "/payroll.xro/2.0/employees",
            "/api.xro/2.0/Contacts/Smith%20%26%20Sons",
            "/api.xro/2.0/Reports/...",
            "/api.xro/2.0/Invoices/.x",
            "/connections",
        ] {
            assert_eq!(check(ok), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn every_form_a_url_parser_would_rewrite_is_refused() {
        use PathRefusal::*;
        for (bad, why) in [
            ("/api.xro/../connections/abc", DotSegment),
            ("/api.xro/./2.0/Invoices", DotSegment),
            ("/api.xro/%2e%2e/connections", DotSegment),
            ("/api.xro/%2E%2E/connections", DotSegment),
            ("/api.xro/.%2e/connections", DotSegment),
            ("/api.xro/%2e./connections", DotSegment),
            ("/api.xro/%2e/x", DotSegment),
            ("/api.xro/2.0/..", DotSegment),
            ("/api.xro/..%2fconnections", EncodedSeparator),
            ("/api.xro/%2F..", EncodedSeparator),
            ("/api.xro/%5c../connections", EncodedSeparator),
            ("/api.xro/..\\connections", Backslash),
            ("/api.xro\\..\\connections", Backslash),
            ("api.xro/2.0/Invoices", NotAbsolute),
            ("/api.xro/.\t./connections", Control),
            ("/api.xro/2.0/In voices", Control),
            ("", NotAbsolute),
        ] {
            assert_eq!(check(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn what_passes_is_what_the_http_client_sends() {
        for path in [
            "/api.xro/2.0/Invoices",
            "/api.xro/2.0/Contacts/Smith%20%26%20Sons",
            "/api.xro/2.0/Reports/...",
            "/api.xro//2.0",
        ] {
            let url = url::Url::parse(&format!("https://api.xero.com{path}")).unwrap();
            assert_eq!(url.path(), check(path).unwrap(), "{path}");
        }
    }
}
