//! The loopback listener that receives the browser's redirect.
//!
//! Xero registers exact redirect URIs (`http://localhost:PORT/callback`, no wildcard, no custom
//! scheme), so the user registers a few fixed ports and this takes the first one free on both
//! loopback addresses. It answers GET `/callback` only, with a `Host` naming this port on a
//! loopback name (a page that rebinds its own host name to 127.0.0.1 sends its own name), reads at
//! most 8 KiB of request head within a few seconds, accepts exactly one callback that carries the
//! pending state, and stops listening as soon as it has it. Connections that hold a slot without
//! sending make way for new ones, so a local process cannot keep the browser out.

use super::callback::{CallbackError, parse_callback};
use crate::secret::Secret;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections handled at once. A new one beyond this closes the oldest: a browser sends its
/// request the moment it connects, so the oldest is the one most likely holding a slot idle.
const MAX_CONNECTIONS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    #[error(
        "none of the redirect ports {0:?} is free on this computer; close the program using them or add another port (registered at Xero) to `redirect_ports`"
    )]
    PortsBusy(Vec<u16>),
    #[error("no approval arrived within {0} s; start connecting again")]
    TimedOut(u64),
    #[error("connecting was cancelled")]
    Cancelled,
    #[error("{0}")]
    Callback(CallbackError),
}

pub struct CallbackListener {
    listeners: Vec<TcpListener>,
    port: u16,
}

/// What a request to the listener gets back, decided purely from its head. `Debug` never shows
/// a callback's query (it carries the code).
#[derive(PartialEq, Eq)]
pub enum HeadVerdict {
    /// GET /callback with this query string.
    Callback(String),
    Reject(u16, &'static str),
}

impl std::fmt::Debug for HeadVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Callback(_) => f.write_str("Callback(<redacted>)"),
            Self::Reject(status, why) => f.debug_tuple("Reject").field(status).field(why).finish(),
        }
    }
}

/// Judges an HTTP/1.x request head for the listener on `port`. Pure, so hostile input is easy to
/// test (and to fuzz: fuzz/fuzz_targets/request_head.rs).
pub fn judge_head(head: &[u8], port: u16) -> HeadVerdict {
    let bad = HeadVerdict::Reject(400, "Bad request");
    let Some(line_end) = head.windows(2).position(|w| w == b"\r\n") else {
        return bad;
    };
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return bad;
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad;
    };
    if !version.starts_with("HTTP/1.") {
        return bad;
    }
    if !host_is_ours(&head[line_end + 2..], port) {
        return HeadVerdict::Reject(421, "This is not the address Tenantry listens on");
    }
    if method != "GET" {
        return HeadVerdict::Reject(405, "Only GET is accepted here");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/callback" {
        return HeadVerdict::Reject(404, "Not found");
    }
    HeadVerdict::Callback(query.to_owned())
}

/// Whether the head's one `Host` header names a loopback name with this port, as a browser
/// following `http://localhost:PORT/callback` (resolved to either address) sends it.
fn host_is_ours(headers: &[u8], port: u16) -> bool {
    let Ok(headers) = std::str::from_utf8(headers) else {
        return false;
    };
    let mut hosts = headers.split("\r\n").filter_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("host").then(|| value.trim())
    });
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false; // none, or two (a smuggling attempt)
    };
    let port = port.to_string();
    ["localhost", "127.0.0.1", "[::1]"].iter().any(|name| {
        host.len() == name.len() + 1 + port.len()
            && host[..name.len()].eq_ignore_ascii_case(name)
            && host[name.len()..].strip_prefix(':') == Some(port.as_str())
    })
}

impl CallbackListener {
    /// Binds the first port of `ports` that is free on both 127.0.0.1 and ::1 (browsers may
    /// resolve `localhost` to either). A port whose ::1 half someone else holds is skipped: the
    /// browser's redirect could reach them. Without IPv6 on this computer, 127.0.0.1 is enough.
    pub async fn bind(ports: &[u16]) -> Result<Self, ListenError> {
        for &port in ports {
            let Ok(v4) = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
            else {
                continue;
            };
            match TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
                Ok(v6) => {
                    return Ok(Self {
                        listeners: vec![v4, v6],
                        port,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(_) => {
                    return Ok(Self {
                        listeners: vec![v4],
                        port,
                    });
                }
            }
        }
        Err(ListenError::PortsBusy(ports.to_vec()))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses actually bound: loopback only, so other machines are refused by the kernel.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// The redirect URI to send to Xero; it must be registered there exactly.
    pub fn redirect_uri(&self) -> String {
        redirect_uri(self.port)
    }

    /// Waits for the one callback carrying `state`, then stops listening.
    pub async fn wait(
        self,
        state: &str,
        issuer: &str,
        timeout: Duration,
        cancel: CancellationToken,
    ) -> Result<Secret, ListenError> {
        let (tx, mut rx) = mpsc::channel::<Result<Secret, CallbackError>>(1);
        let callback = Arc::new(Pending {
            state: state.to_owned(),
            issuer: issuer.to_owned(),
            port: self.port,
            done: Mutex::new(false),
            tx,
        });
        let slots = Arc::new(Slots::default());
        let stop = CancellationToken::new();
        let mut acceptors = Vec::new();
        for listener in self.listeners {
            let (callback, slots, stop) = (callback.clone(), slots.clone(), stop.clone());
            acceptors.push(tokio::spawn(async move {
                loop {
                    let accepted = tokio::select! {
                        _ = stop.cancelled() => return,
                        accepted = listener.accept() => accepted,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let callback = callback.clone();
                    slots.admit(tokio::spawn(async move { callback.handle(stream).await }));
                }
            }));
        }
        // Only the connections hold the sender now: if every acceptor ends, the wait ends.
        drop(callback);
        let outcome = tokio::select! {
            _ = cancel.cancelled() => Err(ListenError::Cancelled),
            _ = tokio::time::sleep(timeout) => Err(ListenError::TimedOut(timeout.as_secs())),
            got = rx.recv() => match got {
                Some(Ok(code)) => Ok(code),
                Some(Err(e)) => Err(ListenError::Callback(e)),
                None => Err(ListenError::Cancelled),
            },
        };
        // Close the listening sockets before returning: later callbacks are refused by the kernel,
        // and the port is free for the next sign-in.
        stop.cancel();
        for acceptor in acceptors {
            let _ = acceptor.await;
        }
        slots.close_all();
        outcome
    }
}

/// The connections being handled, oldest first.
#[derive(Default)]
struct Slots(Mutex<VecDeque<AbortHandle>>);

impl Slots {
    /// Adds a connection's task; when all slots are taken, the oldest connection is closed.
    fn admit(&self, task: tokio::task::JoinHandle<()>) {
        let mut open = self.0.lock().expect("slots lock");
        open.retain(|t| !t.is_finished());
        if open.len() >= MAX_CONNECTIONS
            && let Some(oldest) = open.pop_front()
        {
            oldest.abort();
        }
        open.push_back(task.abort_handle());
    }

    fn close_all(&self) {
        for task in self.0.lock().expect("slots lock").drain(..) {
            task.abort();
        }
    }
}

/// What every connection checks its request against, and where the one answer goes.
struct Pending {
    state: String,
    issuer: String,
    port: u16,
    done: Mutex<bool>,
    tx: mpsc::Sender<Result<Secret, CallbackError>>,
}

impl Pending {
    async fn handle(&self, mut stream: TcpStream) {
        let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
            Ok(Some(head)) => head,
            Ok(None) => {
                return respond(
                    &mut stream,
                    431,
                    "Request too large",
                    "The request was too large.",
                )
                .await;
            }
            Err(_) => return, // slow client: just close
        };
        let query = match judge_head(&head, self.port) {
            HeadVerdict::Callback(query) => query,
            HeadVerdict::Reject(status, why) => {
                return respond(&mut stream, status, why, why).await;
            }
        };
        match parse_callback(&query, &self.state, &self.issuer) {
            Err(e) if !e.is_ours() => {
                tracing::warn!(reason = %e, "ignored a callback that does not match the pending sign-in");
                respond(&mut stream, 400, "Not this sign-in", "This link does not belong to the sign-in Tenantry is waiting for. Return to Tenantry and start again if needed.").await
            }
            outcome => {
                let first =
                    !std::mem::replace(&mut *self.done.lock().expect("callback flag"), true);
                if !first {
                    return respond(
                        &mut stream,
                        409,
                        "Already done",
                        "This sign-in has already been completed. You can close this tab.",
                    )
                    .await;
                }
                match &outcome {
                    Ok(_) => respond(&mut stream, 200, "Connected", "Tenantry received your approval. You can close this tab and return to Tenantry.").await,
                    Err(e) => respond(&mut stream, 400, "Not connected", &format!("Tenantry could not connect: {e}. Return to Tenantry to try again.")).await,
                }
                let _ = self.tx.send(outcome).await;
            }
        }
    }
}

pub fn redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}/callback")
}

/// Reads until the blank line ending the head; `None` if it exceeds [`MAX_HEAD`].
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return Some(head);
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        421 => "Misdirected Request",
        _ => "Request Header Fields Too Large",
    };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Tenantry: {t}</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color-scheme:light dark}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests;
