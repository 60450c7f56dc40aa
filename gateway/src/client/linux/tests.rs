//! The lookup's parsing and its memory of what it read, against processes a test sets.

use super::*;

#[test]
fn the_client_s_end_of_a_loopback_connection_is_read_from_the_kernel_s_table() {
    let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:D1EE 0100007F:DFDF 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1\n   1: 0100007F:DFDF 0100007F:D1EE 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1\n";
    let client: SocketAddr = "127.0.0.1:53742".parse().unwrap();
    let gateway: SocketAddr = "127.0.0.1:57311".parse().unwrap();
    let inodes = socket_inodes(table);
    assert_eq!(
        inodes.get(&(hex_addr(client), hex_addr(gateway))),
        Some(&4242),
        "the client's end"
    );
    assert_eq!(
        inodes.get(&(hex_addr(gateway), hex_addr(client))),
        Some(&777),
        "not the gateway's own end"
    );
}

#[test]
fn a_closed_connection_listed_beside_a_new_one_between_the_same_ports_is_passed_over() {
    let head = "  sl  local_address rem_address st tx rx tr retr uid timeout inode\n";
    let closed = "0: 0100007F:D1EE 0100007F:DFDF 06 0:0 0:0 0 0 0 0 1\n";
    let open = "1: 0100007F:D1EE 0100007F:DFDF 01 0:0 0:0 0 0 0 4242 1\n";
    let key = ("0100007F:D1EE".to_owned(), "0100007F:DFDF".to_owned());
    for table in [
        format!("{head}{closed}{open}"),
        format!("{head}{open}{closed}"),
    ] {
        assert_eq!(socket_inodes(&table).get(&key), Some(&4242), "{table}");
    }
}

#[test]
fn a_descriptor_names_a_socket_only_in_the_kernel_s_form() {
    assert_eq!(socket_of(b"socket:[4242]"), Some(4242));
    assert_eq!(socket_of(b"pipe:[4242]"), None);
    assert_eq!(socket_of(b"/tmp/socket:[4242]"), None);
    assert_eq!(socket_of(b"socket:[]"), None);
}

/// Processes as a test sets them, counting every read.
#[derive(Default)]
struct Fake {
    sockets: std::cell::RefCell<HashMap<u32, HashSet<u64>>>,
    reads: std::cell::Cell<usize>,
}

impl Fake {
    fn holds(&self, pid: u32, inodes: &[u64]) {
        self.sockets
            .borrow_mut()
            .entry(pid)
            .or_default()
            .extend(inodes);
    }
}

impl Processes for Fake {
    fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self.sockets.borrow().keys().copied().collect();
        pids.sort();
        pids
    }
    fn read(&self, pid: u32) -> Option<(HashSet<u64>, Option<String>)> {
        self.reads.set(self.reads.get() + 1);
        let sockets = self.sockets.borrow().get(&pid)?.clone();
        Some((sockets, Some(format!("p{pid}"))))
    }
}

#[test]
fn a_burst_of_one_program_s_connections_reads_its_process_once() {
    let os = Fake::default();
    for pid in 1..=50 {
        os.holds(pid, &[u64::from(pid) * 1000]);
    }
    os.holds(42, &(1..=200).collect::<Vec<_>>());
    let (mut seen, now) = (Seen::default(), Instant::now());
    for inode in 1..=200 {
        let found = seen.holder(inode, now, &os).expect("found");
        assert_eq!((found.pid, found.name.as_deref()), (42, Some("p42")));
    }
    assert_eq!(os.reads.get(), 42, "every process up to 42 once, then none");
}

#[test]
fn a_socket_newer_than_what_was_read_sends_the_lookup_back_to_proc() {
    let os = Fake::default();
    os.holds(7, &[1]);
    os.holds(8, &[2]);
    let (mut seen, now) = (Seen::default(), Instant::now());
    assert_eq!(seen.holder(1, now, &os).map(|p| p.pid), Some(7));
    let before = os.reads.get();
    os.holds(8, &[3]); // opened since
    assert_eq!(seen.holder(3, now, &os).map(|p| p.pid), Some(8));
    assert!(
        os.reads.get() > before,
        "read again, not answered from memory"
    );
    assert_eq!(seen.holder(99, now, &os).map(|p| p.pid), None, "no one's");
}

#[test]
fn what_was_read_is_trusted_only_while_fresh() {
    let os = Fake::default();
    os.holds(7, &[1]);
    let (mut seen, now) = (Seen::default(), Instant::now());
    seen.holder(1, now, &os);
    let once = os.reads.get();
    seen.holder(1, now + FRESH / 2, &os);
    assert_eq!(os.reads.get(), once, "fresh: from memory");
    // The socket moved to another process (passed, or the first ended and its number
    // was given again): a stale read must not name the first.
    os.sockets.borrow_mut().clear();
    os.holds(9, &[1]);
    assert_eq!(seen.holder(1, now + FRESH * 2, &os).map(|p| p.pid), Some(9));
}

#[test]
fn the_kernel_s_table_is_read_again_when_stale_or_missing_the_socket() {
    let key = |port: u16| (format!("0100007F:{port:04X}"), "0100007F:DFDF".to_owned());
    let table = |ports: &[u16]| {
        let mut t = String::from("  sl  local_address rem_address st\n");
        for (n, port) in ports.iter().enumerate() {
            let (from, to) = key(*port);
            t += &format!("{n}: {from} {to} 01 0:0 0:0 0 0 0 {port} 1\n");
        }
        t
    };
    let reads = std::cell::Cell::new(0);
    let (mut seen, now) = (Seen::default(), Instant::now());
    let mut ask = |port: u16, at: Instant, ports: &[u16]| {
        seen.inode("/proc/net/tcp", &key(port), at, |_| {
            reads.set(reads.get() + 1);
            Some(table(ports))
        })
    };
    assert_eq!(ask(1, now, &[1, 2]), Some((1, false)));
    assert_eq!(ask(2, now, &[1, 2]), Some((2, true)));
    assert_eq!(reads.get(), 1, "the second from the first read");
    assert_eq!(
        ask(3, now, &[1, 2, 3]),
        Some((3, false)),
        "a newer socket: read again"
    );
    assert_eq!(reads.get(), 2);
    assert_eq!(
        ask(1, now + FRESH, &[2, 3]),
        None,
        "stale: read again; gone"
    );
    assert_eq!(reads.get(), 3);
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
