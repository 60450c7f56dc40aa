//! Moving a machine's own profile (its SQLite file and keychain entries) into the practice, one
//! login at a time. Each login is either fully moved (its row, organisations, sealed token set
//! and an event committed in one transaction, then its local copy removed) or left untouched.

use super::{Membership, PracticeError};
use crate::lock::{LOCK_WAIT, LoginLock};
use crate::model::{Login, LoginId};
use crate::store::Store;
use crate::vault::{SealedVault, TokenVault};
use chrono::{DateTime, Utc};
use std::path::Path;

/// What became of one local login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// In the practice now, with this many organisations; its local copy is removed.
    Moved { organisations: usize },
    /// The practice already has this Xero login (connected on another machine): the local copy
    /// is left as it was, unused while `database_url` is set.
    AlreadyInPractice,
    /// Left untouched, for this reason (a person acts, then runs migrate again).
    Untouched(String),
}

/// Moves every login of the local profile in `data_dir` (its store, with tokens in
/// `local_vault`) into the practice. Each login's local and practice locks are held while it
/// moves, so neither a local process nor another machine refreshes it meanwhile.
pub fn migrate(
    member: &Membership,
    local: &dyn Store,
    local_vault: &dyn TokenVault,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Vec<(Login, Moved)>, PracticeError> {
    let sealed = SealedVault::new(member.store.clone(), member.key.clone());
    let mut done = Vec::new();
    for login in local.logins()? {
        let outcome = move_one(
            member,
            &sealed,
            local,
            local_vault,
            data_dir,
            &login.id,
            now,
        )?;
        done.push((login, outcome));
    }
    Ok(done)
}

fn move_one(
    member: &Membership,
    sealed: &SealedVault,
    local: &dyn Store,
    local_vault: &dyn TokenVault,
    data_dir: &Path,
    id: &LoginId,
    now: DateTime<Utc>,
) -> Result<Moved, PracticeError> {
    let untouched = |why: &str| Ok(Moved::Untouched(why.to_owned()));
    let Ok(_local_lock) = LoginLock::acquire_blocking(&data_dir.join("locks"), id) else {
        return untouched("its lock file cannot be opened; check the data directory is writable");
    };
    let _practice_lock = member.store.lock_login(id, LOCK_WAIT)?;
    // Read again under the locks: a local refresh may have finished meanwhile.
    let Some(login) = local.login(id)? else {
        return untouched("it was removed while the move waited");
    };
    if local.refresh_intent(id)?.is_some() {
        return untouched(
            "a refresh of it was interrupted; finish it first (unset database_url, run `tenantry refresh LOGIN`, set it again)",
        );
    }
    let Some(tokens) = local_vault.load(id)? else {
        return untouched(
            "its tokens are missing from the keychain; reconnect it once the practice is set up",
        );
    };
    let organisations = local.organisations_of(id)?;
    let detail = format!(
        "moved into the practice from {}'s own profile",
        member.identity.machine
    );
    let adopted = member.store.adopt_login(
        &login,
        &organisations,
        &member.key.id(),
        &sealed.seal(id, &tokens),
        &detail,
        now,
    )?;
    if !adopted {
        return Ok(Moved::AlreadyInPractice);
    }
    // The practice holds it now; the local copy goes, so no second refresh chain is kept.
    local_vault.delete(id)?;
    local.delete_login(id)?;
    Ok(Moved::Moved {
        organisations: organisations.len(),
    })
}
