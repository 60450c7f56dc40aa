//! The CLI's side of the agent: one blocking round trip on the socket, with no runtime, store or
//! keychain opened, so a `tenantry token` answered by the agent costs a process start and a
//! socket round trip. `None` when no agent answers there, so the caller reads the keychain.

use super::wire::{Answer, Ask, VERSION};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Longer than a refresh the agent may have to make first (the engine's timeout is 30 s).
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

/// Asks the agent at `path`; `Ok(None)` when none listens there.
pub fn ask(
    path: &Path,
    org: &str,
    login: Option<&str>,
    email: bool,
) -> Result<Option<Answer>, AskError> {
    let shown = path.display().to_string();
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    // Talk only to a socket this user made: a token sent to anyone else's would be theirs.
    if meta.uid() != own_uid() {
        return Err(AskError::NotOurs { path: shown });
    }
    let Ok(mut stream) = UnixStream::connect(path) else {
        // A socket file left by a process that died.
        return Ok(None);
    };
    let io = |source| AskError::Io {
        path: shown.clone(),
        source,
    };
    stream.set_read_timeout(Some(WAIT)).map_err(io)?;
    let mut line = serde_json::to_vec(&Ask {
        v: VERSION,
        org: org.to_owned(),
        login: login.map(str::to_owned),
        email,
    })
    .expect("a request serialises");
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).map_err(io)?;
    serde_json::from_str(&answer)
        .map(Some)
        .map_err(|e| AskError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })
}

fn own_uid() -> u32 {
    rustix::process::getuid().as_raw()
}
