//! `agent-floor SOCKET ORG`: the least a fresh process can do to get a token from the token
//! agent (connect, one request line, one answer line), the floor `tenantry token` is measured
//! against in the agent benchmark. Exit 1 if the answer is not a token. Unix only: the benchmark
//! runs on Linux (on Windows the agent is a named pipe, which this does not speak).

#[cfg(unix)]
use std::io::{BufRead, BufReader, Write};

#[cfg(not(unix))]
fn main() {
    eprintln!("agent-floor speaks the agent's Unix socket only");
    std::process::exit(2);
}

#[cfg(unix)]
fn main() {
    let mut args = std::env::args().skip(1);
    let (socket, org) = (args.next().expect("SOCKET"), args.next().expect("ORG"));
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    let ask = serde_json::json!({"v": 1, "org": org, "login": null});
    stream
        .write_all(format!("{ask}\n").as_bytes())
        .expect("send");
    let mut answer = String::new();
    BufReader::new(&stream)
        .read_line(&mut answer)
        .expect("answer");
    if !answer.starts_with("{\"token\"") {
        std::process::exit(1);
    }
}
