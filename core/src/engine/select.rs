//! The selectors people type: a login by email, user id or unique prefix; an organisation by
//! tenant id or unique name. Pure functions over the stored rows, and the engine's calls that
//! read the rows for them.

use super::Engine;
use crate::error::EngineError;
use crate::model::{Login, Organisation};

impl Engine {
    /// A login by email (case-insensitive), user id, or unique prefix of either.
    pub async fn resolve_login(&self, selector: &str) -> Result<Login, EngineError> {
        select_login(&self.logins().await?, selector)
    }

    /// An organisation's tenant id from its tenant id or its name (case-insensitive, unique).
    pub async fn resolve_organisation(&self, selector: &str) -> Result<String, EngineError> {
        select_organisation(&self.organisations().await?, selector)
    }

    /// The tenant id `org` names: a tenant id as it is (the directory knows it without a read of
    /// the store), else a name or unique id prefix, looked up. For the hot paths: the gateway and
    /// the token agent.
    pub async fn tenant_for(&self, org: &str) -> Result<String, EngineError> {
        if looks_like_tenant_id(org) {
            Ok(org.to_ascii_lowercase())
        } else {
            self.resolve_organisation(org).await
        }
    }

    /// A valid access token for the organisation `org` names (a tenant id goes straight to the
    /// directory, with no read of the store; a name or id prefix is looked up), through the
    /// login `login` names when given: what `tenantry token` and the token agent hand out.
    pub async fn grant_for(
        &self,
        org: &str,
        login: Option<&str>,
    ) -> Result<crate::AccessGrant, EngineError> {
        let tenant = self.tenant_for(org).await?;
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
/// tenant with that name, else the one tenant whose id starts with it (as logins go by a prefix
/// of their id); otherwise the names it nearly spells, as suggestions.
pub fn select_organisation(
    organisations: &[Organisation],
    selector: &str,
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
    if tenants.is_empty() && !wanted.is_empty() {
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
            select_organisation(&orgs, "T-KIWI").unwrap(),
            "t-kiwi",
            "a tenant id in any case"
        );
        assert_eq!(
            select_organisation(&orgs, "kiwi plumbing").unwrap(),
            "t-kiwi",
            "a name two logins reach is still one tenant"
        );
        assert!(
            matches!(
                select_organisation(&orgs, "twin"),
                Err(EngineError::Ambiguous { .. })
            ),
            "two tenants of the same name must be told apart by id"
        );
        match select_organisation(&orgs, "plumb") {
            Err(EngineError::UnknownOrganisation { suggestions, .. }) => assert_eq!(
                suggestions,
                ["Kiwi Plumbing"],
                "a near miss suggests the name once, however many logins reach it"
            ),
            other => panic!("a partial name is not a match: {other:?}"),
        }
    }

    #[test]
    fn a_unique_tenant_id_prefix_selects_its_organisation() {
        let mut a = org("a", "9f1c2d3e-0000-4000-8000-000000000001");
        a.name = "Acme".into();
        let mut a_b = org("b", "9f1c2d3e-0000-4000-8000-000000000001");
        a_b.name = "Acme".into();
        let mut b = org("a", "9f2aaaaa-0000-4000-8000-000000000002");
        b.name = "Bravo".into();
        let orgs = [a, a_b, b];
        assert_eq!(
            select_organisation(&orgs, "9F1C").unwrap(),
            "9f1c2d3e-0000-4000-8000-000000000001",
            "a prefix of one tenant id, in any case, as a login's id prefix works"
        );
        assert!(
            matches!(select_organisation(&orgs, "9f"), Err(EngineError::Ambiguous { candidates, .. }) if candidates.len() == 2),
            "a prefix two tenants share names both, each once"
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
        let suggest = |s: &str| match select_organisation(&orgs, s) {
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
