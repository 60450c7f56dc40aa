//! What the CLI prints that more than one command shares: local times (by `tenantry_core::when`),
//! the activity log's table and JSON, colour for states, and progress. No JSON here ever contains a token (only
//! `tenantry token --json` prints one).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::IsTerminal;
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

/// A count with its thousands grouped, as people write it: `12,480`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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
    /// Practice mode: who caused it, `PERSON on MACHINE`; null in a local profile.
    pub by: Option<&'a str>,
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
            by: e.by.as_deref(),
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
        let by = e.by.as_ref().map(|by| format!(" (by {by})"));
        println!(
            "{}  {:<20} {:<28} {}{}",
            local_time(e.at),
            e.kind.as_str(),
            truncate(who, 28),
            e.detail,
            by.unwrap_or_default()
        );
    }
}

/// How a state reads at a glance: the colour its word is printed in on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    /// Wants attention soon, or may pass by itself (expiring, a failure that may pass).
    Warn,
    /// A person must act (needs reconnect, lapsed, disconnected).
    Bad,
}

/// A login's health as a tone.
pub fn login_tone(health: tenantry_core::health::LoginHealth) -> Tone {
    use tenantry_core::health::LoginHealth as H;
    match health {
        H::Connected => Tone::Good,
        H::Expiring | H::Error => Tone::Warn,
        H::NeedsReconnect | H::Lapsed => Tone::Bad,
    }
}

/// An organisation's state as a tone.
pub fn org_tone(state: tenantry_core::health::OrgState) -> Tone {
    use tenantry_core::health::OrgState as S;
    match state {
        S::Connected => Tone::Good,
        S::Error => Tone::Warn,
        S::NeedsReconnect | S::Disconnected => Tone::Bad,
    }
}

/// `text` in its tone's colour. Printed through `anstream`, which drops the colour when stdout
/// is not a terminal or NO_COLOR is set, so a pipe or a file never sees an escape code.
pub fn paint(text: &str, tone: Tone) -> String {
    use anstyle::{AnsiColor, Style};
    let colour = match tone {
        Tone::Good => AnsiColor::Green,
        Tone::Warn => AnsiColor::Yellow,
        Tone::Bad => AnsiColor::Red,
    };
    let style = Style::new().fg_color(Some(colour.into())).bold();
    format!("{style}{text}{style:#}")
}

/// Whether stderr may carry colour (the log's and the progress bars'): a terminal, and no
/// NO_COLOR.
pub fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Progress on stderr while Xero is waited on (indicatif): a spinner, or a bar counting logins
/// as each finishes. Hidden when stderr is not a terminal, so cron and pipes see none of it.
pub struct Progress {
    bar: indicatif::ProgressBar,
    engine: Option<tenantry_core::Engine>,
}

impl Progress {
    pub fn spinner(message: &str) -> Self {
        let bar = indicatif::ProgressBar::new_spinner().with_message(message.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(90));
        Self { bar, engine: None }
    }

    /// A bar over `total` logins, moved on by `engine` as each login's work ends.
    pub fn per_login(engine: &tenantry_core::Engine, message: &str, total: usize) -> Self {
        // The title stays as the prefix; the message is the login that finished last.
        let bar = indicatif::ProgressBar::new(total as u64).with_prefix(message.to_owned());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:30}] {pos}/{len} logins {wide_msg:.dim}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(90));
        let ticked = bar.clone();
        engine.on_login_done(Some(std::sync::Arc::new(move |login: &Login| {
            ticked.inc(1);
            ticked.set_message(login.email.clone());
        })));
        Self {
            bar,
            engine: Some(engine.clone()),
        }
    }

    pub fn stop(self) {
        if let Some(engine) = &self.engine {
            engine.on_login_done(None);
        }
        self.bar.finish_and_clear();
    }
}
