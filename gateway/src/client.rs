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

/// Finds connections' processes, remembering the last few it found: a program that opens one
/// connection usually opens more, and its process is then checked first.
#[derive(Clone, Default)]
pub struct Finder {
    #[cfg(target_os = "linux")]
    recent: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u32>>>,
}

impl Finder {
    /// The client behind the connection from `peer` to `local` (the gateway's own address).
    /// Blocking: it reads `/proc`.
    pub fn find(&self, peer: SocketAddr, local: SocketAddr) -> Client {
        #[cfg(target_os = "linux")]
        if let Some(client) = linux::find(self, peer, local) {
            return client;
        }
        let _ = (peer, local);
        Client::unattributed()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{Client, ClientKey, Finder};
    use std::net::{IpAddr, SocketAddr};

    /// How many processes [`Finder`] remembers.
    const RECENT: usize = 16;

    pub(super) fn find(finder: &Finder, peer: SocketAddr, local: SocketAddr) -> Option<Client> {
        let table = match peer.ip() {
            IpAddr::V4(_) => "/proc/net/tcp",
            IpAddr::V6(_) => "/proc/net/tcp6",
        };
        let text = std::fs::read_to_string(table).ok()?;
        // The client's end of the connection: its local address is the peer's, its remote ours.
        let inode = socket_inode(&text, peer, local)?;
        let wanted = format!("socket:[{inode}]");
        let recent: Vec<u32> = finder
            .recent
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        let found = recent
            .iter()
            .copied()
            .find(|pid| holds(*pid, &wanted))
            .or_else(|| all_pids().find(|pid| !recent.contains(pid) && holds(*pid, &wanted)))?;
        if let Ok(mut r) = finder.recent.lock() {
            r.retain(|p| *p != found);
            r.push_front(found);
            r.truncate(RECENT);
        }
        let name = std::fs::read_to_string(format!("/proc/{found}/comm"))
            .ok()
            .map(|n| n.trim_end().to_owned());
        Some(Client {
            key: ClientKey::Process(found),
            name,
        })
    }

    fn all_pids() -> impl Iterator<Item = u32> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
    }

    /// Whether process `pid` has the socket `wanted` (`socket:[INODE]`) open. A process this
    /// user may not read is passed over.
    fn holds(pid: u32, wanted: &str) -> bool {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            return false;
        };
        fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| target.as_os_str().as_encoded_bytes() == wanted.as_bytes())
        })
    }

    /// The inode of the socket whose local address is `from` and remote address `to`, in the
    /// text of `/proc/net/tcp` (or `tcp6`).
    pub(super) fn socket_inode(table: &str, from: SocketAddr, to: SocketAddr) -> Option<u64> {
        let (from, to) = (hex_addr(from), hex_addr(to));
        table.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.len() > 9
                && fields[1].eq_ignore_ascii_case(&from)
                && fields[2].eq_ignore_ascii_case(&to))
            .then(|| fields[9].parse().ok())
            .flatten()
        })
    }

    /// An address as the kernel writes it there: the IP's 32-bit words in host order (little
    /// endian on every Linux Tenantry builds for), then the port in hex.
    fn hex_addr(addr: SocketAddr) -> String {
        let ip = match addr.ip() {
            IpAddr::V4(v4) => format!("{:08X}", u32::from_le_bytes(v4.octets())),
            IpAddr::V6(v6) => v6
                .octets()
                .chunks(4)
                .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
                .collect(),
        };
        format!("{ip}:{:04X}", addr.port())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_client_s_end_of_a_loopback_connection_is_read_from_the_kernel_s_table() {
            let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:D1EE 0100007F:DFDF 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1\n   1: 0100007F:DFDF 0100007F:D1EE 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1\n";
            let client: SocketAddr = "127.0.0.1:53742".parse().unwrap();
            let gateway: SocketAddr = "127.0.0.1:57311".parse().unwrap();
            assert_eq!(
                socket_inode(table, client, gateway),
                Some(4242),
                "the client's end"
            );
            assert_eq!(
                socket_inode(table, gateway, client),
                Some(777),
                "not the gateway's own end"
            );
        }

        #[test]
        fn this_process_is_found_behind_its_own_connection() {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let local = listener.local_addr().unwrap();
            let stream = std::net::TcpStream::connect(local).unwrap();
            let peer = stream.local_addr().unwrap();
            let found = Finder::default().find(peer, local);
            assert_eq!(
                found.key,
                ClientKey::Process(std::process::id()),
                "the process holding the client's end: {found:?}"
            );
            assert!(found.name.is_some(), "with its name");
        }
    }
}
