//! A practice's data as every layer sees it: who is acting (a person on a machine), the practice
//! row, its members and what taking a join code found. Plain values, below both the practice's
//! rules and the PostgreSQL store, so neither imports the other for them.

use chrono::{DateTime, Utc};

/// Who is acting, for the members list and every event: a person on a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub person: String,
    pub machine: String,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.person, self.machine)
    }
}

/// The practice as the database records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeRow {
    pub id: String,
    /// Which practice key seals its token sets.
    pub key_id: String,
    /// A known value sealed under that key: a machine's key is the practice's if it opens this.
    pub key_check: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub machine: String,
    pub person: String,
    pub joined_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The key it joined with: an old one after a rotation, until it joins again.
    pub key_id: String,
}

impl Member {
    /// Whether this member is `who` (a person on a machine).
    pub fn is(&self, who: &Identity) -> bool {
        self.machine == who.machine && self.person == who.person
    }

    /// Whether it joined under a key that is no longer the practice's `current_key_id`: it reads
    /// nothing until it joins again.
    pub fn must_rejoin(&self, current_key_id: &str) -> bool {
        self.key_id != current_key_id
    }
}

/// What taking a join code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTaken {
    /// Valid: the practice key wrapped under the code, now marked used.
    Wrapped {
        wrapped: Vec<u8>,
        key_id: String,
    },
    Unknown,
    Used {
        by: String,
    },
    Expired,
}
