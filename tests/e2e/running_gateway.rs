//! A running `tenantry gateway`, started as a user starts it, for the gateway's tests (Unix) and
//! the Windows ones (its token agent over a named pipe).

use crate::util::*;
use std::time::Duration;

/// A running `tenantry gateway` on a free port.
// The Windows tests read neither its process id nor its port.
#[cfg_attr(windows, allow(dead_code))]
pub struct Gateway {
    /// Killed when this is dropped (`kill_on_drop`), or by [`Gateway::stop`].
    child: tokio::process::Child,
    pub pid: u32,
    pub url: String,
    pub port: u16,
    pub key: String,
    log: tempfile::NamedTempFile,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let said = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        eprintln!("--- tenantry gateway's log\n{said}---");
    }
}

impl Gateway {
    /// Starts `tenantry gateway` for `cli`'s profile with `env` added.
    pub async fn start(cli: &Tenantry, env: &[(&str, &str)]) -> Self {
        let key = cli.run(&["gateway", "--print-key"]).await;
        assert_eq!(key.status, 0, "the key is made and printed: {key:?}");
        let mut cmd = cli.command(&["gateway", "--port", "0"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Its log goes to a file (a pipe nobody reads could fill and stall it), shown on drop.
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(log.reopen().unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("start tenantry gateway");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            child.stdout.take().unwrap(),
        ));
        let url = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the gateway starts within 30 s")
            .unwrap()
            .expect("the gateway prints its URL");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Self {
            pid: child.id().expect("the gateway runs"),
            child,
            url,
            port,
            key: key.stdout.trim().to_owned(),
            log,
        }
    }

    /// Stops it and waits until it has ended (so its socket or pipe is gone).
    pub async fn stop(mut self) {
        self.child.start_kill().unwrap();
        let _ = self.child.wait().await;
    }

    /// A GET of `path` for `org` with the key, as an SDK sends it.
    pub fn get(&self, http: &reqwest::Client, path: &str, org: &str) -> reqwest::RequestBuilder {
        http.get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .header("xero-tenant-id", org)
    }
}
