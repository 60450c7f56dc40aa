//! The CLI's side of the agent: one blocking round trip on the socket (the named pipe on
//! Windows), with no runtime, store or keychain opened, so a `tenantry token` answered by the
//! agent costs a process start and a round trip. `None` when no agent answers there, so the
//! caller reads the keychain.

use super::wire::{Answer, Ask, VERSION, Want};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
#[cfg(unix)]
use std::time::Duration;

/// Longer than a refresh the agent may have to make first (the engine's timeout is 30 s).
#[cfg(unix)]
const WAIT: Duration = Duration::from_secs(75);

/// Why an agent that was there gave no answer; the caller says so and reads the keychain.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("the token agent at {path} stopped answering ({source})")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the token agent at {path} answered something unreadable ({reason})")]
    Unreadable { path: String, reason: String },
    #[error("{path} belongs to another user; it is not this user's token agent")]
    NotOurs { path: String },
}

/// Asks the agent at `path` for a token for `org`; `Ok(None)` when none listens there.
pub fn ask(
    path: &Path,
    org: &str,
    login: Option<&str>,
    email: bool,
) -> Result<Option<Answer>, AskError> {
    let ask = Ask {
        v: VERSION,
        want: Want::Token,
        org: org.to_owned(),
        login: login.map(str::to_owned),
        email,
    };
    ask_for(path, &ask)
}

/// Asks the agent at `path` where its process's gateway listens: `Ok(Some(Answer::Gateway))`
/// when one runs there. Only an agent this user owns is asked (the socket's owner on Unix, the
/// pipe server's process on Windows), so the answer is this user's own gateway.
pub fn ask_gateway(path: &Path) -> Result<Option<Answer>, AskError> {
    let ask = Ask {
        v: VERSION,
        want: Want::Gateway,
        org: String::new(),
        login: None,
        email: false,
    };
    ask_for(path, &ask)
}

#[cfg(unix)]
fn ask_for(path: &Path, ask: &Ask) -> Result<Option<Answer>, AskError> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixStream;
    let shown = path.display().to_string();
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    // Talk only to a socket this user made: a token sent to anyone else's would be theirs.
    if meta.uid() != rustix::process::getuid().as_raw() {
        return Err(AskError::NotOurs { path: shown });
    }
    let Ok(stream) = UnixStream::connect(path) else {
        // A socket file left by a process that died.
        return Ok(None);
    };
    stream
        .set_read_timeout(Some(WAIT))
        .map_err(|source| AskError::Io {
            path: shown.clone(),
            source,
        })?;
    round_trip(&stream, &shown, ask).map(Some)
}

/// Asks the agent on the named pipe `path`; `Ok(None)` when none listens there.
#[cfg(windows)]
fn ask_for(path: &Path, ask: &Ask) -> Result<Option<Answer>, AskError> {
    use interprocess::local_socket::traits::{Stream as _, StreamCommon as _};
    use interprocess::local_socket::{GenericFilePath, Stream, ToFsName};
    let shown = path.display().to_string();
    let io = |source| AskError::Io {
        path: shown.clone(),
        source,
    };
    let name = path
        .as_os_str()
        .to_fs_name::<GenericFilePath>()
        .map_err(io)?;
    let Ok(stream) = Stream::connect(name) else {
        return Ok(None);
    };
    // Pipe names are one namespace for every user: another user could have taken this one
    // first, and the token it handed back would be theirs. Only this user's process is asked.
    let server = stream.peer_creds().map_err(io)?.pid();
    if !server.is_some_and(super::windows::is_this_users_process) {
        return Err(AskError::NotOurs { path: shown });
    }
    round_trip(&stream, &shown, ask).map(Some)
}

/// One request line out and one answer line back.
fn round_trip<S>(stream: S, shown: &str, ask: &Ask) -> Result<Answer, AskError>
where
    S: Read + Write,
{
    let io = |source| AskError::Io {
        path: shown.to_owned(),
        source,
    };
    let mut line = serde_json::to_vec(ask).expect("a request serialises");
    line.push(b'\n');
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(&line).map_err(io)?;
    let mut answer = String::new();
    stream.read_line(&mut answer).map_err(io)?;
    serde_json::from_str(&answer).map_err(|e| AskError::Unreadable {
        path: shown.to_owned(),
        reason: e.to_string(),
    })
}
