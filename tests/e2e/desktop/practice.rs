//! The window in practice mode: on a machine that joined a practice it says so in its header,
//! lists the practice's members in Settings, and shows what another machine changes as it
//! commits (the database's notifications, not a poll).

use super::*;
use crate::practice::{Database, machine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_window_says_so_lists_members_and_shows_another_machines_work_at_once() {
    let test = "a_practice_window_says_so_lists_members_and_shows_another_machines_work_at_once";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let db = Database::new("window");
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let a = machine(&it, &db.url, "DESK-A", "Ann");
    let b = machine(&it, &db.url, "DESK-B", "Ben");
    let c = machine(&it, &db.url, "DESK-C", "Cara");
    let init = a.run(&["practice", "init"]).await;
    assert_eq!(init.status, 0, "{init:?}");
    let invite = a.run(&["practice", "invite"]).await;
    assert_eq!(invite.status, 0, "{invite:?}");
    let joined = b.run(&["practice", "join", invite.stdout.trim()]).await;
    assert_eq!(joined.status, 0, "{joined:?}");
    it.fake.approve_as(Some(ANN));
    let connected = a.run(&["connect"]).await;
    assert_eq!(connected.status, 0, "Ann connects on DESK-A: {connected:?}");

    let window = open_window(&url, &b.cli.config, &b.cli.data).await;
    let badge = until_text(&window, "#mode-badge", "Practice: ").await;
    assert!(
        badge.contains("127.0.0.1:"),
        "the header names the practice's server: {badge}"
    );
    until("Ann's login, connected on DESK-A", || async {
        (count(&window, "article.login").await == 1).then_some(())
    })
    .await;

    // Another machine connects a second login while the window is open.
    it.fake.approve_as(Some(BEN));
    let connected = a.run(&["connect"]).await;
    assert_eq!(connected.status, 0, "Ben connects on DESK-A: {connected:?}");
    let committed = std::time::Instant::now();
    until("Ben's login in DESK-B's window", || async {
        (count(&window, "article.login").await == 2).then_some(())
    })
    .await;
    let shown_after = committed.elapsed();
    eprintln!("{test}: another machine's login shown {shown_after:?} after its command ended");
    assert!(
        shown_after < StdDuration::from_secs(2),
        "another machine's change shows within 2 s (it took {shown_after:?})"
    );

    click(&window, ".tab[data-view=settings]").await;
    until_text(&window, "#practice-seat", "as Ben on DESK-B").await;
    let members = until_text(&window, "#practice-members", "DESK-A").await;
    assert!(
        members.contains("DESK-B (this computer)") && members.contains("Ann"),
        "Settings lists every member and marks this one: {members}"
    );
    assert!(
        !members.contains("must join again"),
        "both joined with the current key: {members}"
    );

    // A machine joining while Settings is open shows there too.
    let invite = a.run(&["practice", "invite"]).await;
    assert_eq!(invite.status, 0, "{invite:?}");
    let joined = c.run(&["practice", "join", invite.stdout.trim()]).await;
    assert_eq!(joined.status, 0, "{joined:?}");
    until_text(&window, "#practice-members", "DESK-C").await;
    screenshot(&window, "practice-settings.png").await;
    window.close().await.unwrap();

    let key_id = db.sql("SELECT key_id FROM practice");
    for m in [&a, &b, &c] {
        m.forget_key(&key_id);
    }
}
