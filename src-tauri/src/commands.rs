//! The IPC commands: a few lines each, delegating to the engine through [`Desk`]. None returns
//! a token.

use crate::clients::{CheckView, ClientView};
use crate::desk::{Desk, login_id, settings_view};
use crate::ipc::{
    AppMode, AutostartView, ConnectView, EventView, IpcError, LoginView, OrgTest, OrgView,
    Overview, Settings, SettingsView, UiEvent,
};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use tenantry_core::ErrorCode;

/// Logins with their status and organisations, from the engine's overview. Never includes a
/// token.
#[tauri::command]
pub async fn overview(desk: State<'_, Desk>) -> Result<Overview, IpcError> {
    // No profile open (first run, or a start that failed): nothing to list.
    let (seen, calls_per_day) = match desk.engine().await {
        Ok(engine) => (
            Some(engine.overview().await?),
            engine.config().daily_call_limit(),
        ),
        Err(_) => (None, tenantry_core::config::DAILY_LIMIT),
    };
    let (logins, organisations, clients, connections, practice) = match seen {
        Some(o) => (
            o.logins
                .iter()
                .map(|l| LoginView::new(l, desk.is_refreshing(l.login.id.as_str())))
                .collect(),
            OrgView::list(&o.rows),
            o.organisations.into_iter().map(ClientView::new).collect(),
            crate::ipc::ConnectionsView {
                used: o.connections.used as u32,
                limit: o.connections.limit,
                at_limit: o.connections.at_limit,
            },
            o.practice.as_ref().map(crate::practice::PracticeView::from),
        ),
        None => (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            crate::ipc::ConnectionsView {
                used: 0,
                limit: None,
                at_limit: false,
            },
            None,
        ),
    };
    Ok(Overview {
        mode: desk.mode().await,
        problem: desk.problem(),
        new_vault: desk.asks_for_new_vault(),
        logins,
        organisations,
        clients,
        connecting: desk.connecting_view(),
        connections,
        practice,
        calls_per_day,
    })
}

/// Settings' list of the practice's members (practice mode; empty for a local profile).
#[tauri::command]
pub async fn practice_members(
    desk: State<'_, Desk>,
) -> Result<Vec<crate::practice::MemberView>, IpcError> {
    let engine = desk.engine().await?;
    let Some(seat) = engine.practice() else {
        return Ok(Vec::new());
    };
    let members = engine.practice_members().await?;
    Ok(crate::practice::MemberView::list(seat, members))
}

/// "Check with Xero": every login's token and `/connections`, now (the app also does this daily
/// and at start). Tenantless calls only, a few at a time, as refresh-all does.
#[tauri::command]
pub async fn check_with_xero(desk: State<'_, Desk>) -> Result<CheckView, IpcError> {
    let engine = desk.engine().await?;
    Ok(CheckView::new(&engine.check(None).await?))
}

/// The problem screen's "Unlock": the file vault's passphrase, typed in the window. It is kept in
/// memory only, for this run of the app.
#[tauri::command]
pub async fn unlock_vault(
    app: AppHandle,
    desk: State<'_, Desk>,
    passphrase: String,
) -> Result<(), IpcError> {
    desk.unlock(&app, tenantry_core::secret::Secret::new(passphrase))
        .await
}

/// The problem screen's "Try again": opens what the launch asked for once more.
#[tauri::command]
pub async fn retry_start(app: AppHandle, desk: State<'_, Desk>) -> Result<(), IpcError> {
    desk.start(&app).await
}

#[tauri::command]
pub async fn start_demo(app: AppHandle, desk: State<'_, Desk>) -> Result<(), IpcError> {
    desk.start_demo(&app).await
}

#[tauri::command]
pub async fn connect(
    app: AppHandle,
    desk: State<'_, Desk>,
    reconnect: Option<String>,
    incognito: Option<bool>,
) -> Result<ConnectView, IpcError> {
    desk.connect(&app, reconnect, incognito.unwrap_or(false))
        .await
}

#[tauri::command]
pub async fn open_connect_page_again(desk: State<'_, Desk>) -> Result<(), IpcError> {
    desk.open_page_again().await
}

#[tauri::command]
pub fn cancel_connect(desk: State<'_, Desk>) {
    desk.cancel_connect();
}

#[tauri::command]
pub async fn refresh_login(
    app: AppHandle,
    desk: State<'_, Desk>,
    login: String,
) -> Result<(), IpcError> {
    let engine = desk.engine().await?;
    let id = login_id(&login)?;
    desk.set_refreshing(&login, true);
    UiEvent::Changed.emit(&app);
    let result = engine.refresh_login(&id).await;
    desk.set_refreshing(&login, false);
    UiEvent::Changed.emit(&app);
    result.map(drop).map_err(Into::into)
}

#[tauri::command]
pub async fn test_organisation(desk: State<'_, Desk>, tenant: String) -> Result<OrgTest, IpcError> {
    let info = desk.engine().await?.test_organisation(&tenant).await?;
    Ok(OrgTest {
        name: info.name,
        legal_name: info.legal_name,
        country_code: info.country_code,
        organisation_type: info.organisation_type,
    })
}

#[tauri::command]
pub async fn disconnect(
    desk: State<'_, Desk>,
    login: String,
    tenant: String,
) -> Result<(), IpcError> {
    desk.engine()
        .await?
        .disconnect(&login_id(&login)?, &tenant)
        .await
        .map(drop)
        .map_err(Into::into)
}

#[tauri::command]
pub async fn remove_login(desk: State<'_, Desk>, login: String) -> Result<(), IpcError> {
    desk.engine()
        .await?
        .remove_login(&login_id(&login)?)
        .await
        .map_err(Into::into)
}

#[tauri::command]
pub async fn events(
    desk: State<'_, Desk>,
    login: Option<String>,
) -> Result<Vec<EventView>, IpcError> {
    let engine = desk.engine().await?;
    let filter = login.as_deref().map(login_id).transpose()?;
    let logins = engine.logins().await?;
    Ok(engine
        .events(filter.as_ref(), 500)
        .await?
        .iter()
        .map(|e| EventView::new(e, &logins))
        .collect())
}

#[tauri::command]
pub async fn settings(desk: State<'_, Desk>) -> Result<SettingsView, IpcError> {
    let mode = desk.mode().await;
    Ok(settings_view(&desk.profile().await?, mode))
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    desk: State<'_, Desk>,
    settings: Settings,
) -> Result<SettingsView, IpcError> {
    desk.save_settings(&app, settings).await
}

/// Refreshes every login that does not need a human (the tray's "Refresh all" does the same).
#[tauri::command]
pub async fn refresh_all(app: AppHandle, desk: State<'_, Desk>) -> Result<(), IpcError> {
    desk.engine().await?;
    desk.refresh_all(&app).await;
    Ok(())
}

/// The offer key in the notices table: the first-run offer is made once per profile.
const AUTOSTART_OFFER: &str = "offer:autostart";

#[tauri::command]
pub async fn autostart(app: AppHandle, desk: State<'_, Desk>) -> Result<AutostartView, IpcError> {
    let enabled = app
        .autolaunch()
        .is_enabled()
        .map_err(|e| IpcError::new(ErrorCode::Platform, e.to_string()))?;
    // Offered with a real Xero app only: starting the demo at login helps nobody.
    let offer = !enabled
        && desk.mode().await == AppMode::Xero
        && !desk
            .engine()
            .await?
            .notices_said()
            .await?
            .contains_key(AUTOSTART_OFFER);
    Ok(AutostartView { enabled, offer })
}

/// Turns start-at-login on or off; either answers the first-run offer for good.
#[tauri::command]
pub async fn set_autostart(
    app: AppHandle,
    desk: State<'_, Desk>,
    enabled: bool,
) -> Result<AutostartView, IpcError> {
    let launcher = app.autolaunch();
    let result = match (enabled, launcher.is_enabled()) {
        (true, Ok(false)) => launcher.enable(),
        (false, Ok(true)) => launcher.disable(),
        (_, Ok(_)) => Ok(()), // already as asked
        (_, Err(e)) => Err(e),
    };
    result.map_err(|e| {
        IpcError::new(
            ErrorCode::Platform,
            format!("could not change start at login: {e}"),
        )
    })?;
    if let Ok(engine) = desk.engine().await {
        engine.record_notice(AUTOSTART_OFFER).await?;
    }
    autostart(app, desk).await
}

/// The Usage view: this month's egress through the gateway, against the tier's allowance.
#[tauri::command]
pub async fn usage(desk: State<'_, Desk>) -> Result<crate::usage::UsageView, IpcError> {
    let engine = desk.engine().await?;
    let month = tenantry_core::usage::Month::of(engine.now());
    let report = engine.usage(month).await?;
    Ok(crate::usage::UsageView::new(&report, engine.config().tier))
}

/// Who can reach which client, for the Access view.
#[tauri::command]
pub async fn access(desk: State<'_, Desk>) -> Result<crate::access::AccessView, IpcError> {
    let engine = desk.engine().await?;
    let report = engine.access_report(&Default::default()).await?;
    let scopes = engine.scopes_report().await?;
    Ok(crate::access::AccessView::new(report, &scopes))
}

/// Saves the access report as CSV where the person chooses; the path, or null if they cancelled.
#[tauri::command]
pub async fn export_access_csv(
    app: AppHandle,
    desk: State<'_, Desk>,
) -> Result<Option<String>, IpcError> {
    let engine = desk.engine().await?;
    let report = engine.access_report(&Default::default()).await?;
    // With the byte-order mark Excel needs: a saved file is for a spreadsheet.
    let text = tenantry_core::report::access::csv(&report, true);
    let name = format!("tenantry-access-{}.csv", engine.now().format("%Y-%m-%d"));
    // The dialog blocks until the person answers: never on an async worker or the main thread.
    let saved = tauri::async_runtime::spawn_blocking(move || {
        let Some(path) = crate::access::choose_path(&app, &name) else {
            return Ok(None);
        };
        std::fs::write(&path, text)
            .map(|()| Some(path.display().to_string()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Platform, e.to_string()))?;
    saved.map_err(|e| IpcError::new(ErrorCode::Storage, e))
}
