//! Where the window's memory goes: not a test, an instrument (`#[ignore]`, run by hand) for
//! docs/BENCHMARKS.md's "The window's memory". It opens the full-size window (50 logins, 1,000
//! organisations) and drives, one at a time, each thing that happens while it sits open, sampling
//! each process's memory (the app, WebKit's web and network processes) and the page's own counts
//! between rounds, so a growth can be put on one of them:
//! - `intl`: dates formatted with `toLocaleString` and options, as the views did (each call makes
//!   an ICU formatter), against `intl-cached`: one `Intl.DateTimeFormat` made once;
//! - `invoke`: the overview fetched over IPC and thrown away (what a change costs before any
//!   drawing);
//! - `draw`: the views drawn again from the overview already held (the tabs clicked in turn);
//! - `events`: change events with nothing changed (a refresh of a login that does not exist
//!   emits two), each making the window fetch and draw the same overview again;
//! - `refresh`: every login refreshed by another process, the window following on its own.
//!
//! `TENANTRY_MEMORY_ROUNDS` (default 10) rounds of each; the samples go to stderr as JSON lines.

use super::*;

/// Resident and private memory (KiB) of the app and each of its descendants, by program name.
fn memory(root: u32) -> Vec<(String, u64, u64)> {
    let read = |pid: u32, file: &str| std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok();
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    };
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let parent = |pid: u32| read(pid, "status").map(|s| field(&s, "PPid:"));
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = u64::from(tree[i]);
        tree.extend(pids.iter().filter(|&&c| parent(c) == Some(p)));
        i += 1;
    }
    tree.into_iter()
        .filter_map(|pid| {
            let name = read(pid, "comm")?.trim().to_owned();
            let rss = field(&read(pid, "status")?, "VmRSS:");
            let rollup = read(pid, "smaps_rollup")?;
            let private = field(&rollup, "Private_Clean:") + field(&rollup, "Private_Dirty:");
            Some((name, rss, private))
        })
        .collect()
}

/// The page's own counts: elements, IPC callbacks waiting, listeners Tauri holds.
async fn page_counts(c: &Client) -> serde_json::Value {
    c.execute(
        "return { elements: document.getElementsByTagName('*').length,
                  callbacks: window.__TAURI_INTERNALS__.callbacks.size,
                  resources: performance.getEntriesByType('resource').length };",
        vec![],
    )
    .await
    .unwrap_or_default()
}

#[tokio::test]
#[ignore = "an instrument, run by hand"]
async fn where_the_window_s_memory_goes() {
    use tenantry_tests::bench::{Fixture, Vault};
    let Some(url) = webdriver("where_the_window_s_memory_goes") else {
        return;
    };
    let rounds: usize = std::env::var("TENANTRY_MEMORY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let _turn = ONE_WINDOW.lock().await;
    let fx = Fixture::new(50, 20, Duration::minutes(30), Vault::Keychain)
        .await
        .expect("50 logins signed in");
    let c = open_window(&url, &fx.config_file, fx.data_dir()).await;
    let _ = marked(&c, "tenantry:first-list-paint").await;
    let app = app_pid().expect("the app's process");
    let say = |phase: &str, round: usize, counts: serde_json::Value| {
        let processes: Vec<serde_json::Value> = memory(app)
            .into_iter()
            .map(|(name, rss, private)| json!({"name": name, "rss_kib": rss, "private_kib": private}))
            .collect();
        eprintln!(
            "{}",
            json!({"phase": phase, "round": round, "processes": processes, "page": counts})
        );
    };
    say("start", 0, page_counts(&c).await);
    for (phase, script) in [
        (
            "intl",
            "const done = arguments[arguments.length - 1];
             for (let i = 0; i < 2000; i++) new Date().toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
             done(true);",
        ),
        (
            "intl-cached",
            "const done = arguments[arguments.length - 1];
             const f = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
             for (let i = 0; i < 2000; i++) f.format(new Date());
             done(true);",
        ),
        (
            "invoke",
            "const done = arguments[arguments.length - 1];
             (async () => { for (let i = 0; i < 20; i++) await window.__TAURI_INTERNALS__.invoke('overview'); done(true); })();",
        ),
        (
            "draw",
            "const done = arguments[arguments.length - 1];
             const tab = (v) => document.querySelector(`.tab[data-view=${v}]`).click();
             const pause = () => new Promise(r => setTimeout(r, 100));
             (async () => { for (let i = 0; i < 10; i++) { tab('clients'); await pause(); tab('logins'); await pause(); } done(true); })();",
        ),
        (
            "events",
            "const done = arguments[arguments.length - 1];
             const pause = () => new Promise(r => setTimeout(r, 150));
             (async () => { for (let i = 0; i < 20; i++) { try { await window.__TAURI_INTERNALS__.invoke('refresh_login', { login: 'nobody-here' }); } catch (e) {} await pause(); } done(true); })();",
        ),
    ] {
        for round in 1..=rounds {
            c.execute_async(script, vec![]).await.unwrap();
            tokio::time::sleep(StdDuration::from_millis(500)).await;
            say(phase, round, page_counts(&c).await);
        }
    }
    for round in 1..=rounds {
        let mut refresh = fx.cli(&tenantry_bin());
        refresh
            .args(["refresh", "--all"])
            .stdout(std::process::Stdio::null());
        let status = tokio::process::Command::from(refresh)
            .status()
            .await
            .unwrap();
        assert!(status.success());
        tokio::time::sleep(StdDuration::from_secs(3)).await;
        say("refresh", round, page_counts(&c).await);
    }
    c.close().await.unwrap();
    fx.forget();
}
