//! What the CLI prints: human tables and the stable JSON shapes documented in docs/CLI.md.
//! No JSON here ever contains a token (only `tenantry token --json` prints one).

use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tenantry_core::model::{Event, Login, LoginId, LoginState, Organisation};

pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn state_word(state: LoginState) -> &'static str {
    match state {
        LoginState::Connected => "connected",
        LoginState::NeedsReconnect => "needs reconnect",
        LoginState::Error => "error",
    }
}

/// One login's status line, shared by the table and the JSON.
#[derive(Debug, Serialize)]
pub struct LoginStatus {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `connected`, `needs_reconnect` or `error`.
    pub state: &'static str,
    pub last_error: Option<String>,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_deadline: DateTime<Utc>,
    pub refresh_days_left: i64,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub organisations: usize,
    /// The command that fixes this login's problem, if it has one.
    pub fix: Option<String>,
    /// Which vault holds its tokens: `keychain` or `file`.
    pub vault: &'static str,
    #[serde(skip)]
    state_kind: LoginState,
}

impl LoginStatus {
    /// `organisations`: how many organisations this login reaches (see [`count_by_login`]).
    pub fn new(
        login: &Login,
        organisations: usize,
        vault: &'static str,
        now: DateTime<Utc>,
    ) -> Self {
        let deadline = login.refresh_deadline();
        let fix = match login.state {
            LoginState::NeedsReconnect => {
                Some(format!("tenantry connect --reconnect {}", login.email))
            }
            LoginState::Error => Some(format!("tenantry refresh {}", login.email)),
            LoginState::Connected if (deadline - now).num_days() < 7 => {
                Some(format!("tenantry refresh {}", login.email))
            }
            LoginState::Connected => None,
        };
        Self {
            id: login.id.to_string(),
            name: login.name.clone(),
            email: login.email.clone(),
            state: login.state.as_str(),
            last_error: login.last_error.clone(),
            access_expires_at: login.access_expires_at,
            refresh_deadline: deadline,
            refresh_days_left: (deadline - now).num_days(),
            last_refresh_at: login.last_refresh_at,
            organisations,
            fix,
            vault,
            state_kind: login.state,
        }
    }
}

#[derive(Serialize)]
pub struct StatusJson<'a> {
    /// True when no login needs attention.
    pub healthy: bool,
    /// Which vault this profile keeps its tokens in: `keychain` or `file`.
    pub vault: &'static str,
    pub logins: &'a [LoginStatus],
}

impl<'a> StatusJson<'a> {
    pub fn new(logins: &'a [LoginStatus], vault: &'static str) -> Self {
        Self {
            healthy: logins.iter().all(|l| l.state_kind == LoginState::Connected),
            vault,
            logins,
        }
    }
}

pub fn print_status(rows: &[LoginStatus]) {
    println!(
        "{:<28} {:<16} {:<17} {:<24} {:<17} {:>4}",
        "LOGIN", "STATE", "ACCESS TOKEN", "REFRESH DEADLINE", "LAST REFRESH", "ORGS"
    );
    for r in rows {
        let mut state = state_word(r.state_kind).to_string();
        if let Some(err) = &r.last_error
            && r.state_kind != LoginState::Connected
        {
            state = format!("{state}: {err}");
        }
        let state_col = if state.len() > 16 {
            state_word(r.state_kind).to_string()
        } else {
            state.clone()
        };
        println!(
            "{:<28} {:<16} {:<17} {:<24} {:<17} {:>4}",
            truncate(&r.email, 28),
            state_col,
            local_time(r.access_expires_at),
            format!(
                "{} ({} days)",
                r.refresh_deadline.with_timezone(&Local).format("%Y-%m-%d"),
                r.refresh_days_left
            ),
            r.last_refresh_at
                .map(local_time)
                .unwrap_or_else(|| "never".into()),
            r.organisations
        );
        if state.len() > 16 {
            println!("    {state}");
        }
        if let Some(fix) = &r.fix {
            println!("    fix: {fix}");
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// One organisation and every login that reaches it.
#[derive(Debug, Serialize)]
pub struct OrgView {
    pub tenant_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub tenant_type: String,
    /// The earliest date any login connected it.
    pub connected_since: DateTime<Utc>,
    pub logins: Vec<OrgLogin>,
}

#[derive(Debug, Serialize)]
pub struct OrgLogin {
    pub id: String,
    pub email: String,
    pub connection_id: String,
    pub connected_since: DateTime<Utc>,
}

/// How many organisations each login reaches, in one pass (a lookup per login would make
/// `status` quadratic: 1,000 logins × 10,000 organisations).
pub fn count_by_login(orgs: &[Organisation]) -> HashMap<&LoginId, usize> {
    let mut counts = HashMap::new();
    for org in orgs {
        *counts.entry(&org.login_id).or_default() += 1;
    }
    counts
}

/// One view per organisation with every login that reaches it. Linear: hash lookups, not scans.
pub fn group_organisations(orgs: &[Organisation], logins: &[Login]) -> Vec<OrgView> {
    let emails: HashMap<&LoginId, &str> =
        logins.iter().map(|l| (&l.id, l.email.as_str())).collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut views: Vec<OrgView> = Vec::new();
    for org in orgs {
        let email = emails
            .get(&org.login_id)
            .map(|e| e.to_string())
            .unwrap_or_default();
        let entry = OrgLogin {
            id: org.login_id.to_string(),
            email,
            connection_id: org.connection_id.clone(),
            connected_since: org.created_at,
        };
        match index.get(org.tenant_id.as_str()) {
            Some(&at) => {
                let view = &mut views[at];
                view.connected_since = view.connected_since.min(org.created_at);
                view.logins.push(entry);
            }
            None => {
                index.insert(&org.tenant_id, views.len());
                views.push(OrgView {
                    tenant_id: org.tenant_id.clone(),
                    name: org.name.clone(),
                    tenant_type: org.tenant_type.clone(),
                    connected_since: org.created_at,
                    logins: vec![entry],
                });
            }
        }
    }
    views
}

pub fn print_orgs(list: &[OrgView]) {
    println!(
        "{:<30} {:<38} {:<13} {:<17} LOGINS",
        "ORGANISATION", "TENANT ID", "TYPE", "CONNECTED SINCE"
    );
    for o in list {
        let emails: Vec<_> = o.logins.iter().map(|l| l.email.as_str()).collect();
        println!(
            "{:<30} {:<38} {:<13} {:<17} {}",
            truncate(&o.name, 30),
            o.tenant_id,
            o.tenant_type,
            local_time(o.connected_since),
            emails.join(", ")
        );
    }
}

#[derive(Serialize)]
pub struct EventJson<'a> {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub login_id: Option<&'a str>,
    pub login_email: Option<&'a str>,
    pub tenant_id: Option<&'a str>,
    pub detail: &'a str,
}

pub fn events_json<'a>(events: &'a [Event], logins: &'a [Login]) -> Vec<EventJson<'a>> {
    events
        .iter()
        .map(|e| EventJson {
            id: e.id,
            at: e.at,
            kind: e.kind.as_str(),
            login_id: e.login_id.as_ref().map(|l| l.as_str()),
            login_email: e
                .login_id
                .as_ref()
                .and_then(|id| logins.iter().find(|l| &l.id == id))
                .map(|l| l.email.as_str()),
            tenant_id: e.tenant_id.as_deref(),
            detail: &e.detail,
        })
        .collect()
}

pub fn print_events(events: &[Event], logins: &[Login]) {
    for e in events {
        let who = e
            .login_id
            .as_ref()
            .map(|id| {
                logins
                    .iter()
                    .find(|l| &l.id == id)
                    .map_or(id.to_string(), |l| l.email.clone())
            })
            .unwrap_or_default();
        println!(
            "{}  {:<20} {:<28} {}",
            local_time(e.at),
            e.kind.as_str(),
            truncate(&who, 28),
            e.detail
        );
    }
}

/// A spinner on stderr while the network is waited on; silent when stderr is not a terminal.
pub struct Spinner {
    running: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    pub fn start(message: &str) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        if !std::io::stderr().is_terminal() {
            return Self {
                running,
                thread: None,
            };
        }
        let flag = running.clone();
        let message = message.to_owned();
        let thread = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            while flag.load(Ordering::Relaxed) {
                eprint!("\r{} {message}", frames[i % frames.len()]);
                let _ = std::io::stderr().flush();
                i += 1;
                std::thread::sleep(std::time::Duration::from_millis(90));
            }
            eprint!("\r\x1b[2K");
        });
        Self {
            running,
            thread: Some(thread),
        }
    }

    pub fn stop(mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
