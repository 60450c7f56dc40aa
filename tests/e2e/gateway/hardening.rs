//! What whoever can reach the gateway's port, or holds its key, must not be able to do. Each
//! test here failed on the gateway before it was hardened (docs/SECURITY.md, "The gateway").

use super::mcp::{sdk_python, session_logged};
use super::*;
use std::io::{Read, Write};
use tenantry_fake_xero::{ApiFault, Options};

/// `python3 -c PROGRAM` to run as `user` (the suite runs as root): the child is Python itself,
/// so killing it ends the program.
fn python_as(user: &str, program: &str) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let id = |flag: &str| -> u32 {
        let out = std::process::Command::new("id")
            .args([flag, user])
            .output()
            .expect("id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a numeric id")
    };
    let mut cmd = std::process::Command::new("python3");
    cmd.args(["-c", program]).uid(id("-u")).gid(id("-g"));
    cmd
}

/// Starts, as `user`, a Python program that listens on 127.0.0.1:`port`, writes every byte it
/// receives to `record`, and answers each request `200 []` as a gateway's `/connections` would.
fn squat(user: &str, port: u16, record: &std::path::Path) -> std::process::Child {
    let program = r#"
import socket, sys, threading
port, record = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
print("listening", flush=True)
lock = threading.Lock()
def serve(c):
    c.settimeout(5)
    try:
        while True:
            data = c.recv(65536)
            if not data:
                return
            with lock, open(record, "ab") as f:
                f.write(data)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
    except Exception:
        return
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;
    let mut child = python_as(user, program)
        .arg(port.to_string())
        .arg(record)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 as the unprivileged user");
    let mut line = [0u8; 10];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut line)
        .expect("the squatter listens");
    child
}

#[tokio::test]
async fn mcp_never_presents_the_key_to_whoever_holds_the_gateway_s_port() {
    let test = "mcp_never_presents_the_key_to_whoever_holds_the_gateway_s_port";
    let (Some(user), Some(python)) = (probe_user(test), sdk_python(test)) else {
        return;
    };
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let key = cli.run(&["gateway", "--print-key"]).await.stdout;
    let key = key.trim();
    // Another local user holds the profile's gateway port before any gateway runs.
    let port = free_ports()[0];
    let dir = tempfile::Builder::new()
        .prefix("tenantry-squat.")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let record = dir.path().join("heard");
    let mut squatter = squat(&user, port, &record);
    let set = cli
        .run(&["config", "set", "gateway_port", &port.to_string()])
        .await;
    assert_eq!(set.status, 0, "{set:?}");

    let (seen, log) = session_logged(
        &cli,
        &python,
        ("1", "0"),
        &[],
        &[("TENANTRY_LOG", "tenantry_gateway=info")],
    )
    .await;
    let _ = squatter.kill();
    let _ = squatter.wait();
    let heard = std::fs::read(&record).unwrap_or_default();
    let heard = String::from_utf8_lossy(&heard);
    assert!(
        !heard.contains(key) && !heard.contains("tgw_"),
        "no gateway key reached the program holding the port: it heard {heard:?}"
    );
    assert!(heard.is_empty(), "nothing at all was sent to it: {heard:?}");
    let seen = seen.unwrap_or_else(|| panic!("the MCP session ran: {log}"));
    assert_eq!(
        seen["reads"],
        serde_json::json!(["Harbour Cafe Ltd", "Southern Farms"]),
        "the assistant was served real data, through a gateway of tenantry mcp's own: {seen}"
    );
    assert!(
        log.contains("a gateway of this process's own"),
        "and says so in its log: {log}"
    );

    // With the profile's gateway running (on a port of its own), MCP finds it through its
    // token agent and calls through it.
    let gw = Gateway::start(&cli, &[]).await;
    let (seen, log) = session_logged(
        &cli,
        &python,
        ("1", "0"),
        &[],
        &[("TENANTRY_LOG", "tenantry_gateway=info")],
    )
    .await;
    let seen = seen.unwrap_or_else(|| panic!("the MCP session ran: {log}"));
    assert_eq!(
        seen["reads"],
        serde_json::json!(["Harbour Cafe Ltd", "Southern Farms"]),
        "{seen}"
    );
    assert!(
        log.contains(&format!("the running gateway at {}", gw.url)),
        "through the running gateway, named by its agent: {log}"
    );
    drop(it);
}

/// Sends `request` (a whole HTTP/1.1 request) over a fresh TCP connection, as no client library
/// would (they resolve dot segments first), and returns the answer's status and body.
fn raw(port: u16, request: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

#[tokio::test]
async fn dot_segments_and_encoded_separators_never_reach_another_path() {
    let test = "dot_segments_and_encoded_separators_never_reach_another_path";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let kiwi = it.tenant("Kiwi Plumbing");
    let ann = it.fake.with(|w| w.user(ANN).unwrap().id.clone());
    let connection = it.fake.with(|w| {
        w.connections_of(&ann)
            .iter()
            .find(|c| c.tenant_id == kiwi)
            .map(|c| c.id.clone())
            .expect("Ann's connection to Kiwi Plumbing")
    });
    let port = gw.port;
    for path in [
        format!("/api.xro/../connections/{connection}"),
        format!("/api.xro/%2e%2e/connections/{connection}"),
        format!("/api.xro/.%2E/connections/{connection}"),
        format!("/api.xro/..%2fconnections/{connection}"),
        format!("/api.xro\\..\\connections\\{connection}"),
        format!("/api.xro/2.0/./../../connections/{connection}"),
    ] {
        let key = gw.key.clone();
        let request = format!(
            "DELETE {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\nxero-tenant-id: {kiwi}\r\nConnection: close\r\n\r\n"
        );
        let (status, answer) = tokio::task::spawn_blocking(move || raw(port, &request))
            .await
            .unwrap();
        assert_eq!(status, 400, "{path}: refused as a bad request: {answer}");
        assert!(
            answer.contains("bad_path") && answer.contains("segment")
                || answer.contains("encoded")
                || answer.contains('\\'),
            "{path}: the answer names the reason: {answer}"
        );
    }
    assert!(
        it.fake
            .recorded(&format!("/connections/{connection}"))
            .is_empty(),
        "no DELETE reached Xero's /connections"
    );
    assert!(
        it.fake
            .with(|w| w.connections_of(&ann).iter().any(|c| c.id == connection)),
        "and the connection is still there"
    );
}

/// CPU seconds process `pid` has used, from `/proc/PID/stat` (utime + stime, in clock ticks of
/// 1/100 s, as Linux reports them to every process).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_thousand_idle_sockets_neither_lock_out_a_keyed_program_nor_spin_the_gateway() {
    let test = "a_thousand_idle_sockets_neither_lock_out_a_keyed_program_nor_spin_the_gateway";
    let Some(user) = probe_user(test) else {
        return;
    };
    let Some((_it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    // Another local user, without the key, opens 1,100 sockets and sends nothing.
    let program = r#"
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
held = []
for _ in range(1100):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
    except OSError as e:
        print("refused", e, file=sys.stderr)
print(len(held), flush=True)
time.sleep(60)
"#;
    let mut holder = python_as(&user, program)
        .arg(gw.port.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 as the unprivileged user");
    let mut opened = String::new();
    {
        let mut out = std::io::BufReader::new(holder.stdout.as_mut().unwrap());
        std::io::BufRead::read_line(&mut out, &mut opened).unwrap();
    }
    assert_eq!(opened.trim(), "1100", "the sockets were opened");
    let cpu_before = cpu_seconds(gw.pid);
    let quiet = Duration::from_secs(3);
    tokio::time::sleep(quiet).await;
    let used = cpu_seconds(gw.pid) - cpu_before;
    let descriptors = open_descriptors(gw.pid);

    let http = reqwest::Client::new();
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(2),
        gw.get(&http, "/api.xro/2.0/Organisation", "Harbour Cafe Ltd")
            .send(),
    )
    .await;
    let _ = holder.kill();
    let _ = holder.wait();
    let answer = answer
        .expect("a program with the key is answered within 2 s")
        .unwrap();
    assert_eq!(answer.status(), 200, "and served: {answer:?}");
    eprintln!(
        "keyed call answered in {:?}; the gateway used {used:.2} s of CPU in {quiet:?} beside 1,100 idle sockets, holding {descriptors} descriptors",
        started.elapsed()
    );
    assert!(
        used < 0.3,
        "the gateway stays near idle ({used:.2} s of CPU in {quiet:?})"
    );
    assert!(
        descriptors < 400,
        "it holds at most its cap of connections, not one descriptor per socket: {descriptors}"
    );
}

#[tokio::test]
async fn a_name_that_matches_no_organisation_never_routes_by_a_short_id_prefix() {
    let test = "a_name_that_matches_no_organisation_never_routes_by_a_short_id_prefix";
    // Ann also reaches an organisation whose tenant id starts with a word: "cafe".
    const ROASTERY: &str = "cafe1234-0000-4c5d-9e0f-aa0000000099";
    let mut seed = tenantry_fake_xero::Seed::standard();
    seed.tenants.push(tenantry_fake_xero::Tenant {
        id: ROASTERY.into(),
        name: "Beans Roastery".into(),
        tenant_type: "ORGANISATION".into(),
    });
    let ann = seed.users.iter_mut().find(|u| u.email == ANN).unwrap();
    ann.tenants.push(ROASTERY.into());
    let options = Options {
        seed,
        ..Options::default()
    };
    let Some((it, cli)) = connected(test, options).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    // "Cafe", the name of an organisation since removed: it names no organisation now, though a
    // tenant id starts with it.
    let answer = gw
        .get(&http, "/api.xro/2.0/Organisation", "Cafe")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        404,
        "`Cafe` names no organisation: {:?}",
        answer.text().await
    );
    let write = http
        .put(format!("{}/api.xro/2.0/Contacts", gw.url))
        .bearer_auth(&gw.key)
        .header("xero-tenant-id", "cafe1234")
        .json(&serde_json::json!({"Contacts": [{"Name": "Guessed Ltd"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status(),
        404,
        "a write is never routed by an id prefix, however long"
    );
    assert!(
        it.fake.with(|w| w.contacts.is_empty()),
        "and nothing was written"
    );
    let read = gw
        .get(&http, "/api.xro/2.0/Organisation", "cafe1234")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        200,
        "a read may name it by a prefix of 8 characters or more"
    );
}

#[tokio::test]
async fn a_retry_after_too_large_for_the_clock_is_answered_and_the_gateway_lives() {
    let test = "a_retry_after_too_large_for_the_clock_is_answered_and_the_gateway_lives";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    it.fake.inject_api(ApiFault::RateLimited(u64::MAX), 1);
    let answer = gw
        .get(&http, "/api.xro/2.0/Organisation", "Harbour Cafe Ltd")
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(answer.status(), 429, "{answer:?}");
    let retry_after: u64 = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After a client can use");
    assert!(
        retry_after <= 24 * 3600,
        "at most a day, the longest Xero asks for: {retry_after}"
    );
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["Tenantry"]["code"], "rate_limited", "{body}");
    let other = gw
        .get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
        .send()
        .await
        .expect("the gateway lives");
    assert_eq!(other.status(), 200, "and serves other organisations");
}

/// The gateway's resident memory, from `/proc/PID/status`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_program_gets_one_turn_however_many_sockets_and_waiting_calls_hold_no_body() {
    let test = "one_program_gets_one_turn_however_many_sockets_and_waiting_calls_hold_no_body";
    let options = Options {
        // Coarse rounds: 5 calls in progress, each two seconds at Xero, so that the other
        // program (a curl started, its process looked up) is in line well before the second
        // round even on a busy machine.
        api_latency: Duration::from_millis(2000),
        ..Options::default()
    };
    let Some((it, cli)) = connected(test, options).await else {
        return;
    };
    let gw = std::sync::Arc::new(Gateway::start(&cli, &[]).await);
    let harbour = it.tenant("Harbour Cafe Ltd");

    // This test process: 30 calls on 10 connections of its own (each its own client).
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut mine = Vec::new();
    for connection in 0..10 {
        let (gw, order) = (gw.clone(), order.clone());
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        for _ in 0..3 {
            let (gw, order, http) = (gw.clone(), order.clone(), http.clone());
            mine.push(tokio::spawn(async move {
                let answer = gw
                    .get(&http, "/api.xro/2.0/Organisation", "Harbour Cafe Ltd")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), 200);
                order.lock().unwrap().push(format!("mine-{connection}"));
            }));
        }
    }
    // Half a round in: 5 of this program's calls are at Xero, 25 wait.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Another program: one call, from curl.
    let (key, url) = (gw.key.clone(), gw.url.clone());
    let theirs = tokio::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg("-H")
        .arg(format!("Authorization: Bearer {key}"))
        .arg("-H")
        .arg(format!("xero-tenant-id: {harbour}"))
        .arg(format!("{url}/api.xro/2.0/Organisation"))
        .output()
        .await
        .unwrap();
    order.lock().unwrap().push("theirs".into());
    assert_eq!(String::from_utf8_lossy(&theirs.stdout), "200");
    for call in mine {
        call.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    let before = order.iter().position(|o| o == "theirs").unwrap();
    // Taking turns by program, curl's call goes in the second round (after 5 of this
    // program's), and at most that round's other 4 answers land before it: 9. By socket, it
    // would wait behind all 25 waiting calls' sockets.
    assert!(
        before <= 9,
        "the other program waited for one round of Xero's 5 calls in progress, not one turn \
         per socket of this one: {before} of this program's calls went first: {order:?}"
    );

    // Calls waiting their turn hold no body: 30 writes of 4 MiB each wait while Xero has
    // asked for a pause, and the gateway's memory grows by far less than their 120 MiB.
    it.fake.inject_api(ApiFault::RateLimited(4), 1);
    let blocked = gw
        .get(
            &reqwest::Client::new(),
            "/api.xro/2.0/Organisation",
            "Kiwi Plumbing",
        )
        .send();
    // The GET is answered 429, then waits the 4 s out and goes again.
    let blocked = tokio::spawn(blocked);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_mib(gw.pid);
    let big = vec![b' '; 4 * 1024 * 1024];
    let mut writes = Vec::new();
    for _ in 0..30 {
        let (gw, big) = (gw.clone(), big.clone());
        writes.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{}/api.xro/2.0/Contacts", gw.url))
                .bearer_auth(&gw.key)
                .header("xero-tenant-id", "Kiwi Plumbing")
                .header("content-type", "application/json")
                .body(big)
                .send()
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = rss_mib(gw.pid);
    for w in writes {
        let _ = w.await;
    }
    let _ = blocked.await;
    eprintln!(
        "gateway RSS {before:.1} MiB before, {waiting:.1} MiB with 30 writes of 4 MiB waiting"
    );
    assert!(
        waiting - before < 40.0,
        "waiting calls' bodies stay in their clients' sockets: {before:.1} → {waiting:.1} MiB"
    );
}
