//! The loopback listener that receives the browser's redirect.
//!
//! Xero registers exact redirect URIs (`http://localhost:PORT/callback`, no wildcard, no custom
//! scheme), so the user registers a few fixed ports and this takes the first free one. It binds
//! loopback only, answers GET `/callback` only, reads at most 8 KiB of request head within a few
//! seconds (slow or oversized clients are cut off), accepts exactly one callback that carries the
//! pending state, and stops listening as soon as it has it.

use super::callback::{CallbackError, parse_callback};
use crate::secret::Secret;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections handled at once; more wait in the kernel's backlog.
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

/// What a request to the listener gets back, decided purely from its head.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadVerdict {
    /// GET /callback with this query string.
    Callback(String),
    Reject(u16, &'static str),
}

/// Reads the request line of an HTTP/1.x request head. Pure, so hostile input is easy to test
/// (and to fuzz: fuzz/fuzz_targets/request_head.rs).
pub fn judge_head(head: &[u8]) -> HeadVerdict {
    let Some(line_end) = head.windows(2).position(|w| w == b"\r\n") else {
        return HeadVerdict::Reject(400, "Bad request");
    };
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return HeadVerdict::Reject(400, "Bad request");
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return HeadVerdict::Reject(400, "Bad request");
    };
    if !version.starts_with("HTTP/1.") {
        return HeadVerdict::Reject(400, "Bad request");
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

impl CallbackListener {
    /// Binds the first port of `ports` that is free on 127.0.0.1 (and on ::1 too when this
    /// computer has IPv6, since browsers may resolve `localhost` to either).
    pub async fn bind(ports: &[u16]) -> Result<Self, ListenError> {
        for &port in ports {
            let Ok(v4) = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
            else {
                continue;
            };
            let mut listeners = vec![v4];
            if let Ok(v6) = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
                listeners.push(v6);
            }
            return Ok(Self { listeners, port });
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
        let done = Arc::new(Mutex::new(false));
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let stop = CancellationToken::new();
        let mut acceptors = Vec::new();
        for listener in self.listeners {
            let (tx, done, slots, stop) = (tx.clone(), done.clone(), slots.clone(), stop.clone());
            let (state, issuer) = (state.to_owned(), issuer.to_owned());
            acceptors.push(tokio::spawn(async move {
                loop {
                    let accepted = tokio::select! {
                        _ = stop.cancelled() => return,
                        accepted = listener.accept() => accepted,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        continue;
                    }; // overloaded: drop
                    let (tx, done, state, issuer) =
                        (tx.clone(), done.clone(), state.clone(), issuer.clone());
                    tokio::spawn(async move {
                        handle(stream, &state, &issuer, &done, &tx).await;
                        drop(permit);
                    });
                }
            }));
        }
        drop(tx);
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
        outcome
    }
}

pub fn redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}/callback")
}

async fn handle(
    mut stream: TcpStream,
    state: &str,
    issuer: &str,
    done: &Mutex<bool>,
    tx: &mpsc::Sender<Result<Secret, CallbackError>>,
) {
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
    let query = match judge_head(&head) {
        HeadVerdict::Callback(query) => query,
        HeadVerdict::Reject(status, why) => return respond(&mut stream, status, why, why).await,
    };
    match parse_callback(&query, state, issuer) {
        Err(e) if !e.is_ours() => {
            tracing::warn!(reason = %e, "ignored a callback that does not match the pending sign-in");
            respond(&mut stream, 400, "Not this sign-in", "This link does not belong to the sign-in Tenantry is waiting for. Return to Tenantry and start again if needed.").await
        }
        outcome => {
            let first = !std::mem::replace(&mut *done.lock().expect("callback flag"), true);
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
            let _ = tx.send(outcome).await;
        }
    }
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
mod tests {
    use super::*;

    #[test]
    fn request_heads_are_judged_strictly() {
        let table: &[(&[u8], HeadVerdict)] = &[
            (
                b"GET /callback?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n",
                HeadVerdict::Callback("code=a&state=b".into()),
            ),
            (
                b"GET /callback HTTP/1.0\r\n\r\n",
                HeadVerdict::Callback(String::new()),
            ),
            (
                b"POST /callback?code=a HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(405, "Only GET is accepted here"),
            ),
            (
                b"HEAD /callback HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(405, "Only GET is accepted here"),
            ),
            (
                b"GET /favicon.ico HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(404, "Not found"),
            ),
            (
                b"GET /callbackX?code=a HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(404, "Not found"),
            ),
            (
                b"GET  /callback HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(400, "Bad request"),
            ),
            (
                b"GET /callback\r\n\r\n",
                HeadVerdict::Reject(400, "Bad request"),
            ),
            (
                b"GET /callback SPDY/3\r\n\r\n",
                HeadVerdict::Reject(400, "Bad request"),
            ),
            (
                b"\xff\xfe /callback HTTP/1.1\r\n\r\n",
                HeadVerdict::Reject(400, "Bad request"),
            ),
            (b"no line end", HeadVerdict::Reject(400, "Bad request")),
        ];
        for (head, want) in table {
            assert_eq!(
                &judge_head(head),
                want,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
