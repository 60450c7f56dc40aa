//! The window's guided handover (a login's "Hand over…"): where handing a leaving login's
//! organisations over to another stands, each step noted in the event log, and the leaving login
//! removed only as the core allows (`tenantry_core::handover`). The sign-in in between is the
//! connect dialog's; this never judges what is safe itself.

use crate::desk::Desk;
use crate::ipc::IpcError;
use serde::{Deserialize, Serialize};
use tauri::State;
use tenantry_core::Engine;
use tenantry_core::handover::{Handover, Step};
use tenantry_core::model::Login;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct HandoverView {
    pub from_email: String,
    pub to_email: String,
    pub state: Handover,
    /// Every organisation the leaving login alone reached is reachable through the other.
    pub complete: bool,
}

/// A step the window reports as the person takes it.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum HandoverStep {
    /// The person chose to sign the taking-over login in.
    SigningIn,
    /// That sign-in ended.
    Checked,
}

/// Where handing `from`'s organisations over to `to` stands (login ids).
#[tauri::command]
pub async fn handover(
    desk: State<'_, Desk>,
    from: String,
    to: String,
) -> Result<HandoverView, IpcError> {
    let engine = desk.engine().await?;
    let (from, to) = pair(&engine, &from, &to).await?;
    let state = engine.handover(&from.id, &to.id).await?;
    Ok(view(&from, &to, state))
}

/// Notes `step` in the event log, with where the handover stands, which it returns.
#[tauri::command]
pub async fn note_handover(
    desk: State<'_, Desk>,
    from: String,
    to: String,
    step: HandoverStep,
) -> Result<HandoverView, IpcError> {
    let engine = desk.engine().await?;
    let (from, to) = pair(&engine, &from, &to).await?;
    let state = engine.handover(&from.id, &to.id).await?;
    let step = match step {
        HandoverStep::SigningIn => Step::SigningIn,
        HandoverStep::Checked => Step::Checked,
    };
    engine.note_handover(&from, &to, step, &state).await;
    Ok(view(&from, &to, state))
}

/// Removes `from`, revoking it at Xero, if the core finds no organisation would be lost, or
/// `force` (tenant ids) names exactly those that would be. Where it stood when `from` went.
#[tauri::command]
pub async fn finish_handover(
    desk: State<'_, Desk>,
    from: String,
    to: String,
    force: Vec<String>,
) -> Result<HandoverView, IpcError> {
    let engine = desk.engine().await?;
    let (from, to) = pair(&engine, &from, &to).await?;
    let state = engine.finish_handover(&from, &to, &force).await?;
    Ok(view(&from, &to, state))
}

async fn pair(engine: &Engine, from: &str, to: &str) -> Result<(Login, Login), IpcError> {
    let logins = engine.logins().await?;
    let find = |id: &str| {
        logins
            .iter()
            .find(|l| l.id.as_str() == id)
            .cloned()
            .ok_or_else(|| tenantry_core::EngineError::UnknownLogin(id.to_owned()))
    };
    // The same login twice is the core's to judge: a login covers nothing for itself.
    Ok((find(from)?, find(to)?))
}

fn view(from: &Login, to: &Login, state: Handover) -> HandoverView {
    HandoverView {
        from_email: from.email.clone(),
        to_email: to.email.clone(),
        complete: state.complete(),
        state,
    }
}
