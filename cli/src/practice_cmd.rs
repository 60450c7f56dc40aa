//! `tenantry practice`: make a practice, invite and join machines, list its members. Thin glue
//! over `tenantry_core::practice`, which holds every rule.

use crate::render::{local_date, local_time};
use crate::{Failure, PracticeAction, exit};
use chrono::Utc;
use serde::Serialize;
use tenantry_core::EngineError;
use tenantry_core::model::Login;
use tenantry_core::practice::{self, Membership, Moved};
use tenantry_core::profile::Profile;

#[derive(Serialize)]
struct MemberLine {
    person: String,
    machine: String,
    joined_at: chrono::DateTime<Utc>,
    last_seen_at: chrono::DateTime<Utc>,
    /// False for a machine that joined before the practice key was rotated: it must join again.
    current_key: bool,
}

pub async fn run(profile: &Profile, action: PracticeAction) -> Result<u8, Failure> {
    let vault = profile
        .vault(crate::passphrase::ask_if_needed(profile)?)
        .await?;
    let config = profile.config.clone();
    let where_kept = profile.vault_description();
    let data_dir = profile.paths.data_dir.clone();
    // Database and vault calls block: off the async workers, as everywhere.
    tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        match action {
            PracticeAction::Init => {
                let made = practice::init(&config, vault.as_ref(), now)?;
                println!("Made the practice at {}.", made.store.server());
                eprintln!(
                    "{} is its first member. Its practice key is in {where_kept} and never goes to the database.\nFor each other machine: run `tenantry practice invite` here, then on that machine set database_url and run `tenantry practice join CODE`.",
                    made.identity
                );
                Ok(exit::OK)
            }
            PracticeAction::Invite => {
                let member = practice::open(&config, vault.as_ref(), now)?;
                let (code, expires_at) = practice::invite(&member)?;
                // The code alone on stdout, for a script; the rest is for people.
                println!("{}", code.display());
                eprintln!(
                    "A join code for one machine, valid until {} ({}). On that machine: tenantry practice join {}",
                    local_time(expires_at),
                    tenantry_core::when::zone_name(now),
                    code.display()
                );
                Ok(exit::OK)
            }
            PracticeAction::Join { code } => {
                let joined = practice::join(&config, vault.as_ref(), &code, now)?;
                println!(
                    "Joined the practice at {} as {}.",
                    joined.store.server(),
                    joined.identity
                );
                eprintln!(
                    "Its practice key is in {where_kept}. `tenantry status` lists the practice's logins."
                );
                Ok(exit::OK)
            }
            PracticeAction::Migrate => {
                let member = practice::open(&config, vault.as_ref(), now)?;
                let moved = match tenantry_core::store::open_existing(None, &data_dir)? {
                    Some(local) => {
                        practice::migrate(&member, local.as_ref(), vault.as_ref(), &data_dir, now)?
                    }
                    None => Vec::new(), // never used locally: nothing to move
                };
                print_moved(&moved)
            }
            PracticeAction::RotateKey => {
                let member = practice::open(&config, vault.as_ref(), now)?;
                let (_, resealed) = practice::rotate_key(&member, vault.as_ref(), now)?;
                println!(
                    "Rotated the practice key: {resealed} token set{} re-sealed.",
                    if resealed == 1 { "" } else { "s" }
                );
                eprintln!(
                    "Every other machine must join again: run `tenantry practice invite` here for each, then `tenantry practice join CODE` there. Unused join codes no longer work."
                );
                Ok(exit::OK)
            }
            PracticeAction::Members { json } => {
                let member = practice::open(&config, vault.as_ref(), now)?;
                print_members(&member, json)
            }
        }
    })
    .await
    .expect("the practice call does not panic")
    .map_err(|e: practice::PracticeError| Failure::from(EngineError::from(e)))
}

/// One line per local login; exit 0 only when every one is in the practice now.
fn print_moved(moved: &[(Login, Moved)]) -> Result<u8, practice::PracticeError> {
    if moved.is_empty() {
        println!("This computer's own profile has no logins to move.");
        return Ok(exit::OK);
    }
    let mut left = 0;
    for (login, outcome) in moved {
        match outcome {
            Moved::Moved { organisations } => println!(
                "moved      {}  ({organisations} organisation{})",
                login.email,
                if *organisations == 1 { "" } else { "s" }
            ),
            Moved::AlreadyInPractice => println!(
                "in already {}  (connected on another machine; this computer's copy is left as it was)",
                login.email
            ),
            Moved::Untouched(why) => {
                left += 1;
                println!("untouched  {}  ({why})", login.email);
            }
        }
    }
    Ok(if left == 0 { exit::OK } else { exit::FAILURE })
}

fn print_members(member: &Membership, json: bool) -> Result<u8, practice::PracticeError> {
    let current = member.key.id();
    let lines: Vec<MemberLine> = practice::members(member)?
        .into_iter()
        .map(|m| MemberLine {
            current_key: !m.must_rejoin(&current),
            person: m.person,
            machine: m.machine,
            joined_at: m.joined_at,
            last_seen_at: m.last_seen_at,
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&lines).expect("members serialise")
        );
        return Ok(exit::OK);
    }
    println!(
        "{:<20} {:<20} {:<12} LAST SEEN",
        "PERSON", "MACHINE", "JOINED"
    );
    for m in &lines {
        println!(
            "{:<20} {:<20} {:<12} {}{}",
            m.person,
            m.machine,
            local_date(m.joined_at),
            local_time(m.last_seen_at),
            if m.current_key {
                ""
            } else {
                "  (holds an old key: join again)"
            }
        );
    }
    Ok(exit::OK)
}
