//! The listener against real sockets on loopback, and its pure request judgement.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PORT: u16 = 53682;

fn head(lines: &str) -> Vec<u8> {
    format!("{lines}\r\n\r\n").into_bytes()
}

#[test]
fn request_heads_are_judged_strictly() {
    let ok = "Host: localhost:53682";
    let table: Vec<(Vec<u8>, HeadVerdict)> = vec![
        (
            head(&format!("GET /callback?code=a&state=b HTTP/1.1\r\n{ok}")),
            HeadVerdict::Callback("code=a&state=b".into()),
        ),
        (
            head("GET /callback HTTP/1.0\r\nhost: 127.0.0.1:53682"),
            HeadVerdict::Callback(String::new()),
        ),
        (
            head("GET /callback HTTP/1.1\r\nHOST:[::1]:53682"),
            HeadVerdict::Callback(String::new()),
        ),
        (
            head(&format!("POST /callback?code=a HTTP/1.1\r\n{ok}")),
            HeadVerdict::Reject(405, "Only GET is accepted here"),
        ),
        (
            head(&format!("HEAD /callback HTTP/1.1\r\n{ok}")),
            HeadVerdict::Reject(405, "Only GET is accepted here"),
        ),
        (
            head(&format!("GET /favicon.ico HTTP/1.1\r\n{ok}")),
            HeadVerdict::Reject(404, "Not found"),
        ),
        (
            head(&format!("GET /callbackX?code=a HTTP/1.1\r\n{ok}")),
            HeadVerdict::Reject(404, "Not found"),
        ),
        (
            head(&format!("GET  /callback HTTP/1.1\r\n{ok}")),
            HeadVerdict::Reject(400, "Bad request"),
        ),
        (
            head("GET /callback"),
            HeadVerdict::Reject(400, "Bad request"),
        ),
        (
            head(&format!("GET /callback SPDY/3\r\n{ok}")),
            HeadVerdict::Reject(400, "Bad request"),
        ),
        (
            b"\xff\xfe /callback HTTP/1.1\r\n\r\n".to_vec(),
            HeadVerdict::Reject(400, "Bad request"),
        ),
        (
            b"no line end".to_vec(),
            HeadVerdict::Reject(400, "Bad request"),
        ),
    ];
    for (head, want) in table {
        assert_eq!(
            judge_head(&head, PORT),
            want,
            "{:?}",
            String::from_utf8_lossy(&head)
        );
    }
}

#[test]
fn only_a_loopback_name_with_this_port_is_our_host() {
    let misdirected = HeadVerdict::Reject(421, "This is not the address Tenantry listens on");
    for host in [
        "",
        "Host: evil.example:53682",
        "Host: localhost",
        "Host: localhost:53683",
        "Host: localhost:536820",
        "Host: localhost.evil.example:53682",
        "Host: 127.0.0.1.nip.io:53682",
        "Host: 127.0.0.2:53682",
        "Host: localhost:53682\r\nHost: evil.example:53682",
    ] {
        let head = head(&format!("GET /callback?code=a&state=b HTTP/1.1\r\n{host}"));
        assert_eq!(
            judge_head(&head, PORT),
            misdirected,
            "`{host}`: a page that rebinds its own name to 127.0.0.1 must not be answered"
        );
    }
}

#[test]
fn a_callback_verdict_never_shows_its_query() {
    let shown = format!(
        "{:?}",
        HeadVerdict::Callback("code=SECRETCODE&state=s".into())
    );
    assert!(!shown.contains("SECRETCODE"), "Debug reaches logs: {shown}");
}

/// A port free on both loopback addresses right now.
fn free_port() -> u16 {
    loop {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

#[tokio::test]
async fn a_port_whose_ipv6_half_someone_else_holds_is_skipped() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED: this computer has no IPv6 loopback");
        return;
    }
    let (taken, next) = (free_port(), free_port());
    let _squatter = std::net::TcpListener::bind(("::1", taken)).unwrap();
    let listener = CallbackListener::bind(&[taken, next]).await.unwrap();
    assert_eq!(
        listener.port(),
        next,
        "a browser resolving localhost to ::1 would have reached the other program on {taken}"
    );
    assert_eq!(
        listener.local_addrs().len(),
        2,
        "the chosen port is ours on both loopback addresses"
    );
}

#[tokio::test]
async fn the_callback_gets_through_while_slow_clients_hold_every_slot() {
    let port = free_port();
    let listener = CallbackListener::bind(&[port]).await.unwrap();
    let waiting = tokio::spawn(listener.wait(
        "s7aTe",
        "https://identity.xero.com",
        Duration::from_secs(20),
        CancellationToken::new(),
    ));
    // Three times as many idle connections as slots, each sending half a request and stopping.
    let mut idle = Vec::new();
    for _ in 0..3 * MAX_CONNECTIONS {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(b"GET /callback?code=").await.unwrap();
        idle.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut browser = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    browser
        .write_all(
            format!(
                "GET /callback?code=the-code&state=s7aTe HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut page = String::new();
    browser.read_to_string(&mut page).await.unwrap();
    assert!(
        page.starts_with("HTTP/1.1 200"),
        "the browser's redirect is answered although every slot was held: {page}"
    );
    let code = waiting
        .await
        .unwrap()
        .expect("the sign-in receives its code");
    assert_eq!(code.expose(), "the-code");
    drop(idle);
}
