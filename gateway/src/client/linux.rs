//! Linux: a connection's process from `/proc` (the socket's inode in the kernel's connection
//! table, then the process holding it), what was read kept fresh for a burst of connections.

use super::{Client, ClientKey, Finder};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How many processes [`Finder`] remembers.
const RECENT: usize = 16;

/// How long what was read from `/proc` is reused. Long enough for a burst of connections to
/// share one read, short enough that a process's name or the table cannot drift far.
const FRESH: Duration = Duration::from_millis(250);

/// What was last read from `/proc`.
#[derive(Default)]
pub(super) struct Seen {
    /// Each connection table (`tcp`, `tcp6`) when read: socket inode by (local, remote).
    tables: HashMap<&'static str, (Instant, Inodes)>,
    /// Processes found lately, the latest first.
    recent: VecDeque<Process>,
}

/// Socket inodes by (local, remote) address, as the kernel writes them.
pub(super) type Inodes = HashMap<(String, String), u64>;

/// A process found behind a connection, and the sockets it held when last read.
pub(super) struct Process {
    pid: u32,
    name: Option<String>,
    read: Instant,
    sockets: HashSet<u64>,
}

pub(super) fn find(
    finder: &Finder,
    peer: SocketAddr,
    local: SocketAddr,
    now: Instant,
) -> Option<Client> {
    let table = match peer.ip() {
        IpAddr::V4(_) => "/proc/net/tcp",
        IpAddr::V6(_) => "/proc/net/tcp6",
    };
    // One lookup at a time: the next in a burst finds what this one read.
    let mut seen = finder.seen.lock().unwrap_or_else(|e| e.into_inner());
    // The client's end of the connection: its local address is the peer's, its remote ours.
    let key = (hex_addr(peer), hex_addr(local));
    let read = |t: &str| std::fs::read_to_string(t).ok();
    let (inode, remembered) = seen.inode(table, &key, now, read)?;
    let client = |p: &Process| Client {
        key: ClientKey::Process(p.pid),
        name: p.name.clone(),
    };
    match seen.holder(inode, now, &Proc).map(client) {
        Some(found) => Some(found),
        // What was kept named an earlier connection between the same ports (loopback gives a
        // port again at once): ask the kernel.
        None if remembered => {
            seen.tables.remove(table);
            let (inode, _) = seen.inode(table, &key, now, read)?;
            seen.holder(inode, now, &Proc).map(client)
        }
        None => None,
    }
}

/// Where processes and their sockets are read: `/proc`, or a test's own.
pub(super) trait Processes {
    fn pids(&self) -> Vec<u32>;
    /// The inodes of the sockets `pid` holds, with its name; `None` for a process this user
    /// may not read or that has gone.
    fn read(&self, pid: u32) -> Option<(HashSet<u64>, Option<String>)>;
}

struct Proc;

impl Processes for Proc {
    fn pids(&self) -> Vec<u32> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect()
    }

    fn read(&self, pid: u32) -> Option<(HashSet<u64>, Option<String>)> {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
        let sockets = fds
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter_map(|target| socket_of(target.as_os_str().as_encoded_bytes()))
            .collect();
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()
            .map(|n| n.trim_end().to_owned());
        Some((sockets, name))
    }
}

/// The inode in a descriptor's link target `socket:[INODE]`.
fn socket_of(target: &[u8]) -> Option<u64> {
    let inode = target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(inode).ok()?.parse().ok()
}

impl Seen {
    /// The inode of the socket `key` names in `table`, read again unless a fresh read has it;
    /// and whether it came from that earlier read.
    pub(super) fn inode(
        &mut self,
        table: &'static str,
        key: &(String, String),
        now: Instant,
        read: impl FnOnce(&str) -> Option<String>,
    ) -> Option<(u64, bool)> {
        if let Some((at, inodes)) = self.tables.get(table)
            && now.saturating_duration_since(*at) < FRESH
            && let Some(inode) = inodes.get(key)
        {
            return Some((*inode, true));
        }
        let inodes = socket_inodes(&read(table)?);
        let found = inodes.get(key).copied();
        self.tables.insert(table, (now, inodes));
        found.map(|inode| (inode, false))
    }

    /// The process holding socket `inode`: a recent one whose fresh read holds it, else each
    /// recent one read again, else every other process. The one found goes first next time.
    pub(super) fn holder(
        &mut self,
        inode: u64,
        now: Instant,
        os: &impl Processes,
    ) -> Option<&Process> {
        let fresh = |p: &Process| now.saturating_duration_since(p.read) < FRESH;
        let at = match self
            .recent
            .iter()
            .position(|p| fresh(p) && p.sockets.contains(&inode))
        {
            Some(at) => at,
            None => self.read_again(inode, now, os)?,
        };
        let found = self.recent.remove(at)?;
        self.recent.push_front(found);
        self.recent.truncate(RECENT);
        self.recent.front()
    }

    /// Reads the recent processes again, then the rest, until one holds `inode`; its place
    /// in `recent`.
    fn read_again(&mut self, inode: u64, now: Instant, os: &impl Processes) -> Option<usize> {
        for (at, p) in self.recent.iter_mut().enumerate() {
            if let Some((sockets, name)) = os.read(p.pid) {
                (p.sockets, p.name, p.read) = (sockets, name, now);
                if p.sockets.contains(&inode) {
                    return Some(at);
                }
            }
        }
        let known: HashSet<u32> = self.recent.iter().map(|p| p.pid).collect();
        let (pid, (sockets, name)) = os
            .pids()
            .into_iter()
            .filter(|pid| !known.contains(pid))
            .find_map(|pid| Some((pid, os.read(pid)?)).filter(|(_, (s, _))| s.contains(&inode)))?;
        self.recent.push_back(Process {
            pid,
            name,
            read: now,
            sockets,
        });
        Some(self.recent.len() - 1)
    }
}

/// The sockets in the text of `/proc/net/tcp` (or `tcp6`): inode by (local, remote) address,
/// as the kernel writes them.
pub(super) fn socket_inodes(table: &str) -> Inodes {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() <= 9 {
                return None;
            }
            // 0: a connection no process holds any more (closing, or in TIME_WAIT), which
            // loopback may list beside a new one between the same ports.
            let inode = fields[9].parse().ok().filter(|i: &u64| *i != 0)?;
            Some((
                (
                    fields[1].to_ascii_uppercase(),
                    fields[2].to_ascii_uppercase(),
                ),
                inode,
            ))
        })
        .collect()
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
mod tests;
