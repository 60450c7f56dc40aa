//! Who is on the other end of a gateway connection. The limiter gives turns and counts waiting
//! calls per client, and a client is a program, not a socket: a script that opens ten
//! connections must not get ten turns to another program's one. The peer's port names only a
//! socket, so the connection's process is looked up where the OS tells it (Linux: the socket's
//! inode in `/proc/net/tcp`, then the process holding it, among the processes this user may
//! read); elsewhere, or when the process is another user's, every such connection is one
//! client: the key holder.

use std::net::SocketAddr;

/// What the limiter keys turns and counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A local process, by its id.
    Process(u32),
    /// A connection whose process the OS did not tell: all of them together are one client.
    Unattributed,
}

/// A connection's client, found once when the connection is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub key: ClientKey,
    /// The program's name (`comm` on Linux), for logs and reports.
    pub name: Option<String>,
}

impl Client {
    pub fn unattributed() -> Self {
        Self {
            key: ClientKey::Unattributed,
            name: None,
        }
    }
}

/// A connection's client, looked up when the connection's first call with the key asks (a
/// socket that never presents the key costs no lookup), then kept for the connection's life.
#[derive(Clone)]
pub struct Lazy {
    found: std::sync::Arc<tokio::sync::OnceCell<Client>>,
    finder: Finder,
    peer: SocketAddr,
    local: Option<SocketAddr>,
}

impl Lazy {
    pub fn new(finder: Finder, peer: SocketAddr, local: Option<SocketAddr>) -> Self {
        Self {
            found: Default::default(),
            finder,
            peer,
            local,
        }
    }

    /// The client, found off the async workers the first time.
    pub async fn get(&self) -> Client {
        self.found
            .get_or_init(|| async {
                let Some(local) = self.local else {
                    return Client::unattributed();
                };
                let (finder, peer) = (self.finder.clone(), self.peer);
                tokio::task::spawn_blocking(move || finder.find(peer, local))
                    .await
                    .unwrap_or_else(|_| Client::unattributed())
            })
            .await
            .clone()
    }
}

/// Finds connections' processes. What it reads from `/proc` it keeps for a moment: a program
/// that opens one connection usually opens many at once (`tenantry each` opens 200), and reading
/// the kernel's connection table and a busy process's descriptors again for each of them cost
/// tens of thousands of reads a run. Only what was found is reused, and only while fresh: a
/// socket missing from what was kept sends the lookup back to `/proc`.
#[derive(Clone, Default)]
pub struct Finder {
    #[cfg(target_os = "linux")]
    seen: std::sync::Arc<std::sync::Mutex<linux::Seen>>,
}

impl Finder {
    /// The client behind the connection from `peer` to `local` (the gateway's own address).
    /// Blocking: it reads `/proc`.
    pub fn find(&self, peer: SocketAddr, local: SocketAddr) -> Client {
        #[cfg(target_os = "linux")]
        if let Some(client) = linux::find(self, peer, local, std::time::Instant::now()) {
            return client;
        }
        let _ = (peer, local);
        Client::unattributed()
    }
}

#[cfg(target_os = "linux")]
mod linux;
