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
/// tenant with that name; otherwise up to five names that contain it, as suggestions.
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
    let mut tenants: Vec<&Organisation> = organisations
        .iter()
        .filter(|o| o.name.eq_ignore_ascii_case(selector))
        .collect();
    tenants.dedup_by(|a, b| a.tenant_id == b.tenant_id);
    match tenants.as_slice() {
        [one] => Ok(one.tenant_id.clone()),
        [] => {
            let wanted = selector.to_lowercase();
            let mut suggestions: Vec<String> = organisations
                .iter()
                .filter(|o| o.name.to_lowercase().contains(&wanted))
                .map(|o| o.name.clone())
                .collect();
            suggestions.dedup();
            suggestions.truncate(5);
            Err(EngineError::UnknownOrganisation {
                selector: selector.into(),
                suggestions,
            })
        }
        many => Err(EngineError::Ambiguous {
            selector: selector.into(),
            candidates: many
                .iter()
                .map(|o| format!("{} ({})", o.name, o.tenant_id))
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
