//! Handing out access tokens: the hot path. A fresh cached token is returned with no lock and no
//! I/O (one allocation: the grant's copy of the token); anything else goes through the refresh
//! protocol. A caller's use of a login is noted, at most once a minute per process, so the window
//! can refresh logins in use ahead of expiry.

use super::refresh::Mode;
use super::slot::Slot;
use super::{Engine, Inner};
use crate::error::EngineError;
use crate::model::LoginId;
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A login's use is written to the store at most this often per process.
const USE_NOTE_EVERY: Duration = Duration::minutes(1);

/// A valid access token for one organisation, and whose it is.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub login_id: LoginId,
    /// Lower case, as the directory keeps it.
    pub tenant_id: Arc<str>,
    pub access_token: Secret,
    pub expires_at: DateTime<Utc>,
}

impl Engine {
    /// A valid access token for the organisation, from a login that reaches it (a healthy one
    /// first when two do). Never another login's token.
    pub async fn access_token_for(&self, tenant_id: &str) -> Result<AccessGrant, EngineError> {
        self.grant(tenant_id, None).await
    }

    /// A valid access token for the organisation through `login`, which must reach it (for a
    /// script that must act as a particular person where two logins reach one organisation).
    pub async fn access_token_through(
        &self,
        tenant_id: &str,
        login: &LoginId,
    ) -> Result<AccessGrant, EngineError> {
        self.grant(tenant_id, Some(login)).await
    }

    /// After Xero answered 401 to `grant`'s token, which Tenantry thought valid: a replacement,
    /// refreshed at most once however many callers saw the same 401. Retry the call once with
    /// it, never in a loop.
    pub async fn replace_rejected(&self, grant: &AccessGrant) -> Result<AccessGrant, EngineError> {
        let tokens = self
            .inner
            .replace_rejected_access(&grant.login_id, &grant.access_token)
            .await?;
        Ok(AccessGrant {
            login_id: grant.login_id.clone(),
            tenant_id: grant.tenant_id.clone(),
            access_token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
        })
    }

    async fn grant(
        &self,
        tenant_id: &str,
        through: Option<&LoginId>,
    ) -> Result<AccessGrant, EngineError> {
        let (tenant, candidates) = match self.inner.candidates(tenant_id).await {
            Err(EngineError::UnknownOrganisation { .. }) => {
                return Err(self.inner.why_unreachable(tenant_id).await);
            }
            found => found?,
        };
        if let Some(wanted) = through
            && !candidates.contains(wanted)
        {
            let email = self
                .logins()
                .await?
                .into_iter()
                .find(|l| &l.id == wanted)
                .map_or_else(|| wanted.to_string(), |l| l.email);
            return Err(EngineError::NotReachedThrough {
                email,
                tenant_id: tenant.to_string(),
            });
        }
        let mut first_error = None;
        for login in candidates
            .iter()
            .filter(|l| through.is_none_or(|w| w == *l))
        {
            match self.inner.token_for_login(login).await {
                Ok(tokens) => {
                    return Ok(AccessGrant {
                        login_id: login.clone(),
                        tenant_id: tenant,
                        access_token: tokens.access_token.clone(),
                        expires_at: tokens.expires_at,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| EngineError::unknown_organisation(tenant_id)))
    }
}

impl Inner {
    /// No working connection reaches the tenant: disconnected at Xero if the store still holds
    /// it (marked), else unknown.
    async fn why_unreachable(&self, tenant_id: &str) -> EngineError {
        let tenant = tenant_id.to_owned();
        let found = self
            .db
            .run(move |s| {
                let logins = s.logins()?;
                let gone = s
                    .organisations()?
                    .into_iter()
                    .filter(|o| o.tenant_id.eq_ignore_ascii_case(&tenant))
                    .max_by_key(|o| o.last_seen_at);
                Ok(gone.map(|o| {
                    let email = logins
                        .iter()
                        .find(|l| l.id == o.login_id)
                        .map_or_else(|| o.login_id.to_string(), |l| l.email.clone());
                    (o, email)
                }))
            })
            .await;
        match found {
            Ok(Some((org, email))) => EngineError::OrganisationDisconnected {
                name: org.name,
                tenant_id: org.tenant_id,
                login: org.login_id,
                email,
                last_seen: org.last_seen_at,
            },
            Ok(None) => EngineError::unknown_organisation(tenant_id),
            Err(e) => e.into(),
        }
    }

    /// The login's token set with a fresh access token, refreshing it if needed.
    pub(super) async fn token_for_login(
        self: &Arc<Self>,
        login: &LoginId,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let slot = self.slot(login);
        let now = self.clock.now();
        let tokens = match slot.fresh(now) {
            Some(tokens) => tokens,
            None => {
                self.spawn_refresh(login.clone(), Mode::IfStale, None)
                    .await?
            }
        };
        self.note_use(&slot, login, now).await;
        Ok(tokens)
    }

    /// After Xero answered 401 to `rejected`: a replacement, refreshed at most once however many
    /// callers saw the same 401. The caller retries its call once with it, never in a loop.
    pub(super) async fn replace_rejected_access(
        self: &Arc<Self>,
        login: &LoginId,
        rejected: &Secret,
    ) -> Result<Arc<TokenSet>, EngineError> {
        tracing::info!(login = %login, "Xero rejected an unexpired access token; refreshing once");
        self.spawn_refresh(login.clone(), Mode::Rejected(rejected.fingerprint()), None)
            .await
    }

    /// Records that a caller is using this login (at most once a minute per process), so the
    /// app can refresh it ahead of expiry. Losing the note costs only that head start.
    async fn note_use(&self, slot: &Slot, login: &LoginId, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let noted = slot.use_noted.load(Ordering::Relaxed);
        if now_ms - noted < USE_NOTE_EVERY.num_milliseconds()
            || slot
                .use_noted
                .compare_exchange(noted, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let login = login.clone();
        if let Err(e) = self.db.run(move |s| s.record_use(&login, now)).await {
            tracing::debug!(error = %e, "could not note a token's use");
        }
    }
}
