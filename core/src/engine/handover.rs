//! A handover as the engine keeps it: where it stands, judged from the overview each time
//! ([`crate::handover`]), each step written to the event log, and the leaving login removed only
//! when [`removable`] allows it.

use super::Engine;
use crate::error::EngineError;
use crate::handover::{Handover, Step, note, plan, removable};
use crate::model::{EventKind, Login, LoginId};

impl Engine {
    /// Where handing `from`'s organisations over to `to` stands now.
    pub async fn handover(&self, from: &LoginId, to: &LoginId) -> Result<Handover, EngineError> {
        Ok(plan(&self.overview().await?, from, to))
    }

    /// Records `step` of the handover from `from` to `to`, standing at `state` (the `handover`
    /// event, which runs the `on_event` hook).
    pub async fn note_handover(&self, from: &Login, to: &Login, step: Step, state: &Handover) {
        let detail = note(step, &from.email, &to.email, state);
        self.inner
            .event(Some(&from.id), EventKind::Handover, None, detail)
            .await;
    }

    /// The handover's last step: removes `from` (revoking it at Xero) if no organisation only it
    /// reaches would be lost, or if `force` names exactly those that would be. Judged afresh
    /// here, whatever the caller showed. Where it stood when `from` went.
    pub async fn finish_handover(
        &self,
        from: &Login,
        to: &Login,
        force: &[String],
    ) -> Result<Handover, EngineError> {
        let state = self.handover(&from.id, &to.id).await?;
        removable(&state, force).map_err(|why| EngineError::HandoverIncomplete {
            email: from.email.clone(),
            why,
        })?;
        self.remove_login(&from.id).await?;
        self.note_handover(from, to, Step::Removed, &state).await;
        Ok(state)
    }
}
