//! What the CLI prints that more than one command shares: local times (by `tenantry_core::when`),
//! the activity log's table and JSON, and the spinner. No JSON here ever contains a token (only
//! `tenantry token --json` prints one).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tenantry_core::model::{Event, Login};
use tenantry_core::when;

pub fn local_time(at: DateTime<Utc>) -> String {
    when::local_minute(at)
}

pub fn local_date(at: DateTime<Utc>) -> String {
    when::local_date(at)
}

/// Names the zone once under a screen of local times.
pub fn zone_note(now: DateTime<Utc>) -> String {
    when::zone_note(now)
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[derive(Serialize)]
pub struct EventJson<'a> {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub login_id: Option<&'a str>,
    pub login_email: Option<&'a str>,
    /// The login's name as the event recorded it.
    pub login_name: Option<&'a str>,
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
            login_email: email_of(e, logins),
            login_name: e.login_name.as_deref(),
            tenant_id: e.tenant_id.as_deref(),
            detail: &e.detail,
        })
        .collect()
}

/// Whose event it is: the login's email now, else as the event recorded it (a removed login).
fn email_of<'a>(e: &'a Event, logins: &'a [Login]) -> Option<&'a str> {
    let id = e.login_id.as_ref()?;
    logins
        .iter()
        .find(|l| &l.id == id)
        .map(|l| l.email.as_str())
        .or(e.login_email.as_deref())
}

pub fn print_events(events: &[Event], logins: &[Login]) {
    for e in events {
        // An event older than names in the log can say only the id.
        let who = email_of(e, logins)
            .or(e.login_id.as_ref().map(|l| l.as_str()))
            .unwrap_or_default();
        println!(
            "{}  {:<20} {:<28} {}",
            local_time(e.at),
            e.kind.as_str(),
            truncate(who, 28),
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
