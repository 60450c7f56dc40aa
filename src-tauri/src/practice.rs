//! What the window shows of practice mode: the database this machine shares with the practice,
//! who it acts as (the header and Settings), and every member with when each was last seen.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_core::engine::PracticeSeat;
use tenantry_core::store::postgres::Member;
use ts_rs::TS;

/// This machine's place in a practice.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PracticeView {
    /// `host:port/database`: never a password.
    pub server: String,
    pub person: String,
    pub machine: String,
}

impl From<&PracticeSeat> for PracticeView {
    fn from(seat: &PracticeSeat) -> Self {
        Self {
            server: seat.server.clone(),
            person: seat.identity.person.clone(),
            machine: seat.identity.machine.clone(),
        }
    }
}

/// One member of the practice: a person on a machine.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MemberView {
    pub person: String,
    pub machine: String,
    #[ts(type = "string")]
    pub joined_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub last_seen_at: DateTime<Utc>,
    /// The member is this window's machine and person.
    pub this_machine: bool,
    /// False for a member that joined under a rotated-out key: it must join again.
    pub current_key: bool,
}

impl MemberView {
    pub fn list(seat: &PracticeSeat, members: Vec<Member>) -> Vec<Self> {
        members
            .into_iter()
            .map(|m| Self {
                this_machine: m.is(&seat.identity),
                current_key: !m.must_rejoin(&seat.key_id),
                person: m.person,
                machine: m.machine,
                joined_at: m.joined_at,
                last_seen_at: m.last_seen_at,
            })
            .collect()
    }
}
