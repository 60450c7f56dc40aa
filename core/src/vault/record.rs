//! How a token set is written into one keychain secret: versioned JSON, so a later release can
//! still read what an earlier one wrote. This is the only place token values are serialised.

use super::VaultError;
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Serialize, Deserialize)]
struct RecordV1<'a> {
    v: u32,
    #[serde(borrow)]
    access_token: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    refresh_token: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    id_token: Option<std::borrow::Cow<'a, str>>,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    scopes: Vec<String>,
    refresh_issued_at: DateTime<Utc>,
}

pub(crate) fn encode(tokens: &TokenSet) -> Zeroizing<String> {
    let record = RecordV1 {
        v: 1,
        access_token: tokens.access_token.expose().into(),
        refresh_token: tokens.refresh_token.expose().into(),
        id_token: tokens.id_token.as_ref().map(|t| t.expose().into()),
        issued_at: tokens.issued_at,
        expires_at: tokens.expires_at,
        scopes: tokens.scopes.clone(),
        refresh_issued_at: tokens.refresh_issued_at,
    };
    Zeroizing::new(serde_json::to_string(&record).expect("a token record serialises"))
}

pub(crate) fn decode(text: &str) -> Result<TokenSet, VaultError> {
    let record: RecordV1<'_> = serde_json::from_str(text).map_err(|e| {
        VaultError::Corrupt(format!(
            "not a token record: line {} column {}",
            e.line(),
            e.column()
        ))
    })?;
    if record.v != 1 {
        return Err(VaultError::Corrupt(format!(
            "written by a newer Tenantry (record version {})",
            record.v
        )));
    }
    Ok(TokenSet {
        access_token: Secret::new(record.access_token.into_owned()),
        refresh_token: Secret::new(record.refresh_token.into_owned()),
        id_token: record.id_token.map(|t| Secret::new(t.into_owned())),
        issued_at: record.issued_at,
        expires_at: record.expires_at,
        scopes: record.scopes,
        refresh_issued_at: record.refresh_issued_at,
    })
}

#[cfg(test)]
pub(crate) fn sample(seed: &str) -> TokenSet {
    let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    TokenSet {
        access_token: Secret::new(format!("access-{seed}-{}", "a".repeat(1200))),
        refresh_token: Secret::new(format!("refresh-{seed}")),
        id_token: Some(Secret::new(format!("id-{seed}-{}", "i".repeat(900)))),
        issued_at: at,
        expires_at: at + chrono::Duration::minutes(30),
        scopes: vec!["openid".into(), "offline_access".into()],
        refresh_issued_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let tokens = sample("x");
        assert_eq!(
            decode(&encode(&tokens)).unwrap(),
            tokens,
            "what the vault stores must read back unchanged"
        );
    }

    #[test]
    fn damage_is_reported_without_quoting_the_entry() {
        for bad in [
            "",
            "{",
            "{\"v\":1}",
            "[1,2]",
            "{\"v\":2,\"access_token\":\"SECRET\",\"refresh_token\":\"r\",\"issued_at\":\"2026-01-01T00:00:00Z\",\"expires_at\":\"2026-01-01T00:00:00Z\",\"scopes\":[],\"refresh_issued_at\":\"2026-01-01T00:00:00Z\"}",
        ] {
            let err = decode(bad).expect_err(bad);
            assert!(
                matches!(err, VaultError::Corrupt(_)),
                "`{bad}` is damage, so the fix is to reconnect"
            );
            assert!(
                !err.to_string().contains("SECRET"),
                "the message must not echo secret material"
            );
        }
    }
}
