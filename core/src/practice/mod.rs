//! Practice mode's membership: making a practice, inviting and joining machines, and opening it
//! on a machine that has joined. A practice is a PostgreSQL database (`database_url`) holding
//! every login's metadata and its token set sealed under the practice key; each member machine
//! keeps that key in its own vault (keychain or file vault), never in the database.
//!
//! Every function here blocks (database and vault calls): run them off async workers.

mod code;
mod migrate;

pub use crate::seal::{DoesNotOpen, PracticeKey};
pub use code::JoinCode;
pub use migrate::{Moved, migrate};

use crate::config::Config;
pub use crate::model::practice::{CodeTaken, Identity, Member, PracticeRow};
use crate::secret::Secret;
use crate::store::StoreError;
use crate::store::postgres::PostgresStore;
use crate::vault::named::{self, SecretEntry};
use crate::vault::{TokenVault, VaultError};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How long a join code works.
pub const JOIN_CODE_LIFETIME: Duration = Duration::hours(24);

/// A known value sealed under the practice key, bound to the practice id: a machine's key is the
/// practice's exactly when it opens this.
const KEY_CHECK: &[u8] = b"tenantry practice key check";

impl Identity {
    /// `person_name` and `machine_name` from the configuration, else the OS user and host names.
    pub fn of(config: &Config) -> Self {
        let person = config.person_name.clone().unwrap_or_else(os_user);
        let machine = config.machine_name.clone().unwrap_or_else(|| {
            gethostname::gethostname()
                .to_string_lossy()
                .trim()
                .to_owned()
        });
        Self {
            person: nonempty(person, "someone"),
            machine: nonempty(machine, "this computer"),
        }
    }
}

fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_default()
}

fn nonempty(value: String, otherwise: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        otherwise.into()
    } else {
        value.into()
    }
}

/// Shaped by what the person does next; the step itself is [`PracticeError::fix`], worded by
/// each front end.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error("this profile has no practice database; set it first")]
    NoDatabase,
    #[error("the practice database at {server} has no practice yet")]
    NotInitialised { server: String },
    #[error("the practice database at {server} already holds a practice; join it instead")]
    AlreadyInitialised { server: String },
    #[error("this machine has not joined the practice at {server}")]
    NotJoined { server: String },
    #[error(
        "this machine's practice key does not open the practice at {server} (the key was rotated, or it is another practice's); nothing was changed. Join again"
    )]
    WrongKey { server: String },
    #[error(
        "that is not a join code: it is 26 letters and digits, as `tenantry practice invite` printed it (dashes and spaces do not matter)"
    )]
    CodeMistyped,
    #[error(
        "the practice at {server} has no such join code (mistyped, or made for another practice); check it"
    )]
    CodeUnknown { server: String },
    #[error("that join code was already used (by {by}); each code joins one machine")]
    CodeUsed { by: String },
    #[error("that join code has expired (codes work for 24 hours)")]
    CodeExpired,
    #[error("that join code was made before the practice key was rotated")]
    CodeStale,
    #[error(
        "the token set of login {login} does not open under the practice key, so the key was not rotated (nothing was changed)"
    )]
    Unsealable { login: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl PracticeError {
    /// The step that resolves it, when a person can take one.
    pub fn fix(&self) -> Option<crate::fix::Fix> {
        use crate::fix::Fix;
        match self {
            Self::NoDatabase => Some(Fix::SetDatabaseUrl),
            Self::NotInitialised { .. } => Some(Fix::InitPractice),
            Self::AlreadyInitialised { .. } | Self::NotJoined { .. } | Self::WrongKey { .. } => {
                Some(Fix::JoinPractice)
            }
            Self::CodeUnknown { .. }
            | Self::CodeUsed { .. }
            | Self::CodeExpired
            | Self::CodeStale => Some(Fix::NewJoinCode),
            Self::Unsealable { login } => Some(Fix::ReconnectThenRotate {
                login: login.clone(),
            }),
            Self::CodeMistyped | Self::Store(_) | Self::Vault(_) => None,
        }
    }
}

/// A machine's open membership: the practice database and the key that opens its token sets.
pub struct Membership {
    pub store: Arc<PostgresStore>,
    pub key: PracticeKey,
    pub practice_id: String,
    pub identity: Identity,
}

/// The vault entry a practice key is kept under on each machine, named by the key's id: a
/// rotation writes the new key beside the old one and removes the old only once the database has
/// switched, so a failure at any point leaves this machine a key that opens the practice.
pub fn key_entry(key_id: &str) -> SecretEntry {
    SecretEntry::new(&format!("tenantry-practice-key-{key_id}"))
}

fn url_of(config: &Config) -> Result<&str, PracticeError> {
    config
        .database_url
        .as_deref()
        .ok_or(PracticeError::NoDatabase)
}

fn the_practice(store: &PostgresStore) -> Result<PracticeRow, PracticeError> {
    store
        .practice()?
        .ok_or_else(|| PracticeError::NotInitialised {
            server: store.server().into(),
        })
}

/// Whether `key` is `row`'s key.
fn opens(key: &PracticeKey, row: &PracticeRow) -> bool {
    key.id() == row.key_id
        && key
            .open(&row.key_check, row.id.as_bytes())
            .is_ok_and(|check| check.as_slice() == KEY_CHECK)
}

/// Makes the practice in an empty practice database: its schema, a new practice key kept in this
/// machine's vault, and this machine as its first member.
pub fn init(
    config: &Config,
    vault: &dyn TokenVault,
    now: DateTime<Utc>,
) -> Result<Membership, PracticeError> {
    let store = PostgresStore::connect(url_of(config)?)?;
    let already = || PracticeError::AlreadyInitialised {
        server: store.server().into(),
    };
    if store.practice()?.is_some() {
        return Err(already());
    }
    let key = PracticeKey::generate();
    let practice_id = random_id();
    let row = PracticeRow {
        key_id: key.id(),
        key_check: key.seal(KEY_CHECK, practice_id.as_bytes()),
        id: practice_id.clone(),
    };
    // The key reaches this machine's vault before the practice exists: a practice whose key no
    // machine holds could never open a token set.
    let entry = key_entry(&row.key_id);
    named::store(vault, &entry, &Secret::new(key.to_text().to_string()))?;
    let identity = Identity::of(config);
    let made = store.create_practice(&row, &identity.machine, &identity.person, now);
    if !matches!(made, Ok(true)) {
        let _ = named::delete(vault, &entry);
        made?;
        return Err(already()); // another machine's init won the race
    }
    Ok(Membership {
        store: Arc::new(store),
        key,
        practice_id,
        identity,
    })
}

fn random_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS gives random bytes");
    crate::secret::hex(&bytes)
}

/// Opens the practice on a machine that has joined it, checking its key before anything is
/// read or written, and notes the machine as seen.
pub fn open(
    config: &Config,
    vault: &dyn TokenVault,
    now: DateTime<Utc>,
) -> Result<Membership, PracticeError> {
    let store = PostgresStore::connect(url_of(config)?)?;
    let row = the_practice(&store)?;
    let server = store.server().to_owned();
    let identity = Identity::of(config);
    let Some(text) = named::load(vault, &key_entry(&row.key_id))? else {
        // A member that holds no current key joined before a rotation: the key is wrong, not
        // missing.
        let member = store.members()?.into_iter().any(|m| m.is(&identity));
        return Err(if member {
            PracticeError::WrongKey { server }
        } else {
            PracticeError::NotJoined { server }
        });
    };
    let key = PracticeKey::from_text(text.expose())
        .filter(|key| opens(key, &row))
        .ok_or(PracticeError::WrongKey { server })?;
    store.saw_member(&identity.machine, &identity.person, &row.key_id, now)?;
    Ok(Membership {
        store: Arc::new(store),
        key,
        practice_id: row.id,
        identity,
    })
}

/// A one-time join code for another machine, valid for [`JOIN_CODE_LIFETIME`] by the database
/// server's clock (which every machine shares; their own may be wrong). The database keeps a hash
/// of it and the practice key wrapped under a key derived from it. Returns when it expires.
pub fn invite(membership: &Membership) -> Result<(JoinCode, DateTime<Utc>), PracticeError> {
    let code = JoinCode::generate();
    let wrapped = code.wrapping_key().seal(
        membership.key.to_text().as_bytes(),
        membership.practice_id.as_bytes(),
    );
    let expires_at = membership.store.add_join_code(
        &code.lookup_hash(),
        &wrapped,
        &membership.key.id(),
        &membership.identity.to_string(),
        JOIN_CODE_LIFETIME,
    )?;
    Ok((code, expires_at))
}

/// Joins this machine to the practice with a code another member made: the code is spent, and
/// the practice key goes into this machine's vault.
pub fn join(
    config: &Config,
    vault: &dyn TokenVault,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Membership, PracticeError> {
    let code = JoinCode::parse(typed).ok_or(PracticeError::CodeMistyped)?;
    let store = PostgresStore::connect(url_of(config)?)?;
    let row = the_practice(&store)?;
    let server = store.server().to_owned();
    let identity = Identity::of(config);
    let wrapped = match store.take_join_code(&code.lookup_hash(), &identity.to_string())? {
        CodeTaken::Wrapped { wrapped, key_id } if key_id == row.key_id => wrapped,
        CodeTaken::Wrapped { .. } => return Err(PracticeError::CodeStale),
        CodeTaken::Unknown => return Err(PracticeError::CodeUnknown { server }),
        CodeTaken::Used { by } => return Err(PracticeError::CodeUsed { by }),
        CodeTaken::Expired => return Err(PracticeError::CodeExpired),
    };
    let key = code
        .wrapping_key()
        .open(&wrapped, row.id.as_bytes())
        .ok()
        .and_then(|text| PracticeKey::from_text(std::str::from_utf8(&text).ok()?))
        .filter(|key| opens(key, &row))
        .ok_or(PracticeError::WrongKey {
            server: server.clone(),
        })?;
    named::store(
        vault,
        &key_entry(&row.key_id),
        &Secret::new(key.to_text().to_string()),
    )?;
    store.saw_member(&identity.machine, &identity.person, &row.key_id, now)?;
    Ok(Membership {
        store: Arc::new(store),
        key,
        practice_id: row.id,
        identity,
    })
}

/// Replaces the practice key: every token set re-sealed under a new one in one transaction that
/// holds every login's lock, unused join codes void. The new key goes into this machine's vault
/// first and the old entry is removed only after the switch. Every other machine must join again
/// (`WrongKey` until it does). Returns the membership under the new key and how many token sets
/// were re-sealed.
pub fn rotate_key(
    membership: &Membership,
    vault: &dyn TokenVault,
    now: DateTime<Utc>,
) -> Result<(Membership, usize), PracticeError> {
    let (old, new) = (&membership.key, PracticeKey::generate());
    let server = membership.store.server().to_owned();
    let new_entry = key_entry(&new.id());
    named::store(vault, &new_entry, &Secret::new(new.to_text().to_string()))?;
    let reseal = |login: &crate::model::LoginId, sealed: &[u8]| {
        let plain = old.open(sealed, login.as_str().as_bytes()).ok()?;
        Some(new.seal(&plain, login.as_str().as_bytes()))
    };
    let who = &membership.identity;
    let outcome = membership.store.reseal_all(
        &old.id(),
        &new.id(),
        &new.seal(KEY_CHECK, membership.practice_id.as_bytes()),
        crate::lock::LOCK_WAIT,
        &reseal,
        (&who.person, &who.machine),
        now,
    );
    let failure = match outcome {
        Ok(Some(Ok(resealed))) => {
            let _ = named::delete(vault, &key_entry(&old.id()));
            let renewed = Membership {
                store: membership.store.clone(),
                key: new,
                practice_id: membership.practice_id.clone(),
                identity: membership.identity.clone(),
            };
            return Ok((renewed, resealed));
        }
        Ok(Some(Err(login))) => PracticeError::Unsealable {
            login: login.to_string(),
        },
        Ok(None) => PracticeError::WrongKey { server },
        Err(e) => e.into(),
    };
    // Nothing switched: the old key stands, and the new one is forgotten.
    let _ = named::delete(vault, &new_entry);
    Err(failure)
}

/// Everyone who has joined, and when each was last seen.
pub fn members(membership: &Membership) -> Result<Vec<Member>, PracticeError> {
    Ok(membership.store.members()?)
}

#[cfg(test)]
mod tests;
