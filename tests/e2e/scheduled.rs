//! Keep-alive while the app is closed: `tenantry keepalive --install` with the system's real
//! crontab, the scheduled command run exactly as the crontab line says, `doctor` reporting it,
//! and the systemd units checked by `systemd-analyze verify`.

use crate::util::*;
use chrono::Duration;
use tenantry_core::scheduler::Job;
use tenantry_fake_xero::Options;

/// Puts the user's crontab back however the test ends: the test edits the real one.
struct CrontabGuard(String);

impl CrontabGuard {
    fn save() -> Self {
        let out = std::process::Command::new("crontab")
            .arg("-l")
            .output()
            .unwrap();
        Self(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn current() -> String {
        let out = std::process::Command::new("crontab")
            .arg("-l")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn set(text: &str) {
        use std::io::Write;
        let mut child = std::process::Command::new("crontab")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for CrontabGuard {
    fn drop(&mut self) {
        Self::set(&self.0);
    }
}

fn offset(days: i64) -> String {
    Duration::days(days).num_seconds().to_string()
}

#[tokio::test]
async fn the_scheduled_job_installs_once_refreshes_only_what_is_due_and_uninstalls() {
    if !keyring_available(
        "the_scheduled_job_installs_once_refreshes_only_what_is_due_and_uninstalls",
    ) {
        return;
    }
    assert!(
        which("crontab"),
        "crontab is installed by scripts/setup.sh (package cron)"
    );
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    // Ann connects today; Ben 20 days later (both clocks moved together).
    it.fake.approve_as(Some(ANN));
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    it.fake.advance(Duration::days(20));
    it.fake.approve_as(Some(BEN));
    let mut connect = cli.command(&["connect"]);
    connect.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", offset(20));
    assert_eq!(run(connect).await.status, 0);

    let _restore = CrontabGuard::save();
    let theirs = "MAILTO=\"\"\n# the user's own job\n0 3 * * * /usr/bin/true backup\n";
    CrontabGuard::set(theirs);
    let profile = format!("e2e{}", std::process::id());
    let install = [
        "--profile",
        &profile,
        "keepalive",
        "--install",
        "--scheduler",
        "cron",
    ];
    let first = cli.run(&install).await;
    assert_eq!(first.status, 0, "{first:?}");
    assert!(first.stdout.contains("Installed a crontab"), "{first:?}");
    let again = cli.run(&install).await;
    assert_eq!(again.status, 0, "installing again is harmless: {again:?}");
    let tab = CrontabGuard::current();
    assert!(
        tab.starts_with(theirs),
        "the user's own lines are kept exactly:\n{tab}"
    );
    let ours: Vec<&str> = tab.lines().filter(|l| l.contains("--scheduled")).collect();
    assert_eq!(
        ours.len(),
        1,
        "one line however often it is installed:\n{tab}"
    );
    assert!(ours[0].ends_with(&format!("# tenantry-keepalive-{profile}")));
    assert!(
        !ours[0].contains("/dev/null"),
        "the run's output goes where cron mails it, not away: {}",
        ours[0]
    );

    let doctor = cli.run(&["--profile", &profile, "doctor"]).await;
    assert!(
        doctor
            .stdout
            .contains("scheduled keep-alive is installed as a crontab")
            && doctor.stdout.contains("it has not run yet"),
        "doctor says it is installed and has not run: {doctor:?}"
    );

    // 46 days after Ann connected (26 after Ben), run what cron would run, as cron would run
    // it: the line's command through sh, from an empty environment but for the session bus.
    it.fake.advance(Duration::days(26));
    let (ann, ben) = (it.fake.refresh_calls(ANN), it.fake.refresh_calls(BEN));
    let command = ours[0].splitn(6, ' ').nth(5).unwrap();
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap(),
        )
        .env("TENANTRY_TEST_CLOCK_OFFSET_SECS", offset(46))
        .status()
        .await
        .unwrap();
    assert!(status.success(), "the scheduled run succeeds: {status}");
    assert_eq!(
        it.fake.refresh_calls(ANN),
        ann + 1,
        "Ann's 46-day-old refresh token was refreshed by the scheduled run"
    );
    assert_eq!(
        it.fake.refresh_calls(BEN),
        ben,
        "Ben's 26-day-old one was not: nothing but what is due"
    );
    let log = cli.run(&["log", "--json"]).await;
    assert!(
        log.stdout.contains("scheduled_run")
            && log
                .stdout
                .contains("keep-alive run (scheduled): 1 refreshed, 1 not due"),
        "the run is in the activity log: {log:?}"
    );
    let doctor = cli.run(&["--profile", &profile, "doctor"]).await;
    assert!(
        doctor.stdout.contains("last ran") && doctor.stdout.contains("1 refreshed"),
        "doctor says when it last ran: {doctor:?}"
    );

    let removed = cli
        .run(&["--profile", &profile, "keepalive", "--uninstall"])
        .await;
    assert_eq!(removed.status, 0, "{removed:?}");
    assert!(removed.stdout.contains("Removed the crontab"));
    assert_eq!(
        CrontabGuard::current(),
        theirs,
        "uninstalling removes our line and nothing else"
    );
    let twice = cli
        .run(&["--profile", &profile, "keepalive", "--uninstall"])
        .await;
    assert_eq!(twice.status, 0, "uninstalling twice is harmless: {twice:?}");
    assert!(twice.stdout.contains("No keep-alive job was installed"));
    let doctor = cli.run(&["--profile", &profile, "doctor"]).await;
    assert!(
        doctor.stdout.contains("no scheduled keep-alive"),
        "doctor says it is gone: {doctor:?}"
    );
}

#[tokio::test]
async fn install_names_a_scheduler_it_cannot_use_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let systemd_runs = std::process::Command::new("systemctl")
        .args(["--user", "show-environment"])
        .output()
        .is_ok_and(|o| o.status.success());
    let cli = Tenantry {
        config: dir.path().join("t.toml"),
        data: dir.path().join("data"),
        passphrase: None,
    };
    let mut command = cli.command(&["keepalive", "--install", "--scheduler", "systemd"]);
    command.env("XDG_CONFIG_HOME", dir.path().join("xdg"));
    if !systemd_runs {
        let ran = run(command).await;
        assert_eq!(
            ran.status, 6,
            "a scheduler that is not running is a set-up problem: {ran:?}"
        );
        assert!(
            ran.stderr.contains("--scheduler cron"),
            "and the message names the alternative: {ran:?}"
        );
        assert!(
            !dir.path().join("xdg/systemd").exists(),
            "no unit file is left behind by a failed install"
        );
    }
    let bad = cli
        .run(&["keepalive", "--install", "--scheduler", "at"])
        .await;
    assert_eq!(bad.status, 2, "{bad:?}");
    assert!(
        bad.stderr
            .contains("use systemd, cron, launchd or task-scheduler")
    );
}

#[tokio::test]
async fn the_systemd_units_pass_systemd_analyze_verify() {
    assert!(
        which("systemd-analyze"),
        "systemd-analyze is installed by scripts/setup.sh (package systemd)"
    );
    let dir = tempfile::tempdir().unwrap();
    let job = Job {
        exe: tenantry_bin(),
        profile: "work".into(),
        config: Some(dir.path().join("my config %h.toml")),
        data_dir: Some(dir.path().join("data $HOME")),
    };
    let service = dir.path().join(format!("{}.service", job.name()));
    let timer = dir.path().join(format!("{}.timer", job.name()));
    std::fs::write(&service, job.systemd_service()).unwrap();
    std::fs::write(&timer, job.systemd_timer()).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args([&service, &timer])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd accepts both units without a warning: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And a broken timer is caught, so the check above can fail.
    std::fs::write(
        &timer,
        job.systemd_timer().replace("*-*-* 12:17:00", "someday"),
    )
    .unwrap();
    let broken = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args([&service, &timer])
        .output()
        .unwrap();
    assert!(
        !broken.status.success(),
        "systemd-analyze verify rejects a bad OnCalendar"
    );
}

fn which(program: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn a_scheduled_run_that_finds_a_login_needing_a_person_tells_the_desktop_once_a_day() {
    let test = "a_scheduled_run_that_finds_a_login_needing_a_person_tells_the_desktop_once_a_day";
    if !keyring_available(test) {
        return;
    }
    // The notification daemon's bus name has one owner at a time: take turns with the window tests.
    let _turn = crate::desktop::ONE_WINDOW.lock().await;
    let daemon = crate::notify_daemon::NotifyDaemon::start().await;
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    for user in [ANN, BEN] {
        it.fake.approve_as(Some(user));
        assert_eq!(cli.run(&["connect"]).await.status, 0);
    }
    it.fake.revoke_user(BEN);
    assert_eq!(
        cli.run(&["refresh", BEN]).await.status,
        3,
        "Xero refuses Ben now"
    );

    let first = cli.run(&["keepalive", "--scheduled"]).await;
    assert_eq!(first.status, 3, "a login needs a person: {first:?}");
    assert!(
        first.stdout.contains("ben@example.com: needs reconnecting"),
        "the finding is printed for the scheduler's log (journal, cron mail): {first:?}"
    );
    let shown = daemon.shown();
    assert_eq!(shown.len(), 1, "one desktop notification: {shown:?}");
    assert_eq!(
        shown[0].summary, "Reconnect ben@example.com",
        "the app's wording"
    );
    assert!(shown[0].body.contains("sign in again"), "{:?}", shown[0]);

    let second = cli.run(&["keepalive", "--scheduled"]).await;
    assert_eq!(second.status, 3, "still needs a person: {second:?}");
    assert_eq!(
        daemon.shown().len(),
        1,
        "said at most once a day, as the app says it"
    );
    let log = cli.run(&["log", "--json"]).await;
    assert!(
        log.stdout.contains("needs a person: ben@example.com"),
        "the run's log line names who, for doctor: {log:?}"
    );
}
