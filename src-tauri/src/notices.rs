//! Desktop notifications: says what `tenantry_core::watch::due_notices` decided. On Linux a
//! click opens the app on the login through its `tenantry://login/<id>` link, the same route a
//! link from anywhere else takes; elsewhere the notification only informs.

use tauri::{AppHandle, Manager};
use tenantry_core::watch::Notice;

pub fn say(app: &AppHandle, notice: &Notice) {
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
                if action != "default" {
                    return;
                }
                let (app, link) = (app.clone(), link.clone());
                tauri::async_runtime::spawn(async move {
                    match link {
                        Some(url) => app.state::<crate::desk::Desk>().deep_link(&app, &url).await,
                        None => crate::desk::show_window(&app),
                    }
                });
            });
        });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = (app, handle);
}
