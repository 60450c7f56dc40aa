//! A handover as the engine keeps it: where it stands, judged from the overview each time
//! ([`crate::handover`]), and each step written to the event log.

use super::Engine;
use crate::error::EngineError;
use crate::handover::{Handover, plan};
use crate::model::{EventKind, LoginId};

impl Engine {
    /// Where handing `from`'s organisations over to `to` stands now.
    pub async fn handover(&self, from: &LoginId, to: &LoginId) -> Result<Handover, EngineError> {
        Ok(plan(&self.overview().await?, from, to))
    }

    /// Records a step of the handover from `from` (the `handover` event, which runs the
    /// `on_event` hook).
    pub async fn note_handover(&self, from: &LoginId, detail: String) {
        self.inner
            .event(Some(from), EventKind::Handover, None, detail)
            .await;
    }
}
