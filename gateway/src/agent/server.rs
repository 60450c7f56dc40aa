//! The agent's listening side, run by the gateway and the desktop app: a Unix socket, or a named
//! pipe on Windows, each open to this user only; the answering is the same on both.

use super::wire::{Answer, Ask, MAX_LINE, VERSION, Want};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tenantry_core::secret::Secret;
use tenantry_core::{Engine, EngineError};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_util::sync::CancellationToken;

/// Why the agent could not start; the gateway goes on without it (the CLI then reads the
/// keychain, as it does when no agent runs).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("another Tenantry process already answers token requests at {0}")]
    AlreadyRunning(PathBuf),
    #[error("cannot listen at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The gateway running in the agent's process, which the agent names to this user's programs.
#[derive(Clone)]
pub struct GatewayAt {
    pub port: u16,
    pub run_key: Secret,
}

/// Connections the agent serves at once; past that a new one waits in the socket's backlog.
/// Only this user can connect, so this bounds a runaway script, not an attacker.
const MAX_CONNECTIONS: usize = 64;

/// What every connection's answers come from.
#[derive(Clone)]
struct Answering {
    engine: Engine,
    gateway: Option<Arc<GatewayAt>>,
    turns: Arc<tokio::sync::Semaphore>,
}

/// The agent, listening until dropped (the socket file is removed then).
pub struct Agent {
    path: PathBuf,
    stop: CancellationToken,
}

impl Agent {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Listens at `path` (a directory only the user can enter is made for it) and answers from
    /// `engine` (and names `gateway`, when given) until dropped.
    #[cfg(unix)]
    pub async fn start(
        engine: Engine,
        path: PathBuf,
        gateway: Option<GatewayAt>,
    ) -> Result<Self, AgentError> {
        use std::os::unix::fs::PermissionsExt;
        use tokio::net::{UnixListener, UnixStream};
        let io = |source| AgentError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        if path.exists() {
            if UnixStream::connect(&path).await.is_ok() {
                return Err(AgentError::AlreadyRunning(path));
            }
            // Left by a process that died: nobody answers there.
            std::fs::remove_file(&path).map_err(io)?;
        }
        let listener = UnixListener::bind(&path).map_err(io)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        let owner = rustix::process::getuid().as_raw();
        let answering = Answering::new(engine, gateway);
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let mut errors = 0u32;
            loop {
                let Some(turn) = answering.turn(&stopped).await else {
                    return;
                };
                let accepted = tokio::select! {
                    () = stopped.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let stream = match accepted {
                    Ok((stream, _)) => {
                        errors = 0;
                        stream
                    }
                    Err(e) => {
                        pause_after(&e, &mut errors).await;
                        continue;
                    }
                };
                // Only the user the socket belongs to, whatever its mode says.
                match stream.peer_cred() {
                    Ok(cred) if cred.uid() == owner => {}
                    _ => {
                        tracing::warn!("refused a token request from another user");
                        continue;
                    }
                }
                tokio::spawn(serve(answering.clone(), stream, turn));
            }
        });
        Ok(Self { path, stop })
    }

    /// Listens on the named pipe `path` and answers from `engine` until dropped. The pipe's
    /// DACL lets only its owner (this user) open it, remote clients are refused, and each
    /// client's process is checked to be this user's too.
    #[cfg(windows)]
    pub async fn start(
        engine: Engine,
        path: PathBuf,
        gateway: Option<GatewayAt>,
    ) -> Result<Self, AgentError> {
        use interprocess::local_socket::traits::{StreamCommon as _, tokio::Listener as _};
        use interprocess::local_socket::{GenericFilePath, ListenerOptions, ToFsName};
        use interprocess::os::windows::local_socket::ListenerOptionsExt;
        use interprocess::os::windows::security_descriptor::SecurityDescriptor;
        let io = |source| AgentError::Io {
            path: path.clone(),
            source,
        };
        // A protected DACL with one entry: full access for OWNER RIGHTS, the pipe's owner.
        let owner_only =
            SecurityDescriptor::deserialize(widestring::u16cstr!("D:P(A;;GA;;;OW)")).map_err(io)?;
        let name = path
            .as_os_str()
            .to_fs_name::<GenericFilePath>()
            .map_err(io)?;
        let listener = ListenerOptions::new()
            .name(name)
            .security_descriptor(owner_only)
            .create_tokio()
            .map_err(|e| match e.kind() {
                // The first instance of the pipe exists: another process holds the name.
                std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied => {
                    AgentError::AlreadyRunning(path.clone())
                }
                _ => io(e),
            })?;
        let answering = Answering::new(engine, gateway);
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let mut errors = 0u32;
            loop {
                let Some(turn) = answering.turn(&stopped).await else {
                    return;
                };
                let accepted = tokio::select! {
                    () = stopped.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let stream = match accepted {
                    Ok(stream) => {
                        errors = 0;
                        stream
                    }
                    Err(e) => {
                        pause_after(&e, &mut errors).await;
                        continue;
                    }
                };
                let theirs = stream.peer_creds().ok().and_then(|c| c.pid());
                if !theirs.is_some_and(super::windows::is_this_users_process) {
                    tracing::warn!("refused a token request from another user");
                    continue;
                }
                tokio::spawn(serve(answering.clone(), stream, turn));
            }
        });
        Ok(Self { path, stop })
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop.cancel();
        #[cfg(unix)]
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Answering {
    fn new(engine: Engine, gateway: Option<GatewayAt>) -> Self {
        Self {
            engine,
            gateway: gateway.map(Arc::new),
            turns: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
        }
    }

    /// A connection's turn: waits while [`MAX_CONNECTIONS`] are being served; `None` once
    /// stopped.
    async fn turn(&self, stop: &CancellationToken) -> Option<tokio::sync::OwnedSemaphorePermit> {
        tokio::select! {
            () = stop.cancelled() => None,
            turn = self.turns.clone().acquire_owned() => turn.ok(),
        }
    }
}

/// An accept error (`EMFILE` when the process is out of descriptors) pauses the loop rather
/// than spinning on it (the gateway's rule: [`crate::conn::accept_pause`]).
async fn pause_after(e: &std::io::Error, errors: &mut u32) {
    if let Some(pause) = crate::conn::accept_pause(e.kind(), *errors) {
        *errors = errors.saturating_add(1);
        if *errors == 1 {
            tracing::warn!(error = %e, "the token agent cannot accept connections");
        }
        tokio::time::sleep(pause).await;
    }
}

/// Answers one connection's requests, a line each, until it closes.
async fn serve<S>(answering: Answering, stream: S, _turn: tokio::sync::OwnedSemaphorePermit)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read, mut write) = tokio::io::split(stream);
    // Bounded: a line longer than MAX_LINE is cut off there and refused.
    let mut lines = BufReader::new(read.take(0));
    let mut line = String::new();
    loop {
        line.clear();
        lines.get_mut().set_limit(MAX_LINE as u64 + 1);
        let taken = lines.read_line(&mut line).await;
        match taken {
            Ok(0) | Err(_) => return,
            Ok(n) if n > MAX_LINE => {
                let _ = write
                    .write_all(&failed_line("the request is too long"))
                    .await;
                return;
            }
            Ok(_) => {}
        }
        let answer = match serde_json::from_str::<Ask>(&line) {
            Ok(ask) if ask.v == VERSION => answer(&answering, ask).await,
            Ok(ask) => failed(&format!(
                "this agent speaks version {VERSION} and was asked in version {}; restart the gateway or the app after upgrading",
                ask.v
            )),
            Err(e) => failed(&format!("unreadable request: {e}")),
        };
        let mut out = serde_json::to_vec(&answer).expect("an answer serialises");
        out.push(b'\n');
        if write.write_all(&out).await.is_err() {
            return;
        }
    }
}

async fn answer(answering: &Answering, ask: Ask) -> Answer {
    if ask.want == Want::Gateway {
        return match &answering.gateway {
            Some(at) => Answer::Gateway {
                port: at.port,
                key: at.run_key.expose().to_owned(),
            },
            None => failed("no gateway runs in the process that answers here"),
        };
    }
    match grant(&answering.engine, &ask).await {
        Ok(answer) => answer,
        Err(e) => Answer::Failed {
            code: e.code(),
            message: e.explained(),
        },
    }
}

async fn grant(engine: &Engine, ask: &Ask) -> Result<Answer, EngineError> {
    let grant = engine.grant_for(&ask.org, ask.login.as_deref()).await?;
    let email = match ask.email {
        true => engine.login_email(&grant.login_id).await?,
        false => None,
    };
    Ok(Answer::Token {
        access_token: grant.access_token.expose().to_owned(),
        tenant_id: grant.tenant_id.to_string(),
        expires_at: grant.expires_at,
        login_id: grant.login_id.to_string(),
        email,
    })
}

fn failed(message: &str) -> Answer {
    Answer::Failed {
        code: tenantry_core::ErrorCode::Platform,
        message: message.to_owned(),
    }
}

fn failed_line(message: &str) -> Vec<u8> {
    let mut out = serde_json::to_vec(&failed(message)).expect("an answer serialises");
    out.push(b'\n');
    out
}
