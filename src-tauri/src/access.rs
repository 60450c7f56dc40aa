//! What the window's Access view shows: who can reach which client, from the core's report (a
//! row per login and organisation, the organisations one login alone reaches marked), with the
//! logins still on the scopes Xero is retiring; and the report saved as CSV where the person
//! chooses in the system's save dialog.

use serde::Serialize;
use tenantry_core::report::access::{AccessReport, AccessRow};
use tenantry_core::report::scopes::LoginScopes;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AccessView {
    /// The core's rows, as `report access --format json` has them.
    pub rows: Vec<AccessRow>,
    pub logins: u32,
    pub organisations: u32,
    /// Organisations reachable through one login only.
    pub single_route: u32,
    /// Logins that hold broad scopes Xero is retiring, with them.
    pub retiring_scopes: Vec<RetiringScopes>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RetiringScopes {
    pub login_email: String,
    pub scopes: Vec<String>,
}

impl AccessView {
    pub fn new(report: AccessReport, scopes: &[LoginScopes]) -> Self {
        Self {
            logins: report.summary.logins as u32,
            organisations: report.summary.organisations as u32,
            single_route: report.summary.single_route as u32,
            rows: report.rows,
            retiring_scopes: scopes
                .iter()
                .filter(|l| !l.retiring.is_empty())
                .map(|l| RetiringScopes {
                    login_email: l.login_email.clone(),
                    scopes: l.retiring.iter().map(|r| r.scope.clone()).collect(),
                })
                .collect(),
        }
    }
}

/// Debug builds only: the path `--test-save-as` gives, which answers for the save dialog (a
/// WebDriver test cannot drive a native dialog).
#[cfg(debug_assertions)]
pub static TEST_SAVE_AS: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Where to save the CSV: the system's save dialog (None: the person cancelled).
pub fn choose_path(app: &tauri::AppHandle, suggested: &str) -> Option<std::path::PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(path) = TEST_SAVE_AS.get() {
        return Some(path.clone());
    }
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .set_title("Export who can reach which client")
        .set_file_name(suggested)
        .add_filter("CSV", &["csv"])
        .blocking_save_file()
        .and_then(|p| p.into_path().ok())
}
