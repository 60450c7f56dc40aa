//! The main window: shown from the tray, a notification, a link or a second launch, wherever it
//! was (hidden in the tray, minimised, behind other windows).

use tauri::{AppHandle, Manager};

/// Shows, restores and focuses the main window.
pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
