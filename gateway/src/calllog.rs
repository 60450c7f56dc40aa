//! The gateway's side of the call log (`tenantry_core::calls`): each call's row is noted when it
//! ends (its answer's last byte passed on, or the gateway's own answer given) and written by a
//! task of its own, a batch per transaction, off the calls' path, as the egress meter's counts
//! are. Calls older than `call_log_days` are forgotten when the gateway starts and each hour (with
//! the log off, `0`, none are written and none forgotten).
//! A short-lived host (`tenantry call`, `each`) waits for its calls to be written before it ends
//! ([`crate::Serving::settle`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry_core::Engine;
use tenantry_core::calls::{CallRecord, shape, tool_name};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const FORGET_EVERY: Duration = Duration::from_secs(3600);

pub(crate) struct CallLog {
    /// `call_log_days` is not 0.
    on: bool,
    pending: Mutex<Vec<CallRecord>>,
    /// Calls begun and not yet noted: what [`CallLog::settled`] waits for.
    open: AtomicUsize,
    wake: Notify,
}

/// A call under way: what its row will say, less how it ended. Its row is noted when it is
/// dropped, ended or not: a call whose program went away before any answer keeps status 0.
pub(crate) struct Entry {
    log: Arc<CallLog>,
    started: Instant,
    record: Option<CallRecord>,
}

impl Entry {
    /// `program` sent `method path?query` (naming `tenant` as it did) at `at`, asking for `tool`
    /// when Tenantry's own front end sent it.
    pub(crate) fn begin(
        log: &Arc<CallLog>,
        at: chrono::DateTime<chrono::Utc>,
        program: &str,
        tool: Option<&str>,
        method: &str,
        uri: &axum::http::Uri,
    ) -> Option<Self> {
        if !log.on {
            return None;
        }
        log.open.fetch_add(1, Ordering::SeqCst);
        Some(Self {
            log: log.clone(),
            started: Instant::now(),
            record: Some(CallRecord {
                at,
                program: program.to_owned(),
                tool: tool.and_then(tool_name),
                tenant_id: String::new(),
                method: method.to_owned(),
                path: shape(uri.path(), uri.query()),
                status: 0,
                bytes: 0,
                duration_ms: 0,
                by: None,
                organisation: None,
            }),
        })
    }

    /// The organisation the call named (a tenant id once resolved).
    pub(crate) fn organisation(&mut self, tenant: &str) {
        if let Some(record) = &mut self.record {
            record.tenant_id = tenant.to_lowercase();
        }
    }

    /// Ends the call with its status and the bytes of its answer.
    pub(crate) fn end(mut self, status: u16, bytes: u64) {
        if let Some(record) = &mut self.record {
            record.status = status;
            record.bytes = bytes;
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let Some(mut record) = self.record.take() else {
            return;
        };
        record.duration_ms = u32::try_from(self.started.elapsed().as_millis()).unwrap_or(u32::MAX);
        self.log.pending.lock().expect("call log lock").push(record);
        self.log.open.fetch_sub(1, Ordering::SeqCst);
        self.log.wake.notify_one();
    }
}

impl CallLog {
    pub(crate) fn new(days: u32) -> Self {
        Self {
            on: days > 0,
            pending: Mutex::default(),
            open: AtomicUsize::new(0),
            wake: Notify::new(),
        }
    }

    /// Until no call is under way (at most `wait`): a host about to end lets its last calls end.
    pub(crate) async fn settled(&self, wait: Duration) {
        let until = Instant::now() + wait;
        while self.open.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn take(&self) -> Vec<CallRecord> {
        std::mem::take(&mut *self.pending.lock().expect("call log lock"))
    }

    /// Writes what is noted as it is noted, until `stop`, then what is left; forgets old calls at
    /// the start and each hour.
    pub(crate) fn keep_writing(
        self: &Arc<Self>,
        engine: Engine,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let log = self.clone();
        tokio::spawn(async move {
            let mut forgot: Option<Instant> = None;
            loop {
                // With the log off, nothing is forgotten either: in a practice the rows are the
                // whole practice's, kept as long as the machines that log say.
                if log.on && forgot.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
                    if let Err(e) = engine.forget_old_calls().await {
                        tracing::debug!(error = %e, "could not forget old calls");
                    }
                    forgot = Some(Instant::now());
                }
                let stopping = tokio::select! {
                    () = stop.cancelled() => true,
                    () = log.wake.notified() => false,
                    () = tokio::time::sleep(FORGET_EVERY) => false,
                };
                let noted = log.take();
                if !noted.is_empty()
                    && let Err(e) = engine.record_calls(noted.clone()).await
                {
                    tracing::warn!(error = %e, "could not write the call log; trying again");
                    log.pending.lock().expect("call log lock").extend(noted);
                    if !stopping {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                if stopping {
                    return;
                }
            }
        })
    }
}
