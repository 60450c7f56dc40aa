//! Desktop notifications: says the notices the keeper decided are due. On Linux a click opens
//! the app on the login through its `tenantry://login/<id>` link, the same route a link from
//! anywhere else takes (the app gives that route as `on_click`); elsewhere the notification only
//! informs.

use tauri::AppHandle;
use tenantry_core::watch::Notice;
use tokio::sync::mpsc;

/// What a click on a notification opens: the login's link, or the window when it is about Xero.
pub type OnClick = fn(&AppHandle, Option<url::Url>);

/// Says every notice that arrives, for as long as the app runs.
pub fn follow(app: &AppHandle, mut notices: mpsc::UnboundedReceiver<Notice>, on_click: OnClick) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(notice) = notices.recv().await {
            // `show()` is a D-Bus round trip to the notification daemon, which may be slow or
            // hung: never on an async worker.
            let app = app.clone();
            let _ =
                tauri::async_runtime::spawn_blocking(move || say(&app, &notice, on_click)).await;
        }
    });
}

fn say(app: &AppHandle, notice: &Notice, on_click: OnClick) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Tenantry")
        .summary(&notice.title)
        .body(&notice.body)
        .icon("dialog-warning");
    #[cfg(all(unix, not(target_os = "macos")))]
    notification.action("default", "Open Tenantry");
    let handle = match notification.show() {
        Ok(handle) => handle,
        Err(e) => {
            // No notification daemon (a bare session): the tray still shows the state.
            tracing::warn!(error = %e, key = notice.key, "could not show a notification");
            return;
        }
    };
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let app = app.clone();
        // A notice about a login opens it through its link; one about Xero opens the window.
        let link = notice
            .login
            .as_ref()
            .and_then(|login| url::Url::parse(&tenantry_core::login::login_link(login)).ok());
        // Blocks until the notification is clicked or closed, so it gets a thread of its own.
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_click(&app, link.clone());
                }
            });
        });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = (app, handle, on_click);
}
