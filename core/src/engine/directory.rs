//! Which logins reach which tenant: the directory a token request looks its tenant up in, built
//! from the stored rows on first use (the rule, `build`, is a pure function) and one build at a time.

use super::Inner;
use crate::error::EngineError;
use crate::model::{Login, LoginId, LoginState, Organisation};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Map = HashMap<Arc<str>, Arc<[LoginId]>>;

/// tenant id (lower case) → logins reaching it, healthy ones first. Read on every token request
/// without touching the store; built from the store on first use, and again after a change makes
/// it stale, so a command that hands out no token (`status`, `orgs`) never builds it.
#[derive(Default)]
pub(super) struct Directory {
    state: RwLock<State>,
    /// One build at a time: a thousand callers that miss together (a fresh process, a change)
    /// wait for one build instead of each reading every row on the blocking threads.
    building: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    map: Option<Map>,
    /// Builds begun (each under the build lock), so a caller that waited for the lock can tell
    /// whether one began after it missed, and so read rows at least as new as its question.
    builds: u64,
    /// Changes seen, so a build that read its rows before a change does not install them.
    changes: u64,
}

type Found = (Arc<str>, Arc<[LoginId]>);

/// A caller missed when `seen` builds had begun; now that it holds the build lock, must it build?
/// Not if a build began after it missed (and so has ended) and still stands: that build read the
/// store after the caller asked, and the tenant was not there.
fn must_build(seen: u64, builds: u64, built: bool) -> bool {
    !built || builds == seen
}

/// The tenant id as `map` keys it, and the logins that reach it. Allocates nothing when the id is
/// already lower case (as Xero writes them).
fn find(map: &Map, tenant_id: &str) -> Option<Found> {
    map.get_key_value(tenant_id)
        .or_else(|| map.get_key_value(tenant_id.to_lowercase().as_str()))
        .map(|(tenant, logins)| (tenant.clone(), logins.clone()))
}

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
    // A connection Xero no longer lists hands out no token: its calls would answer 403.
    for org in organisations
        .into_iter()
        .filter(|o| o.disconnected_at.is_none())
    {
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
    /// The tenant's entry, or how many builds had begun when it was not there (or the directory
    /// was not built).
    fn lookup(&self, tenant_id: &str) -> Result<Found, (u64, bool)> {
        let state = self.state.read().expect("directory lock");
        match &state.map {
            Some(map) => find(map, tenant_id).ok_or((state.builds, true)),
            None => Err((state.builds, false)),
        }
    }

    /// Logins or organisations changed: the next lookup builds the directory again.
    pub(super) fn invalidate(&self) {
        let mut state = self.state.write().expect("directory lock");
        state.map = None;
        state.changes += 1;
    }

    /// A build begins (under the build lock): how many changes it has seen.
    fn begin(&self) -> u64 {
        let mut state = self.state.write().expect("directory lock");
        state.builds += 1;
        state.changes
    }

    /// Installs a build whose rows were read after `changes` changes, unless another came since.
    fn install(&self, map: Map, changes: u64) {
        let mut state = self.state.write().expect("directory lock");
        if state.changes == changes {
            state.map = Some(map);
        }
    }
}

impl Inner {
    /// Builds the directory from the store and answers `tenant_id` from that build. The caller
    /// holds the build lock.
    async fn build_directory(&self, tenant_id: &str) -> Result<Option<Found>, EngineError> {
        let changes = self.directory.begin();
        // Built where the rows are read, so they are freed where they were allocated.
        let map = self
            .db
            .run(|s| Ok(build(&s.logins()?, s.organisations()?)))
            .await?;
        let found = find(&map, tenant_id);
        self.directory.install(map, changes);
        Ok(found)
    }

    /// The tenant as the directory keys it and the logins reaching it, healthy ones first.
    pub(super) async fn candidates(&self, tenant_id: &str) -> Result<Found, EngineError> {
        let unknown = || EngineError::unknown_organisation(tenant_id);
        let (seen, _) = match self.directory.lookup(tenant_id) {
            Ok(found) => return Ok(found),
            Err(missed) => missed,
        };
        // Not built yet, or another process (a CLI run, the desktop app) may have connected it
        // since it was.
        let _one_build = self.directory.building.lock().await;
        match self.directory.lookup(tenant_id) {
            Ok(found) => return Ok(found),
            Err((builds, built)) if !must_build(seen, builds, built) => return Err(unknown()),
            Err(_) => {}
        }
        self.build_directory(tenant_id).await?.ok_or_else(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{login, org};

    use crate::engine::Engine;

    /// An engine over a store holding login "a", which reaches tenant "shared".
    async fn engine_reaching_shared(dir: &std::path::Path) -> Engine {
        let engine = Engine::for_test(dir).await;
        engine
            .store_for_test(login("a"), vec![org("a", "shared")])
            .await;
        engine
    }

    fn builds(engine: &Engine) -> u64 {
        engine.inner.directory.state.read().unwrap().builds
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_that_miss_together_wait_for_one_build() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_reaching_shared(dir.path()).await;
        assert_eq!(builds(&engine), 0, "opening builds nothing");
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let inner = engine.inner.clone();
                tokio::spawn(async move { inner.candidates("SHARED").await.map(|f| f.0) })
            })
            .collect();
        for caller in callers {
            assert_eq!(
                &*caller.await.unwrap().unwrap(),
                "shared",
                "every caller is answered"
            );
        }
        assert_eq!(
            builds(&engine),
            1,
            "64 callers that missed together read the store once, not 64 times"
        );

        engine.inner.directory.invalidate();
        engine.inner.candidates("shared").await.unwrap();
        assert_eq!(
            builds(&engine),
            2,
            "a change makes the next lookup build again"
        );
        assert!(
            matches!(
                engine.inner.candidates("elsewhere").await,
                Err(EngineError::UnknownOrganisation { .. })
            ),
            "a tenant the store does not hold is unknown, after a build that looked"
        );
        assert_eq!(
            builds(&engine),
            3,
            "a miss reads the store again: another process may have connected it"
        );
    }

    #[test]
    fn a_caller_that_missed_builds_unless_a_later_build_stands() {
        assert!(
            must_build(3, 3, true),
            "no build began since the miss: the tenant may have been connected since the last one"
        );
        assert!(
            !must_build(3, 4, true),
            "a build began after the miss and stands: it read the store after the question"
        );
        assert!(
            must_build(3, 4, false),
            "a change made the later build stale: nobody has read the store since"
        );
        assert!(must_build(0, 0, false), "never built: build");
    }

    #[test]
    fn a_tenant_id_is_found_in_any_case() {
        let map = build(&[login("a")], [org("a", "Shared")]);
        for asked in ["shared", "SHARED", "Shared"] {
            assert_eq!(
                find(&map, asked).map(|(tenant, _)| tenant.to_string()),
                Some("shared".to_owned()),
                "people paste tenant ids in either case; the directory keys them in lower case"
            );
        }
        assert!(
            find(&map, "other").is_none(),
            "an unknown tenant is not found"
        );
    }

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
}
