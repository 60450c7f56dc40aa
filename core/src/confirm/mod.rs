//! Confirmed writes: a write to Xero is previewed first, and sent only with the code its preview
//! gave. The code is bound to the organisation, the method, the path with its query, and a hash of
//! the exact body; it is good for five minutes and one attempt. So an assistant cannot preview one
//! change and send another, nor send a change twice with one approval, nor reuse an approval for
//! another client's books. A code is only as good as the preview someone was shown: it proves the
//! write is the one previewed, not that a person read it (docs/SECURITY.md).
//!
//! Pure: the caller passes the time in and keeps the [`Confirmations`] for as long as a code may
//! be redeemed (the MCP session).

mod summary;

pub use summary::summary;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// How long a preview's code stays good.
pub const VALID_FOR: Duration = Duration::minutes(5);

/// Eight Crockford symbols, 40 bits: a code is guessed by no one but the client it was given to, and works
/// once, for one write, for five minutes.
const LEN: usize = 8;

/// One write, as far as a confirmation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Lower case, as the directory keys organisations.
    pub tenant_id: String,
    /// Upper case.
    pub method: String,
    /// The path and its query, the query's pairs sorted.
    pub target: String,
    pub body_sha256: [u8; 32],
}

impl Write {
    pub fn new(
        tenant_id: &str,
        method: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Self {
        let mut target = path.to_owned();
        for (i, (k, v)) in query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(k);
            target.push('=');
            target.push_str(v);
        }
        Self {
            tenant_id: tenant_id.to_ascii_lowercase(),
            method: method.to_ascii_uppercase(),
            target,
            body_sha256: Sha256::digest(body).into(),
        }
    }

    /// The body's hash in hex, for a preview to show.
    pub fn body_hash(&self) -> String {
        crate::secret::hex(&self.body_sha256)
    }

    /// The parts in which `other` is not this write, in words.
    fn differences(&self, other: &Self) -> Vec<&'static str> {
        let mut differ = Vec::new();
        if self.tenant_id != other.tenant_id {
            differ.push("organisation");
        }
        if self.method != other.method {
            differ.push("method");
        }
        if self.target != other.target {
            differ.push("path or query");
        }
        if self.body_sha256 != other.body_sha256 {
            differ.push("body");
        }
        differ
    }
}

/// Why a code was not taken. Each means: ask for a new preview, and show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a code this session gave (or not a code at all).
    Unknown,
    /// Given more than [`VALID_FOR`] ago.
    Expired,
    /// Already redeemed, or spent by an attempt that differed from its preview.
    Spent,
    /// Given for another write: the parts that differ. The code is spent by the attempt.
    Differs(Vec<&'static str>),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let next =
            "nothing was sent; ask for a new preview (the same call without a code) and show it";
        match self {
            Self::Unknown => write!(
                f,
                "that confirmation code was not given by this session; {next}"
            ),
            Self::Expired => write!(
                f,
                "that confirmation code has expired (codes last {} minutes); {next}",
                VALID_FOR.num_minutes()
            ),
            Self::Spent => write!(f, "that confirmation code has been used; {next}"),
            Self::Differs(parts) => write!(
                f,
                "that confirmation code was given for another write (the {} differ), and is now spent; {next}",
                parts.join(", ")
            ),
        }
    }
}

/// The codes a session gave and has not seen redeemed, and those spent (to say "used" rather than
/// "unknown" while they would still have been good).
#[derive(Debug, Default)]
pub struct Confirmations {
    pending: HashMap<String, (Write, DateTime<Utc>)>,
    spent: HashMap<String, DateTime<Utc>>,
}

impl Confirmations {
    /// A new code for `write`, good until the returned time.
    pub fn issue(&mut self, write: Write, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        self.forget_old(now);
        let code = loop {
            let code = crate::crockford::random(LEN);
            if !self.pending.contains_key(&code) && !self.spent.contains_key(&code) {
                break code;
            }
        };
        let until = now + VALID_FOR;
        self.pending.insert(code.clone(), (write, until));
        (display(&code), until)
    }

    /// Takes `typed` for `write`: good once, for that write, until it expires. Any attempt spends
    /// the code, a refused one too: an attempt that differs gets a new preview to show.
    pub fn redeem(
        &mut self,
        typed: &str,
        write: &Write,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        self.forget_old(now);
        let Some(code) = crate::crockford::read(typed, LEN) else {
            return Err(Refused::Unknown);
        };
        if self.spent.contains_key(&code) {
            return Err(Refused::Spent);
        }
        let Some((issued_for, until)) = self.pending.remove(&code) else {
            return Err(Refused::Unknown);
        };
        if now >= until {
            return Err(Refused::Expired);
        }
        self.spent.insert(code, until);
        match issued_for.differences(write) {
            differ if differ.is_empty() => Ok(()),
            differ => Err(Refused::Differs(differ)),
        }
    }

    /// Codes past their time are forgotten an hour later (an expired one is still named as such
    /// meanwhile), so a long session holds no more than its last hour's.
    fn forget_old(&mut self, now: DateTime<Utc>) {
        let keep = |until: &DateTime<Utc>| now < *until + Duration::hours(1);
        self.pending.retain(|_, (_, until)| keep(until));
        self.spent.retain(|_, until| keep(until));
    }
}

/// `ABCD-EFGH`, for reading.
fn display(code: &str) -> String {
    format!("{}-{}", &code[..LEN / 2], &code[LEN / 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn contact(tenant: &str, name: &str) -> Write {
        let body = serde_json::json!({"Contacts": [{"Name": name}]}).to_string();
        Write::new(
            tenant,
            "put",
            "/api.xro/2.0/Contacts",
            &BTreeMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn a_code_sends_its_own_write_once_however_it_is_typed() {
        let mut codes = Confirmations::default();
        let write = contact("AAAA", "Acme");
        let (code, until) = codes.issue(write.clone(), at(0));
        assert_eq!(until, at(5));
        assert_eq!(code.len(), LEN + 1, "two groups of four: {code}");
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(codes.redeem(&typed, &write, at(4)), Ok(()));
        assert_eq!(
            codes.redeem(&code, &write, at(4)),
            Err(Refused::Spent),
            "and only once"
        );
    }

    #[test]
    fn a_code_for_another_write_is_refused_naming_what_differs_and_is_spent() {
        let mut codes = Confirmations::default();
        let write = contact("aaaa", "Acme");
        let (code, _) = codes.issue(write.clone(), at(0));
        assert_eq!(
            codes.redeem(&code, &contact("bbbb", "Acme Ltd"), at(1)),
            Err(Refused::Differs(vec!["organisation", "body"]))
        );
        assert_eq!(
            codes.redeem(&code, &write, at(1)),
            Err(Refused::Spent),
            "an attempt that differed spends the code: the next needs a new preview"
        );
        let mut query = BTreeMap::new();
        query.insert("summarizeErrors".to_owned(), "false".to_owned());
        let body = serde_json::json!({"Contacts": [{"Name": "Acme"}]}).to_string();
        let (code, _) = codes.issue(write.clone(), at(2));
        let other_query = Write::new(
            "aaaa",
            "PUT",
            "/api.xro/2.0/Contacts",
            &query,
            body.as_bytes(),
        );
        assert_eq!(
            codes.redeem(&code, &other_query, at(2)),
            Err(Refused::Differs(vec!["path or query"]))
        );
        let (code, _) = codes.issue(write, at(2));
        let other_method = Write::new(
            "aaaa",
            "POST",
            "/api.xro/2.0/Contacts",
            &BTreeMap::new(),
            body.as_bytes(),
        );
        assert_eq!(
            codes.redeem(&code, &other_method, at(2)),
            Err(Refused::Differs(vec!["method"]))
        );
    }

    #[test]
    fn a_code_lasts_five_minutes_and_unknown_ones_are_named_so() {
        let mut codes = Confirmations::default();
        let write = contact("aaaa", "Acme");
        let (code, _) = codes.issue(write.clone(), at(0));
        assert_eq!(codes.redeem(&code, &write, at(5)), Err(Refused::Expired));
        assert_eq!(
            codes.redeem("ZZZZ-ZZZZ", &write, at(5)),
            Err(Refused::Unknown)
        );
        assert_eq!(
            codes.redeem("not a code", &write, at(5)),
            Err(Refused::Unknown)
        );
        for refused in [
            Refused::Unknown,
            Refused::Expired,
            Refused::Spent,
            Refused::Differs(vec!["body"]),
        ] {
            assert!(
                refused
                    .to_string()
                    .contains("nothing was sent; ask for a new preview"),
                "{refused}"
            );
        }
    }

    #[test]
    fn old_codes_are_forgotten_an_hour_after_they_expire() {
        let mut codes = Confirmations::default();
        for n in 0..100 {
            codes.issue(contact("aaaa", &n.to_string()), at(0));
        }
        codes.issue(contact("aaaa", "new"), at(66));
        assert_eq!(codes.pending.len(), 1, "the hundred old ones are gone");
    }
}
