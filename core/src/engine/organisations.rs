//! A login's organisations: listing them at Xero again (and recording what changed), testing one
//! connection end to end, disconnecting one, and removing a login altogether.

use super::{Change, Engine, Inner};
use crate::error::EngineError;
use crate::model::{EventKind, LoginId, Organisation};
use crate::store::OrganisationChanges;
use crate::token::TokenSet;
use crate::xero::{OrganisationInfo, XeroError};
use std::sync::Arc;

impl Engine {
    /// Lists the login's organisations at Xero again and records what changed.
    pub async fn sync_organisations(
        &self,
        login: &LoginId,
    ) -> Result<Vec<Organisation>, EngineError> {
        let tokens = self.inner.token_for_login(login).await?;
        let (synced, _) = self.inner.sync_retrying(login, &tokens).await?;
        Ok(synced.all)
    }

    /// Calls the Organisation endpoint for a tenant through its login: proves the connection works.
    pub async fn test_organisation(
        &self,
        tenant_id: &str,
    ) -> Result<OrganisationInfo, EngineError> {
        let grant = self.access_token_for(tenant_id).await?;
        let xero = &self.inner.xero;
        let mut result = xero
            .organisation_counted(&grant.access_token, tenant_id)
            .await;
        if let Err(XeroError::Unauthorized(_)) = result {
            let tokens = self
                .inner
                .replace_rejected_access(&grant.login_id, &grant.access_token)
                .await?;
            result = xero
                .organisation_counted(&tokens.access_token, tenant_id)
                .await;
        }
        // Tenantry's own call is egress too, counted as the gateway counts a program's.
        let result = match result {
            Ok((info, bytes)) => {
                let key = crate::usage::EgressKey {
                    day: self.now().date_naive(),
                    tenant_id: tenant_id.to_lowercase(),
                    program: crate::usage::TENANTRY_PROGRAM.into(),
                    path: "/api.xro/2.0/Organisation".into(),
                };
                let count = crate::usage::EgressCount {
                    calls: 1,
                    wire: bytes,
                    decoded: bytes,
                };
                if let Err(e) = self.record_egress(vec![(key, count)]).await {
                    tracing::warn!(error = %e, "the Organisation call's egress was not recorded");
                }
                Ok(info)
            }
            Err(e) => Err(e),
        };
        match result {
            Err(XeroError::ConnectionGone) => {
                // The connection is gone at Xero: bring the list up to date so the UI shows it.
                if let Err(e) = self.sync_organisations(&grant.login_id).await {
                    tracing::warn!(error = %e, "could not list the organisations again");
                }
                Err(XeroError::ConnectionGone.into())
            }
            other => Ok(other?),
        }
    }

    /// Disconnects one organisation from one login at Xero (`DELETE /connections/{id}`).
    pub async fn disconnect(
        &self,
        login: &LoginId,
        tenant_id: &str,
    ) -> Result<Organisation, EngineError> {
        let inner = &self.inner;
        let id = login.clone();
        let org = inner
            .db
            .run(move |s| s.organisations_of(&id))
            .await?
            .into_iter()
            .find(|o| o.tenant_id.eq_ignore_ascii_case(tenant_id))
            .ok_or_else(|| EngineError::unknown_organisation(tenant_id))?;
        // Already gone at Xero: only the list still shows it, and removing it needs no token
        // (its login may itself need reconnecting).
        let detail = if org.disconnected_at.is_some() {
            format!(
                "removed {} from the list (it was disconnected at Xero)",
                org.name
            )
        } else {
            let tokens = inner.token_for_login(login).await?;
            match inner
                .xero
                .delete_connection(&tokens.access_token, &org.connection_id)
                .await
            {
                Ok(()) | Err(XeroError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            format!("disconnected {}", org.name)
        };
        // The event first, while the row still names the organisation (for the on_event hook).
        inner
            .event(
                Some(login),
                EventKind::Disconnected,
                Some(&org.tenant_id),
                detail,
            )
            .await;
        let (id, tenant) = (login.clone(), org.tenant_id.clone());
        inner
            .db
            .run(move |s| s.remove_organisation(&id, &tenant))
            .await?;
        inner.directory.invalidate();
        inner.changed(Change::Organisations);
        Ok(org)
    }

    /// Removes a login: revokes its refresh token at Xero (which drops all its connections),
    /// deletes its keychain entry, then its metadata.
    pub async fn remove_login(&self, login: &LoginId) -> Result<(), EngineError> {
        let inner = &self.inner;
        let slot = inner.slot(login);
        let _flight = slot.flight.lock().await;
        let _lock = inner.mode.acquire(login).await?;
        // A Custom Connection's credentials are the app's: nothing to revoke from here (the
        // connection is removed in Xero's developer portal).
        if let Some(tokens) = inner.db.load(login).await?
            && !login.is_custom_connection()
        {
            match inner.xero.revoke(&tokens.refresh_token).await {
                // Already dead at Xero: nothing left to revoke.
                Ok(()) | Err(XeroError::NeedsReconnect) => {}
                Err(e) => return Err(e.into()),
            }
        }
        inner.db.forget(login).await?;
        slot.set(None);
        let id = login.clone();
        inner.db.run(move |s| s.delete_login(&id)).await?;
        inner
            .event(
                Some(login),
                EventKind::Removed,
                None,
                if login.is_custom_connection() {
                    "custom connection removed here; the app itself is removed at developer.xero.com".into()
                } else {
                    "login removed; its refresh token was revoked at Xero".into()
                },
            )
            .await;
        inner.directory.invalidate();
        inner.changed(Change::Login(login.clone()));
        Ok(())
    }
}

/// What one look at `/connections` found.
pub(super) struct Synced {
    /// Every organisation Xero lists for the login now.
    pub all: Vec<Organisation>,
    /// Those the consent of `auth_event` added.
    pub by_consent: Vec<Organisation>,
    /// What appeared and went since the last look.
    pub changes: OrganisationChanges,
}

impl Inner {
    /// [`Inner::sync_organisations`], once more with a replaced access token if Xero answers 401
    /// to one our clock calls valid. Says whether it had to (a refresh and a second call).
    pub(super) async fn sync_retrying(
        self: &Arc<Self>,
        login: &LoginId,
        tokens: &TokenSet,
    ) -> Result<(Synced, bool), EngineError> {
        match self.sync_organisations(login, tokens, None).await {
            Err(EngineError::Xero(XeroError::Unauthorized(_))) => {
                let tokens = self
                    .replace_rejected_access(login, &tokens.access_token)
                    .await?;
                Ok((self.sync_organisations(login, &tokens, None).await?, true))
            }
            other => Ok((other?, false)),
        }
    }

    /// Replaces the login's organisations with Xero's list and records what changed.
    pub(super) async fn sync_organisations(
        self: &Arc<Self>,
        login: &LoginId,
        tokens: &TokenSet,
        auth_event: Option<&str>,
    ) -> Result<Synced, EngineError> {
        let now = self.clock.now();
        let current: Vec<Organisation> = self
            .xero
            .connections(&tokens.access_token, None)
            .await?
            .into_iter()
            .map(|c| c.into_organisation(login, now))
            .collect();
        let (id, listed) = (login.clone(), current.clone());
        let changes = self
            .db
            .run(move |s| {
                let changes = s.replace_organisations(&id, &listed, now)?;
                s.record_check(&id, now)?;
                for (org, kind, what) in changes
                    .added
                    .iter()
                    .map(|o| (o, EventKind::OrganisationAdded, "is reachable"))
                    .chain(changes.removed.iter().map(|o| {
                        (
                            o,
                            EventKind::OrganisationRemoved,
                            "is no longer connected at Xero (disconnected there); kept in the list, marked",
                        )
                    }))
                {
                    let detail = format!("{} {what}", org.name);
                    if let Err(e) = s.add_event(now, Some(&id), kind, Some(&org.tenant_id), &detail)
                    {
                        tracing::warn!(error = %e, "could not record an event");
                    }
                }
                Ok(changes)
            })
            .await?;
        let by_consent = added_by_consent(&current, changes.added.clone(), auth_event);
        self.directory.invalidate();
        self.changed(Change::Organisations);
        Ok(Synced {
            all: current,
            by_consent,
            changes,
        })
    }
}

/// Which organisations one consent added. Xero tags each connection with the authentication
/// event that made it; other providers do not, so then "new to us" stands in.
fn added_by_consent(
    current: &[Organisation],
    new_to_us: Vec<Organisation>,
    auth_event: Option<&str>,
) -> Vec<Organisation> {
    match auth_event {
        Some(event) if current.iter().any(|o| o.auth_event_id.is_some()) => current
            .iter()
            .filter(|o| o.auth_event_id.as_deref() == Some(event))
            .cloned()
            .collect(),
        _ => new_to_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::org;

    #[test]
    fn a_consent_added_what_xero_tagged_with_its_event_else_what_is_new() {
        let mut old = org("a", "t-old");
        old.auth_event_id = Some("e1".into());
        let mut again = org("a", "t-again");
        again.auth_event_id = Some("e2".into());
        let mut fresh = org("a", "t-new");
        fresh.auth_event_id = Some("e2".into());
        let current = [old, again.clone(), fresh.clone()];
        let tenants =
            |orgs: Vec<Organisation>| orgs.into_iter().map(|o| o.tenant_id).collect::<Vec<_>>();
        assert_eq!(
            tenants(added_by_consent(&current, vec![fresh.clone()], Some("e2"))),
            ["t-again", "t-new"],
            "re-consenting to an organisation we knew still counts as this consent's"
        );
        let mut plain = current.clone();
        plain.iter_mut().for_each(|o| o.auth_event_id = None);
        assert_eq!(
            tenants(added_by_consent(&plain, vec![fresh], Some("e2"))),
            ["t-new"],
            "a provider without authEventId: the ones new to us"
        );
    }
}
