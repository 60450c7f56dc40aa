//! Which logins reach which tenant (the directory a token request looks its tenant up in), and
//! the selectors people type: a login by email, user id or unique prefix; an organisation by
//! tenant id or unique name. The rules are pure functions over the stored rows.

use super::{Engine, Inner};
use crate::error::EngineError;
use crate::model::{Login, LoginId, LoginState, Organisation};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Map = HashMap<Arc<str>, Arc<[LoginId]>>;

/// tenant id (lower case) → logins reaching it, healthy ones first. Read on every token request
/// without touching the store; built from the store on first use, and again after a change makes
/// it stale, so a command that hands out no token (`status`, `orgs`) never builds it.
#[derive(Default)]
pub(super) struct Directory(RwLock<Option<Map>>);

/// The directory for these rows: a login that needs a reconnect goes after the healthy ones, so
/// a shared organisation is served through a login that works. Takes the organisations by value
/// and drops each as it is filed: with 10,000 of them, holding every row until the end would
/// raise the process's peak memory for nothing.
pub(super) fn build(
    logins: &[Login],
    organisations: impl IntoIterator<Item = Organisation>,
) -> Map {
    let healthy: HashMap<&LoginId, bool> = logins
        .iter()
        .map(|l| (&l.id, l.state != LoginState::NeedsReconnect))
        .collect();
    let mut map: HashMap<Arc<str>, Vec<LoginId>> = HashMap::new();
    for org in organisations {
        map.entry(org.tenant_id.to_lowercase().into())
            .or_default()
            .push(org.login_id);
    }
    map.into_iter()
        .map(|(tenant, mut reaching)| {
            // Stable: among equally healthy logins the store's order stands.
            reaching.sort_by_key(|l| !healthy.get(l).copied().unwrap_or(false));
            (tenant, Arc::from(reaching))
        })
        .collect()
}

impl Directory {
    /// The tenant id as the directory keeps it, and the logins that reach it; `None` if the
    /// tenant is not in it or it is not built. Allocates nothing when the id is already lower
    /// case (as Xero writes them).
    fn lookup(&self, tenant_id: &str) -> Option<(Arc<str>, Arc<[LoginId]>)> {
        let map = self.0.read().expect("directory lock");
        let map = map.as_ref()?;
        map.get_key_value(tenant_id)
            .or_else(|| map.get_key_value(tenant_id.to_lowercase().as_str()))
            .map(|(tenant, logins)| (tenant.clone(), logins.clone()))
    }

    /// Logins or organisations changed: the next lookup builds the directory again.
    pub(super) fn invalidate(&self) {
        *self.0.write().expect("directory lock") = None;
    }
}

impl Inner {
    async fn reload_directory(&self) -> Result<(), EngineError> {
        // Built where the rows are read, so they are freed where they were allocated.
        let map = self
            .db
            .run(|s| Ok(build(&s.logins()?, s.organisations()?)))
            .await?;
        *self.directory.0.write().expect("directory lock") = Some(map);
        Ok(())
    }

    /// The tenant as the directory keys it and the logins reaching it, healthy ones first.
    pub(super) async fn candidates(
        &self,
        tenant_id: &str,
    ) -> Result<(Arc<str>, Arc<[LoginId]>), EngineError> {
        if let Some(found) = self.directory.lookup(tenant_id) {
            return Ok(found);
        }
        // Not built yet, or another process (a CLI run, the desktop app) may have connected it
        // since it was.
        self.reload_directory().await?;
        self.directory
            .lookup(tenant_id)
            .ok_or_else(|| EngineError::unknown_organisation(tenant_id))
    }
}

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
    fn a_shared_tenant_is_served_through_a_healthy_login_first() {
        let mut lost = login("a");
        lost.state = LoginState::NeedsReconnect;
        let logins = [lost, login("b")];
        let orgs = [org("a", "Shared"), org("b", "Shared"), org("a", "Only-A")];
        let map = build(&logins, orgs);
        let ids = |t: &str| map[t].iter().map(LoginId::to_string).collect::<Vec<_>>();
        assert_eq!(
            ids("shared"),
            ["b", "a"],
            "tenant ids are keyed in lower case, and a login needing a human goes last"
        );
        assert_eq!(
            ids("only-a"),
            ["a"],
            "a tenant only a lost login reaches is still listed: its caller learns why"
        );
    }

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
