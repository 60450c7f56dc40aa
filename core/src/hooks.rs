//! `on_event`: a command of the user's, run for each event that says something happened to a
//! login or an organisation (as pizauth's `token_event_cmd`), with what happened in its
//! environment and on its standard input, and never a token. The store hands each event it
//! writes to a queue; one task runs the hooks from it in order, one at a time, each given
//! [`HOOK_TIMEOUT`]. A hook that fails or hangs is stopped and recorded as a `hook_failed` event;
//! nothing waits for a hook but [`Hooks::settle`], which a short-lived process calls before it
//! exits.
//!
//! Event data is text others chose (an organisation's name is its owner's), so no shell may
//! parse it: the whole event is one JSON object on the hook's standard input, exactly. `sh`
//! never re-parses a variable's value, so on Unix the variables carry it as it is; Windows'
//! `cmd` expands `%VAR%` *before* it parses the line, so there the free-text variables carry
//! only characters `cmd` gives no meaning to ([`for_cmd`]), and the exact text is on stdin.
//! The hook inherits no secret of the process that runs it ([`withheld`]), and its command
//! line is never written into an event (a practice's events are every member's to read).

use crate::clock::Clock;
use crate::model::{Event, EventKind};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long one hook may run before it is stopped.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// What the queue carries: an event to run the hook for, or a caller waiting for the queue to
/// reach it.
enum Message {
    /// An event and its organisation's name, if it has one.
    Event(Event, Option<String>),
    Settled(oneshot::Sender<()>),
}

/// The running hook queue of one engine.
pub struct Hooks {
    queue: mpsc::UnboundedSender<Message>,
}

/// Whether an event of this kind runs the hook: what happened to a login or an organisation.
/// Runs and checks only sum those up, and a hook's own failure must not run the hook again. An
/// egress mark runs it: a script may want to know before the bill does.
pub fn hooked(kind: EventKind) -> bool {
    use EventKind as K;
    match kind {
        K::Connected
        | K::Refreshed
        | K::KeepAlive
        | K::Recovered
        | K::RefreshFailed
        | K::NeedsReconnect
        | K::OrganisationAdded
        | K::OrganisationRemoved
        | K::Disconnected
        | K::Removed
        | K::Egress
        | K::Handover => true,
        K::KeepAliveRun | K::ScheduledRun | K::CheckRun | K::CheckFailed | K::HookFailed => false,
    }
}

/// The variables a hook runs with. `organisation` is the event's organisation by name, when it
/// has one. No token, nor anything a token could be derived from, is ever among them. Free text
/// (the login, the detail, the organisation's name) is made safe for `cmd` on Windows.
pub fn environment(event: &Event, organisation: Option<&str>) -> Vec<(&'static str, String)> {
    let text = |s: &str| {
        if cfg!(windows) {
            for_cmd(s)
        } else {
            s.to_owned()
        }
    };
    let mut vars = vec![
        ("TENANTRY_EVENT", event.kind.as_str().to_owned()),
        (
            "TENANTRY_LOGIN",
            text(event.login_email.as_deref().unwrap_or_default()),
        ),
        ("TENANTRY_DETAIL", text(&event.detail)),
        ("TENANTRY_AT", crate::when::utc_rfc3339(event.at)),
    ];
    if let Some(tenant) = &event.tenant_id {
        vars.push(("TENANTRY_TENANT_ID", text(tenant)));
        vars.push(("TENANTRY_ORG", text(organisation.unwrap_or(tenant))));
    }
    vars
}

/// The event as the hook reads it on standard input: one JSON object, the text exact.
pub fn stdin_json(event: &Event, organisation: Option<&str>) -> String {
    serde_json::json!({
        "event": event.kind.as_str(),
        "login": event.login_email,
        "detail": event.detail,
        "at": crate::when::utc_rfc3339(event.at),
        "tenant_id": event.tenant_id,
        "organisation": event.tenant_id.as_ref().map(|t| organisation.unwrap_or(t)),
    })
    .to_string()
}

/// `text` with every character `cmd` could give a meaning to (`& | < > ^ % ! " ( )`, quotes,
/// line breaks, any control character) replaced by `_`: letters and digits of any script,
/// spaces and `. , _ - @ ' : / + # $ ~ = ; [ ] { }` stay. Whether or not the user's command
/// quotes `%TENANTRY_ORG%`, the value cannot end a quote, start a command or expand another
/// variable. "Smith & Sons" reads "Smith _ Sons" there; stdin has it exactly.
pub fn for_cmd(text: &str) -> String {
    text.chars()
        .map(|c| {
            let plain = c.is_alphanumeric()
                || matches!(
                    c,
                    ' ' | '.'
                        | ','
                        | '_'
                        | '-'
                        | '@'
                        | '\''
                        | ':'
                        | '/'
                        | '+'
                        | '#'
                        | '$'
                        | '~'
                        | '='
                        | ';'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                );
            if plain { c } else { '_' }
        })
        .collect()
}

/// Whether the variable `name` is kept from hooks: a token a script exported, the file vault's
/// passphrase, the Xero app's secret, the practice database's password, and anything named as a
/// secret, token, password or passphrase is.
pub fn withheld(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "XERO_ACCESS_TOKEN" | "TENANTRY_PASSPHRASE" | "TENANTRY_CLIENT_SECRET" | "PGPASSWORD"
    ) || ["_SECRET", "_TOKEN", "_PASSWORD", "_PASSPHRASE"]
        .iter()
        .any(|end| upper.ends_with(end))
}

impl Hooks {
    /// Starts the queue for `command` and taps `store` so every event it writes reaches it.
    pub fn start(command: String, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let (queue, mut events) = mpsc::unbounded_channel();
        let tap = queue.clone();
        store.tap_events(Box::new(move |event, organisation| {
            if hooked(event.kind) {
                let _ = tap.send(Message::Event(event, organisation));
            }
        }));
        tokio::spawn(async move {
            while let Some(message) = events.recv().await {
                match message {
                    Message::Event(event, organisation) => {
                        let vars = environment(&event, organisation.as_deref());
                        let input = stdin_json(&event, organisation.as_deref());
                        run_for(&command, &event, (&vars, &input), &store, clock.as_ref()).await;
                    }
                    Message::Settled(waiter) => {
                        let _ = waiter.send(());
                    }
                }
            }
        });
        Self { queue }
    }

    /// Waits until every hook queued so far has run (each at most [`HOOK_TIMEOUT`]).
    pub async fn settle(&self) {
        let (done, settled) = oneshot::channel();
        if self.queue.send(Message::Settled(done)).is_ok() {
            let _ = settled.await;
        }
    }
}

/// Runs the hook for one event; a failure becomes a `hook_failed` event.
async fn run_for(
    command: &str,
    event: &Event,
    (vars, input): (&[(&'static str, String)], &str),
    store: &Arc<dyn Store>,
    clock: &dyn Clock,
) {
    let Err(why) = run(command, vars, input).await else {
        return;
    };
    tracing::warn!(
        event = event.kind.as_str(),
        "the on_event hook failed: {why}"
    );
    let (store, now, login, tenant) = (
        store.clone(),
        clock.now(),
        event.login_id.clone(),
        event.tenant_id.clone(),
    );
    let detail = format!("{} event: {why}", event.kind.as_str());
    let _ = tokio::task::spawn_blocking(move || {
        store.add_event(
            now,
            login.as_ref(),
            EventKind::HookFailed,
            tenant.as_deref(),
            &detail,
        )
    })
    .await;
}

/// The event as a file the hook reads as its stdin: a file, not a pipe, so a hook that never
/// reads it cannot make this process's write fail, nor (the CLI keeps SIGPIPE's default, for
/// `tenantry orgs | head`) end it. Unnamed, and gone once both sides close it.
fn event_file(input: &str) -> std::io::Result<std::fs::File> {
    use std::io::{Seek, Write};
    let mut file = tempfile::tempfile()?;
    file.write_all(input.as_bytes())?;
    file.write_all(b"\n")?;
    file.rewind()?;
    Ok(file)
}

/// Runs `command` through the platform's shell with `vars` and `input` on its stdin, within
/// [`HOOK_TIMEOUT`]. What it returns never repeats the command (see the module's header).
async fn run(command: &str, vars: &[(&'static str, String)], input: &str) -> Result<(), String> {
    #[cfg(unix)]
    let mut cmd = {
        let mut c = tokio::process::Command::new("sh");
        c.args(["-c", command]);
        c
    };
    // cmd reads its own command line, not an argument list: an argument quoted the way Rust
    // quotes one (a `"` as `\"`) would reach it as that text, and a hook writing to
    // `>>"C:\My Logs\tenantry.txt"` would fail. `/S /C "COMMAND"`: cmd drops the outer quotes and
    // runs COMMAND exactly as written, whatever quotes it holds.
    #[cfg(windows)]
    let mut cmd = {
        let mut c = tokio::process::Command::new("cmd");
        c.raw_arg(format!("/S /C \"{command}\""));
        c
    };
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(withheld) {
            cmd.env_remove(name);
        }
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(event_file(input).map_err(|e| format!("the hook's input could not be made ({e})"))?)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // Dropped at the timeout below: the hook is killed, not left running.
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("the hook could not be started ({e})"))?;
    match tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output()).await {
        Err(_) => Err(format!(
            "the hook ran for more than {} s and was stopped",
            HOOK_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("the hook could not be waited for ({e})")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => {
            let said = String::from_utf8_lossy(&out.stderr);
            let first = said.lines().next().unwrap_or("").trim();
            Err(format!(
                "the hook failed ({}){}",
                out.status,
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {first}")
                }
            ))
        }
    }
}

#[cfg(test)]
mod tests;
