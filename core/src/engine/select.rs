//! The selectors people type: a login by email, user id or unique prefix; an organisation by
//! tenant id, unique name, or a unique tenant-id prefix long enough not to be a word. Pure
//! functions over the stored rows, and the engine's calls that read the rows for them.
//!
//! A name never falls back to an id prefix shorter than [`MIN_ID_PREFIX`]: "Cafe" or "Decade",
//! the name of an organisation since removed, must not quietly select a tenant whose id happens
//! to start `cafe…`. A write through the gateway or MCP takes no prefix at all
//! ([`Naming::Exact`]): it reaches the organisation named exactly, or nothing.

use super::Engine;
use crate::error::EngineError;
use crate::model::{Login, Organisation};

impl Engine {
    /// A login by email (case-insensitive), user id, or unique prefix of either.
    pub async fn resolve_login(&self, selector: &str) -> Result<Login, EngineError> {
        select_login(&self.logins().await?, selector)
    }

    /// An organisation's tenant id from its tenant id, its name (case-insensitive, unique) or a
    /// unique id prefix of at least [`MIN_ID_PREFIX`] characters.
    pub async fn resolve_organisation(&self, selector: &str) -> Result<String, EngineError> {
        select_organisation(&self.organisations().await?, selector, Naming::Loose)
    }

    /// The tenant id `org` names: a tenant id as it is (the directory knows it without a read of
    /// the store), else a name (or, when `naming` allows it, a unique id prefix), looked up. For
    /// the hot paths: the gateway and the token agent.
    pub async fn tenant_for(&self, org: &str, naming: Naming) -> Result<String, EngineError> {
        if looks_like_tenant_id(org) {
            Ok(org.to_ascii_lowercase())
        } else {
            select_organisation(&self.organisations().await?, org, naming)
        }
    }

    /// The organisation a write goes to: named by its whole tenant id or its exact name (any
    /// case), never a prefix; unknown or ambiguous names are refused with the near ones. The row
    /// of a login that still reaches it comes first.
    pub async fn organisation_for_write(&self, org: &str) -> Result<Organisation, EngineError> {
        let organisations = self.organisations().await?;
        let tenant = select_organisation(&organisations, org, Naming::Exact)?;
        let mut rows: Vec<Organisation> = organisations
            .into_iter()
            .filter(|o| o.tenant_id.eq_ignore_ascii_case(&tenant))
            .collect();
        rows.sort_by_key(|o| o.disconnected_at.is_some());
        Ok(rows.remove(0))
    }

    /// A valid access token for the organisation `org` names (a tenant id goes straight to the
    /// directory, with no read of the store; a name or id prefix is looked up), through the
    /// login `login` names when given: what `tenantry token` and the token agent hand out.
    pub async fn grant_for(
        &self,
        org: &str,
        login: Option<&str>,
    ) -> Result<crate::AccessGrant, EngineError> {
        let tenant = self.tenant_for(org, Naming::Loose).await?;
        match login {
            Some(selector) => {
                let login = self.resolve_login(selector).await?;
                self.access_token_through(&tenant, &login.id).await
            }
            None => self.access_token_for(&tenant).await,
        }
    }

    /// The email of a login, for output that names who a token came through.
    pub async fn login_email(
        &self,
        id: &crate::model::LoginId,
    ) -> Result<Option<String>, EngineError> {
        Ok(self
            .logins()
            .await?
            .into_iter()
            .find(|l| &l.id == id)
            .map(|l| l.email))
    }
}

/// The shortest tenant-id prefix that selects an organisation: 8 hex digits, the first group of
/// a UUID. Shorter ones spell words ("cafe", "decade", "facade") that may be meant as names.
pub const MIN_ID_PREFIX: usize = 8;

/// How loosely an organisation may be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// What people type at a prompt or in a read: a tenant id, a name, or a unique id prefix of
    /// at least [`MIN_ID_PREFIX`] characters.
    Loose,
    /// A whole tenant id or an exact name (any case): a write must never land on a guess.
    Exact,
}

/// A UUID's shape: 36 characters, hex digits and four dashes where a UUID has them. Xero's
/// tenant ids have it; organisation names almost never do.
pub fn looks_like_tenant_id(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The login `selector` names among `logins`: an exact id or email first, else the one login
/// whose id or email starts with it.
pub fn select_login(logins: &[Login], selector: &str) -> Result<Login, EngineError> {
    let wanted = selector.to_lowercase();
    if let Some(exact) = logins
        .iter()
        .find(|l| l.id.as_str() == selector || l.email.to_lowercase() == wanted)
    {
        return Ok(exact.clone());
    }
    let matches: Vec<&Login> = logins
        .iter()
        .filter(|l| {
            !wanted.is_empty()
                && (l.id.as_str().starts_with(selector)
                    || l.email.to_lowercase().starts_with(&wanted))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(EngineError::UnknownLogin(selector.into())),
        many => Err(EngineError::Ambiguous {
            selector: selector.into(),
            candidates: many.iter().map(|l| l.email.clone()).collect(),
        }),
    }
}

/// The tenant id `selector` names among `organisations`: a tenant id (any case), else the one
/// tenant with that name, else (for [`Naming::Loose`], and a selector of at least
/// [`MIN_ID_PREFIX`] characters) the one tenant whose id starts with it; otherwise the names it
/// nearly spells, as suggestions.
pub fn select_organisation(
    organisations: &[Organisation],
    selector: &str,
    naming: Naming,
) -> Result<String, EngineError> {
    if organisations
        .iter()
        .any(|o| o.tenant_id.eq_ignore_ascii_case(selector))
    {
        return Ok(selector.to_lowercase());
    }
    let wanted = selector.to_lowercase();
    let mut tenants = distinct(
        organisations
            .iter()
            .filter(|o| o.name.eq_ignore_ascii_case(selector))
            .collect(),
    );
    if tenants.is_empty() && naming == Naming::Loose && wanted.chars().count() >= MIN_ID_PREFIX {
        tenants = distinct(
            organisations
                .iter()
                .filter(|o| o.tenant_id.to_lowercase().starts_with(&wanted))
                .collect(),
        );
    }
    match tenants.as_slice() {
        [one] => Ok(one.tenant_id.clone()),
        [] => Err(EngineError::UnknownOrganisation {
            selector: selector.into(),
            suggestions: near_names(organisations, &wanted),
        }),
        many => Err(EngineError::Ambiguous {
            selector: selector.into(),
            candidates: many
                .iter()
                .map(|o| format!("{} ({})", o.name, o.tenant_id))
                .collect(),
        }),
    }
}

/// One entry per tenant (two logins may reach the same one).
fn distinct(mut found: Vec<&Organisation>) -> Vec<&Organisation> {
    found.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
    found.dedup_by(|a, b| a.tenant_id == b.tenant_id);
    found
}

/// Up to five names `wanted` (lower case) nearly spells, closest first: names that contain it
/// (a truncation), and names within a few edits of it, a transposition counting as one edit
/// ("Harbor Cafe" for "Harbour Cafe", "Hrabour" for "Harbour").
fn near_names(organisations: &[Organisation], wanted: &str) -> Vec<String> {
    if wanted.is_empty() {
        return Vec::new();
    }
    // A third of the length, at least one: "Cafe" may be off by one, a long name by more.
    let allowed = (wanted.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = organisations
        .iter()
        .filter_map(|o| {
            let name = o.name.to_lowercase();
            if name.contains(wanted) {
                return Some((0, o.name.as_str()));
            }
            let edits = strsim::damerau_levenshtein(&name, wanted);
            (edits <= allowed).then_some((edits, o.name.as_str()))
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    near.into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_go_straight_through_and_names_are_looked_up() {
        assert!(looks_like_tenant_id("9f1c2d3e-0000-4000-8000-000000000001"));
        assert!(looks_like_tenant_id("9F1C2D3E-0000-4000-8000-000000000001"));
        for name in [
            "Harbour Cafe",
            "9f1c",
            "9f1c2d3e-0000-4000-8000-00000000000g",
            "",
        ] {
            assert!(!looks_like_tenant_id(name), "{name}");
        }
    }
    use crate::store::fixtures::{login, org};

    #[test]
    fn logins_are_selected_exactly_then_by_unique_prefix() {
        let logins = [login("ann"), login("anna"), login("ben")];
        let pick = |s: &str| select_login(&logins, s).map(|l| l.id.to_string());
        assert_eq!(
            pick("ANN@example.com").unwrap(),
            "ann",
            "emails match in any case"
        );
        assert_eq!(
            pick("ann").unwrap(),
            "ann",
            "an exact id wins over the prefix it shares with another"
        );
        assert_eq!(pick("be").unwrap(), "ben", "a unique prefix is enough");
        assert!(
            matches!(pick("an"), Err(EngineError::Ambiguous { candidates, .. }) if candidates.len() == 2),
            "a prefix of two names both"
        );
        assert!(
            matches!(pick(""), Err(EngineError::UnknownLogin(_))),
            "an empty selector matches nobody rather than everybody"
        );
    }

    #[test]
    fn organisations_are_selected_by_tenant_id_or_unique_name_with_suggestions() {
        let mut kiwi = org("a", "t-kiwi");
        kiwi.name = "Kiwi Plumbing".into();
        let mut kiwi_b = org("b", "t-kiwi");
        kiwi_b.name = "Kiwi Plumbing".into();
        let mut twin = org("a", "t-twin-1");
        twin.name = "Twin".into();
        let mut twin2 = org("b", "t-twin-2");
        twin2.name = "twin".into();
        let orgs = [kiwi, kiwi_b, twin, twin2];
        assert_eq!(
            select_organisation(&orgs, "T-KIWI", Naming::Loose).unwrap(),
            "t-kiwi",
            "a tenant id in any case"
        );
        assert_eq!(
            select_organisation(&orgs, "kiwi plumbing", Naming::Exact).unwrap(),
            "t-kiwi",
            "a name two logins reach is still one tenant"
        );
        assert!(
            matches!(
                select_organisation(&orgs, "twin", Naming::Loose),
                Err(EngineError::Ambiguous { .. })
            ),
            "two tenants of the same name must be told apart by id"
        );
        match select_organisation(&orgs, "plumb", Naming::Loose) {
            Err(EngineError::UnknownOrganisation { suggestions, .. }) => assert_eq!(
                suggestions,
                ["Kiwi Plumbing"],
                "a near miss suggests the name once, however many logins reach it"
            ),
            other => panic!("a partial name is not a match: {other:?}"),
        }
    }

    #[test]
    fn a_unique_tenant_id_prefix_of_eight_or_more_selects_its_organisation_for_a_read_only() {
        let mut a = org("a", "9f1c2d3e-0000-4000-8000-000000000001");
        a.name = "Acme".into();
        let mut a_b = org("b", "9f1c2d3e-0000-4000-8000-000000000001");
        a_b.name = "Acme".into();
        let mut b = org("a", "9f1c2d3e-aaaa-4000-8000-000000000002");
        b.name = "Bravo".into();
        let mut c = org("a", "cafe1234-0000-4000-8000-000000000003");
        c.name = "Southern Farms".into();
        let orgs = [a, a_b, b, c];
        assert_eq!(
            select_organisation(&orgs, "9F1C2D3E-0", Naming::Loose).unwrap(),
            "9f1c2d3e-0000-4000-8000-000000000001",
            "a prefix of one tenant id, in any case, as a login's id prefix works"
        );
        assert!(
            matches!(select_organisation(&orgs, "9f1c2d3e", Naming::Loose), Err(EngineError::Ambiguous { candidates, .. }) if candidates.len() == 2),
            "a prefix two tenants share names both, each once"
        );
        for short in ["Cafe", "cafe123", "9f1c"] {
            assert!(
                matches!(
                    select_organisation(&orgs, short, Naming::Loose),
                    Err(EngineError::UnknownOrganisation { .. })
                ),
                "`{short}` may be the name of an organisation since removed: it selects no \
                 tenant whose id merely starts with it"
            );
        }
        assert!(
            matches!(
                select_organisation(&orgs, "cafe1234", Naming::Exact),
                Err(EngineError::UnknownOrganisation { .. })
            ),
            "a write takes a whole id or an exact name, never a prefix"
        );
        assert_eq!(
            select_organisation(&orgs, "CAFE1234-0000-4000-8000-000000000003", Naming::Exact)
                .unwrap(),
            "cafe1234-0000-4000-8000-000000000003",
            "a whole id, in any case, is exact"
        );
    }

    #[test]
    fn near_misses_suggest_spelling_variants_and_transpositions() {
        let names = [
            "Harbour Cafe Ltd",
            "Kiwi Plumbing",
            "Harbourside Dental",
            "Acme",
        ];
        let orgs: Vec<Organisation> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut o = org("a", &format!("t-{i}"));
                o.name = (*name).into();
                o
            })
            .collect();
        let suggest = |s: &str| match select_organisation(&orgs, s, Naming::Loose) {
            Err(EngineError::UnknownOrganisation { suggestions, .. }) => suggestions,
            other => panic!("`{s}` names no organisation exactly: {other:?}"),
        };
        assert_eq!(
            suggest("Harbor Cafe Ltd"),
            ["Harbour Cafe Ltd"],
            "US spelling of a UK name is one edit away"
        );
        assert_eq!(
            suggest("Kiwi Plubming"),
            ["Kiwi Plumbing"],
            "a transposition is one edit, not two"
        );
        assert_eq!(
            suggest("harbour"),
            ["Harbour Cafe Ltd", "Harbourside Dental"],
            "a truncation still suggests every name containing it"
        );
        assert!(
            suggest("Zebra Holdings").is_empty(),
            "an unrelated name suggests nothing rather than noise"
        );
    }
}
