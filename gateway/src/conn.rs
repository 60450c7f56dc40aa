//! The gateway's connections: accepted, bounded, timed out and closed here, so that whoever can
//! reach the port (any local user, key or not) cannot take the process's file descriptors, which
//! in the desktop app its refreshes and its database need too.
//!
//! - At most [`MAX_CONNECTIONS`] are open. A new one past that closes the connection that has
//!   been idle longest (no request in progress), so a program with the key always gets in,
//!   however many idle sockets another holds open; if every one is busy, the new one is closed.
//! - A request's head must arrive within [`HEAD_TIMEOUT`], and so must the next one on a kept-alive
//!   connection: a slow head or an idle socket is closed then (hyper's header read timeout,
//!   which runs from the moment the connection waits for a head).
//! - An accept error (`EMFILE` when descriptors run out) pauses the loop, growing to a second,
//!   instead of spinning on it ([`accept_pause`], shared with the token agent).

use crate::client::{Finder, Lazy};
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Connections open at once. Xero allows 5 calls in progress per organisation: 256 connections
/// serve any real workload, and leave most of a default 1,024-descriptor limit to the rest.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a request's head may take to arrive, from the moment the connection waits for it.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(20);

/// Every open connection, with whether it is serving a request and when it last did.
#[derive(Clone, Default)]
struct Registry(Arc<Mutex<Open>>);

#[derive(Default)]
struct Open {
    next_id: u64,
    by_id: HashMap<u64, Conn>,
}

struct Conn {
    /// Requests in progress (their handlers running).
    busy: u32,
    last_active: Instant,
    close: Arc<Notify>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes room for a new connection and records it; `None` when every open one is busy.
    fn admit(&self, now: Instant) -> Option<(u64, Arc<Notify>)> {
        let mut open = self.lock();
        if open.by_id.len() >= MAX_CONNECTIONS {
            let idle = open
                .by_id
                .iter()
                .filter(|(_, c)| c.busy == 0)
                .min_by_key(|(_, c)| c.last_active)
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.by_id.remove(&idle) {
                // `notify_one` keeps the permit if the task is not waiting yet.
                evicted.close.notify_one();
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let close = Arc::new(Notify::new());
        open.by_id.insert(
            id,
            Conn {
                busy: 0,
                last_active: now,
                close: close.clone(),
            },
        );
        Some((id, close))
    }

    fn active(&self, id: u64, delta: i32) {
        if let Some(c) = self.lock().by_id.get_mut(&id) {
            c.busy = c.busy.saturating_add_signed(delta);
            c.last_active = Instant::now();
        }
    }

    fn gone(&self, id: u64) {
        self.lock().by_id.remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_id.len()
    }
}

/// A request in progress on connection `id`, until dropped.
struct Busy {
    registry: Registry,
    id: u64,
}

impl Busy {
    fn new(registry: &Registry, id: u64) -> Self {
        registry.active(id, 1);
        Self {
            registry: registry.clone(),
            id,
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.registry.active(self.id, -1);
    }
}

/// How long to pause after the `consecutive`-th accept error in a row of kind `kind`: none for
/// a connection that was reset before it was accepted (the next is fine), else from 10 ms,
/// doubling, to a second, so that a process out of descriptors does not spin a core.
pub fn accept_pause(kind: std::io::ErrorKind, consecutive: u32) -> Option<Duration> {
    use std::io::ErrorKind as K;
    match kind {
        K::ConnectionAborted | K::ConnectionReset | K::Interrupted | K::WouldBlock => None,
        _ => Some(
            Duration::from_millis(10)
                .saturating_mul(1 << consecutive.min(7))
                .min(Duration::from_secs(1)),
        ),
    }
}

/// Serves `app` on `listener` until `stop`.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: CancellationToken,
) {
    let registry = Registry::default();
    let finder = Finder::default();
    let local = listener.local_addr().ok();
    let mut errors = 0u32;
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                errors = 0;
                accepted
            }
            Err(e) => {
                if let Some(pause) = accept_pause(e.kind(), errors) {
                    errors = errors.saturating_add(1);
                    if errors == 1 {
                        tracing::warn!(error = %e, "the gateway cannot accept connections");
                    }
                    tokio::time::sleep(pause).await;
                }
                continue;
            }
        };
        let Some((id, close)) = registry.admit(Instant::now()) else {
            // Every connection is serving a call: this one waits for none.
            drop(stream);
            continue;
        };
        let (registry, finder, app, stop) =
            (registry.clone(), finder.clone(), app.clone(), stop.clone());
        tokio::spawn(async move {
            let client = Lazy::new(finder, peer, local);
            one(stream, peer, client, app, (&registry, id), close, stop).await;
            registry.gone(id);
        });
    }
}

/// Serves one connection until it ends, is closed to make room, or the gateway stops.
async fn one(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    client: Lazy,
    app: axum::Router,
    (registry, id): (&Registry, u64),
    close: Arc<Notify>,
    stop: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let service_registry = registry.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
        let busy = Busy::new(&service_registry, id);
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(client.clone());
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(axum::body::Body::new)).await;
            drop(busy);
            response
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = close.notified(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = stop.cancelled(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn past_the_cap_the_longest_idle_connection_makes_room_and_a_busy_one_never_does() {
        let registry = Registry::default();
        let t0 = Instant::now();
        let mut admitted = Vec::new();
        for i in 0..MAX_CONNECTIONS {
            let (id, close) = registry
                .admit(t0 + Duration::from_millis(i as u64))
                .unwrap();
            admitted.push((id, close));
        }
        // The oldest is busy: the next oldest is the one to go.
        registry.active(admitted[0].0, 1);
        let oldest_idle = admitted[1].0;
        assert!(registry.admit(Instant::now()).is_some());
        assert_eq!(registry.len(), MAX_CONNECTIONS, "one out, one in");
        assert!(
            !registry.lock().by_id.contains_key(&oldest_idle),
            "the connection idle longest was closed"
        );
        assert!(
            registry.lock().by_id.contains_key(&admitted[0].0),
            "a connection serving a call is never closed to make room"
        );
        let open: Vec<u64> = registry.lock().by_id.keys().copied().collect();
        for id in open {
            registry.active(id, 1);
        }
        assert!(
            registry.admit(Instant::now()).is_none(),
            "all busy: the newcomer is refused, nobody is cut off mid-call"
        );
    }

    #[test]
    fn accept_errors_pause_growing_to_a_second_but_a_reset_does_not() {
        assert_eq!(accept_pause(ErrorKind::ConnectionAborted, 0), None);
        assert_eq!(accept_pause(ErrorKind::ConnectionReset, 5), None);
        let first = accept_pause(ErrorKind::Other, 0).unwrap();
        let later = accept_pause(ErrorKind::Other, 3).unwrap();
        assert!(first >= Duration::from_millis(10) && later > first);
        assert_eq!(
            accept_pause(ErrorKind::Other, 40),
            Some(Duration::from_secs(1)),
            "never more than a second, so the gateway serves again soon after descriptors free"
        );
    }
}
