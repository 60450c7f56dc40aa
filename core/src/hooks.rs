//! `on_event`: a command of the user's, run for each event that says something happened to a
//! login or an organisation (as pizauth's `token_event_cmd`), with what happened in its
//! environment and never a token. The store hands each event it writes to a queue; one task
//! runs the hooks from it in order, one at a time, each given [`HOOK_TIMEOUT`]. A hook that fails
//! or hangs is stopped and recorded as a `hook_failed` event; nothing waits for a hook but
//! [`Hooks::settle`], which a short-lived process calls before it exits.

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
/// Runs and checks only sum those up, and a hook's own failure must not run the hook again.
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
        | K::Removed => true,
        K::KeepAliveRun | K::ScheduledRun | K::CheckRun | K::CheckFailed | K::HookFailed => false,
    }
}

/// The variables a hook runs with. `organisation` is the event's organisation by name, when it
/// has one. No token, nor anything a token could be derived from, is ever among them.
pub fn environment(event: &Event, organisation: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("TENANTRY_EVENT", event.kind.as_str().to_owned()),
        (
            "TENANTRY_LOGIN",
            event.login_email.clone().unwrap_or_default(),
        ),
        ("TENANTRY_DETAIL", event.detail.clone()),
        ("TENANTRY_AT", crate::when::utc_rfc3339(event.at)),
    ];
    if let Some(tenant) = &event.tenant_id {
        vars.push(("TENANTRY_TENANT_ID", tenant.clone()));
        vars.push((
            "TENANTRY_ORG",
            organisation.map_or_else(|| tenant.clone(), str::to_owned),
        ));
    }
    vars
}

/// Variables a hook must not inherit from the process that runs it: a token a script exported,
/// the file vault's passphrase.
const WITHHELD: [&str; 2] = ["XERO_ACCESS_TOKEN", "TENANTRY_PASSPHRASE"];

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
                        run_for(&command, &event, &vars, &store, clock.as_ref()).await;
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
    vars: &[(&'static str, String)],
    store: &Arc<dyn Store>,
    clock: &dyn Clock,
) {
    let Err(why) = run(command, vars).await else {
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

/// Runs `command` through the platform's shell with `vars`, within [`HOOK_TIMEOUT`].
async fn run(command: &str, vars: &[(&'static str, String)]) -> Result<(), String> {
    #[cfg(unix)]
    let mut cmd = {
        let mut c = tokio::process::Command::new("sh");
        c.args(["-c", command]);
        c
    };
    #[cfg(windows)]
    let mut cmd = {
        let mut c = tokio::process::Command::new("cmd");
        c.args(["/C", command]);
        c
    };
    for name in WITHHELD {
        cmd.env_remove(name);
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // Dropped at the timeout below: the hook is killed, not left running.
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("`{command}` could not be started ({e})"))?;
    match tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output()).await {
        Err(_) => Err(format!(
            "`{command}` ran for more than {} s and was stopped",
            HOOK_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("`{command}` could not be waited for ({e})")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => {
            let said = String::from_utf8_lossy(&out.stderr);
            let first = said.lines().next().unwrap_or("").trim();
            Err(format!(
                "`{command}` failed ({}){}",
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
mod tests {
    use super::*;
    use crate::model::LoginId;

    fn event(kind: EventKind, tenant: Option<&str>) -> Event {
        Event {
            id: 1,
            at: "2026-12-02T10:00:00Z".parse().unwrap(),
            login_id: Some(LoginId::new("a").unwrap()),
            kind,
            tenant_id: tenant.map(str::to_owned),
            detail: "access token valid until 10:30".into(),
            login_name: Some("Ann Bookkeeper".into()),
            login_email: Some("ann@example.com".into()),
            by: None,
        }
    }

    #[test]
    fn a_hook_hears_what_happened_and_whose_never_a_token() {
        let vars = environment(&event(EventKind::Refreshed, None), None);
        assert_eq!(
            vars.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [
                "TENANTRY_EVENT",
                "TENANTRY_LOGIN",
                "TENANTRY_DETAIL",
                "TENANTRY_AT"
            ],
            "no organisation for a login's event"
        );
        assert_eq!(vars[1].1, "ann@example.com", "people by email");
        let vars = environment(
            &event(EventKind::Disconnected, Some("t-1")),
            Some("Kiwi Plumbing"),
        );
        assert!(
            vars.contains(&("TENANTRY_ORG", "Kiwi Plumbing".into()))
                && vars.contains(&("TENANTRY_TENANT_ID", "t-1".into())),
            "an organisation's event names it: {vars:?}"
        );
    }

    #[test]
    fn summaries_and_the_hook_s_own_failures_run_no_hook() {
        for kind in EventKind::ALL {
            let expected = !matches!(
                kind,
                EventKind::KeepAliveRun
                    | EventKind::ScheduledRun
                    | EventKind::CheckRun
                    | EventKind::CheckFailed
                    | EventKind::HookFailed
            );
            assert_eq!(hooked(kind), expected, "{kind:?}");
        }
    }

    #[tokio::test]
    async fn a_failing_hook_is_said_with_its_own_words() {
        let failed = run("echo nope >&2; exit 3", &[]).await.unwrap_err();
        assert!(
            failed.contains("exit status: 3") && failed.contains("nope"),
            "the status and the hook's first words: {failed}"
        );
        assert!(run("exit 0", &[]).await.is_ok());
    }
}
