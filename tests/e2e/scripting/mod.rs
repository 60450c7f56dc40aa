//! The CLI as scripts drive it, each part tested through the tool it serves: `formats` (every
//! `token --format` read back by sh, fish, jq and curl; `--login`, tenant-id prefixes, `exec`'s
//! environment and statuses), `help` (help text, aliases, colour, progress, the papercuts),
//! `config` (`config get|set|unset|keys`), `hooks` (`on_event`), `completion` (dynamic, through
//! fish and bash), `caps` (connection caps and scopes).

use crate::util::*;

// Each of these is read back by a Unix tool (sh, fish, bash, jq, curl, a Unix shell's hooks);
// on Windows only `config` runs, and tests/e2e/windows.rs reads the cmd forms back with cmd.exe.
#[cfg(unix)]
mod caps;
#[cfg(unix)]
mod completion;
mod config;
#[cfg(unix)]
mod custom;
#[cfg(unix)]
mod formats;
#[cfg(unix)]
mod help;
#[cfg(unix)]
mod hooks;

/// Runs `script` in `shell` with `input` as `$1` (sh) or `$argv[1]` (fish); its stdout.
#[cfg(unix)]
pub(super) async fn shell(shell: &str, script: &str, input: &str) -> String {
    // sh takes the word after the script as $0; fish's $argv starts with it.
    let zeroth = (shell == "sh").then_some(shell);
    let out = tokio::process::Command::new(shell)
        .args(["-c", script])
        .args(zeroth)
        .arg(input)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{shell} must be installed (scripts/setup.sh): {e}"));
    assert!(
        out.status.success(),
        "{shell} ran `{script}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(unix)]
pub(super) async fn jq(filter: &str, json: &str) -> String {
    let mut child = tokio::process::Command::new("jq")
        .args(["-r", filter])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("jq must be installed (scripts/setup.sh)");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(json.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "jq {filter} parses: {json}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The HTTP status the fake Xero's Organisation call answers `header` (an `Authorization: …`
/// line, as `token --format header` prints it) with, for `tenant`, sent by curl.
#[cfg(unix)]
pub(super) async fn organisation_status(it: &Instance, header: &str, tenant: &str) -> String {
    let api = it
        .config
        .xero
        .api_url
        .join("api.xro/2.0/Organisation")
        .unwrap();
    let curl = tokio::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", header])
        .args(["-H", &format!("xero-tenant-id: {tenant}"), api.as_str()])
        .output()
        .await
        .expect("curl (scripts/setup.sh installs it)");
    String::from_utf8_lossy(&curl.stdout).into_owned()
}
