//! A notification daemon for the desktop tests: it owns `org.freedesktop.Notifications` on the
//! test's private session bus, as a desktop's daemon does, records what the app shows, and can
//! "click" a notification by sending the `ActionInvoked` signal a real daemon sends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

const PATH: &str = "/org/freedesktop/Notifications";

#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
}

#[derive(Default)]
struct Daemon {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push(Shown {
            id,
            app_name,
            summary,
            body,
            actions,
        });
        id
    }

    async fn close_notification(&self, _id: u32) {}

    async fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    async fn get_server_information(&self) -> (String, String, String, String) {
        (
            "tenantry-test-daemon".into(),
            "tenantry".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn notification_closed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;
}

/// Owns `name` on the test's session bus and serves `interface` at `path`, as the desktop's own
/// service would; panics if something else owns the name already.
pub async fn serve(
    name: &'static str,
    path: &'static str,
    interface: impl zbus::object_server::Interface,
) -> zbus::Connection {
    zbus::connection::Builder::session()
        .expect("a session bus (scripts/test.sh starts one)")
        .name(name)
        .expect("a valid name")
        .serve_at(path, interface)
        .expect("a valid path")
        .build()
        .await
        .unwrap_or_else(|e| panic!("{name} on the test bus: {e}"))
}

/// The running daemon; it leaves the bus when dropped.
pub struct NotifyDaemon {
    connection: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl NotifyDaemon {
    pub async fn start() -> Self {
        let daemon = Daemon::default();
        let shown = daemon.shown.clone();
        let connection = serve("org.freedesktop.Notifications", PATH, daemon).await;
        Self { connection, shown }
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }

    /// What a person clicking the notification's body makes a daemon send.
    pub async fn click(&self, id: u32) {
        let emitter = SignalEmitter::new(&self.connection, PATH).unwrap();
        Daemon::action_invoked(&emitter, id, "default")
            .await
            .unwrap();
        Daemon::notification_closed(&emitter, id, 2).await.unwrap();
    }
}
