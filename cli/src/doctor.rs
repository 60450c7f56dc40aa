//! `tenantry doctor`: checks the set-up, each problem with the command or step that fixes it.

use crate::{Cli, Failure, exit};
use tenantry_core::config::{Config, ProfilePaths, VaultChoice};
use tenantry_core::model::{Event, EventKind};
use tenantry_core::private_files;
use tenantry_core::profile::Profile;
use tenantry_core::scheduler;
use tenantry_core::store;
use tenantry_core::vault::KeychainVault;

struct Report {
    failures: usize,
}

impl Report {
    fn pass(&self, what: &str) {
        println!("✓ {what}");
    }

    fn fail(&mut self, what: &str, fix: &str) {
        self.failures += 1;
        println!("✗ {what}\n    fix: {fix}");
    }
}

pub async fn run(cli: &Cli) -> Result<u8, Failure> {
    let mut report = Report { failures: 0 };
    let paths =
        ProfilePaths::resolve_with(&cli.profile, cli.config.as_deref(), cli.data_dir.as_deref())
            .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
    let config = match Config::load(&paths.config_file) {
        Ok(config) => {
            if paths.config_file.exists() {
                report.pass(&format!(
                    "configuration {} is valid",
                    paths.config_file.display()
                ));
            } else {
                report.pass(&format!(
                    "no configuration file yet at {}; defaults in effect",
                    paths.config_file.display()
                ));
            }
            config
        }
        Err(e) => {
            report.fail(
                &format!("{e}"),
                "correct the named key with `tenantry config set KEY VALUE` or edit the file",
            );
            println!("(the remaining checks need a valid configuration)");
            return Ok(exit::CONFIG);
        }
    };
    if config.client_id.is_empty() {
        report.fail("no Xero client id is set", "create an \"Auth code with PKCE\" app at developer.xero.com, then run `tenantry config set client_id YOUR_CLIENT_ID` (or try `tenantry demo`)");
    } else {
        report.pass(&format!("client id is set ({})", config.client_id));
    }

    match config.vault {
        VaultChoice::Keychain => match keychain_answers(&config.keychain_service).await {
            Ok(_) => report.pass("the keychain is reachable and unlocked"),
            Err(e) => report.fail(&format!("the keychain is not usable: {e}"), "unlock your keychain (log in to the desktop session), or start gnome-keyring: `gnome-keyring-daemon --unlock --components=secrets`; on a machine with no keychain, `tenantry config set vault file`"),
        },
        VaultChoice::File => {
            let profile = Profile { name: cli.profile.clone(), paths: paths.clone(), config: config.clone() };
            if !profile.file_vault_exists() {
                // Checking must not make a vault: the first sign-in does, with the passphrase
                // the user chooses then.
                report.pass(&format!("{} will be made at the first sign-in", profile.vault_description()));
            } else {
                let passphrase = crate::passphrase::ask_if_needed(&profile)?;
                match profile.vault(passphrase).await {
                Ok(_) => report.pass(&format!("tokens are kept in {}, and the passphrase opens it", profile.vault_description())),
                Err(e) => report.fail(&format!("{} cannot be opened: {e}", profile.vault_description()), "set TENANTRY_PASSPHRASE to the vault's passphrase (or run doctor from a terminal to be asked)"),
                }
            }
        }
    }

    let free: Vec<u16> = config
        .redirect_ports
        .iter()
        .copied()
        .filter(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .collect();
    let busy: Vec<u16> = config
        .redirect_ports
        .iter()
        .copied()
        .filter(|p| !free.contains(p))
        .collect();
    match (free.is_empty(), busy.is_empty()) {
        (_, true) => report.pass(&format!("redirect ports {:?} are free", config.redirect_ports)),
        (false, false) => report.pass(&format!("redirect port {} is free ({busy:?} in use by another program)", free[0])),
        (true, false) => report.fail(&format!("every redirect port {busy:?} is in use"), "close the program using them, or register another http://localhost:PORT/callback at Xero and add it with `tenantry config set redirect_ports …`"),
    }

    // Created private, as the store creates it: doctor may be the first to make it.
    let probe = paths.data_dir.join(".tenantry-doctor-probe");
    match private_files::create_dir(&paths.data_dir)
        .and_then(|_| private_files::open_file(&probe))
        .and_then(|_| std::fs::remove_file(&probe))
    {
        Ok(()) => report.pass(&format!(
            "data directory {} is writable",
            paths.data_dir.display()
        )),
        Err(e) => report.fail(
            &format!(
                "data directory {} is not writable: {e}",
                paths.data_dir.display()
            ),
            "make it writable, or point TENANTRY_DATA_DIR at a writable directory",
        ),
    }

    let logged = practice_and_log(&config, &paths, &mut report).await;
    scheduled_keepalive(cli, logged.scheduled_run, &mut report);
    tier(&config, logged.connections.unwrap_or(0), &mut report);
    if let Some(command) = &config.on_event {
        on_event_hook(command, logged.hook_failed, &mut report);
    }

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    let mut server_date = None;
    for (what, url) in [
        ("signing keys (JWKS)", &config.xero.jwks_url),
        ("token endpoint", &config.xero.token_url),
        ("API", &config.xero.api_url),
    ] {
        let request = if what == "token endpoint" {
            http.post(url.clone())
        } else {
            http.get(url.clone())
        };
        match request.send().await {
            Ok(answer) => {
                if server_date.is_none() {
                    server_date = answer.headers().get("date").and_then(|d| d.to_str().ok()).and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
                }
                report.pass(&format!("{what} at {url} answers (HTTP {})", answer.status().as_u16()));
            }
            Err(e) => report.fail(&format!("{what} at {url} cannot be reached ({e})"), "check the network connection, a proxy or firewall, and the `[xero]` URLs in the configuration"),
        }
    }
    match server_date {
        Some(date) => {
            let skew = (chrono::Utc::now() - date.with_timezone(&chrono::Utc)).num_seconds();
            if skew.abs() <= 120 {
                report.pass(&format!("clock agrees with the server's ({skew:+} s)"));
            } else {
                report.fail(&format!("clock is {skew:+} s off the server's"), "turn on automatic time synchronisation (`timedatectl set-ntp true` on Linux); token expiry depends on it");
            }
        }
        None => println!("- clock skew not checked (no server answered with a Date header)"),
    }
    if report.failures == 0 {
        println!("All checks passed.");
        Ok(exit::OK)
    } else {
        println!("{} check(s) failed.", report.failures);
        Ok(exit::FAILURE)
    }
}

/// What the activity log says about the scheduled run and the hook.
#[derive(Default)]
struct Logged {
    scheduled_run: Option<Event>,
    hook_failed: Option<Event>,
    /// The organisations connected now (None: no data yet).
    connections: Option<usize>,
}

/// In practice mode, whether the practice database answers; then what the log says (read off the
/// async workers: the store's calls block).
async fn practice_and_log(config: &Config, paths: &ProfilePaths, report: &mut Report) -> Logged {
    let (url, dir) = (config.database_url.clone(), paths.data_dir.clone());
    let opened = tokio::task::spawn_blocking(move || {
        let store = store::open_existing(url.as_deref(), &dir)?;
        Ok::<_, store::StoreError>(store.map(|s| {
            Logged {
                scheduled_run: s.last_event(EventKind::ScheduledRun).ok().flatten(),
                hook_failed: s.last_event(EventKind::HookFailed).ok().flatten(),
                connections: s
                    .organisations()
                    .ok()
                    .map(|orgs| tenantry_core::health::connections_used(&orgs)),
            }
        }))
    })
    .await
    .expect("the store read does not panic");
    match (&config.database_url, opened) {
        (_, Ok(logged)) => {
            if let Some(url) = &config.database_url {
                report.pass(&format!(
                    "the practice database ({url}) answers and its schema is current"
                ));
            }
            logged.unwrap_or_default()
        }
        (Some(_), Err(e)) => {
            report.fail(&format!("the practice database cannot be used: {e}"), "start the server or fix database_url (`tenantry config set database_url postgres://USER@HOST/DATABASE`); its password goes in ~/.pgpass or PGPASSWORD");
            Logged::default()
        }
        (None, Err(_)) => Logged::default(),
    }
}

/// The app's tier and the connections in use: more than its cap fails (Xero refuses new
/// connections past it); no tier set is said, not failed, as Tenantry then keeps to what Xero
/// documents for every app.
fn tier(config: &Config, connections: usize, report: &mut Report) {
    use tenantry_core::config::TierFit;
    match tenantry_core::config::tier_fit(config, connections) {
        TierFit::Fits(line) => report.pass(&line),
        said @ TierFit::NoTier => println!("- {said}; {}", said.fix().unwrap_or_default()),
        said => report.fail(&said.to_string(), said.fix().unwrap_or_default()),
    }
}

/// The `on_event` hook: its program can be found, and the last time it failed, if it did.
fn on_event_hook(command: &str, failed: Option<Event>, report: &mut Report) {
    let program = command.split_whitespace().next().unwrap_or_default();
    // The shell the hook runs in says whether it can run the word: PATH, builtins and paths alike.
    #[cfg(unix)]
    let found = std::process::Command::new("sh")
        .args(["-c", "command -v \"$1\" >/dev/null", "sh", program])
        .status()
        .is_ok_and(|s| s.success());
    #[cfg(windows)]
    let found = std::process::Command::new("where")
        .arg(program)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        report.pass(&format!("the on_event hook's program `{program}` is found"));
    } else {
        report.fail(
            &format!("the on_event hook's program `{program}` is not found"),
            "install it or give its full path: `tenantry config set on_event '…'` (or `tenantry config unset on_event`)",
        );
    }
    if let Some(event) = failed {
        println!(
            "- the on_event hook last failed at {}: {}",
            crate::render::local_time(event.at),
            event.detail
        );
    }
}

/// Whether the daily job is installed, and when it last ran (from the activity log).
fn scheduled_keepalive(cli: &Cli, last: Option<Event>, report: &mut Report) {
    let Ok(job) = crate::schedule_cmd::job(cli) else {
        return;
    };
    let installed = scheduler::installed(&job);
    let last_words = match &last {
        Some(event) => format!(
            "last ran {} ({})",
            event.at.format("%Y-%m-%d %H:%M UTC"),
            event.detail
        ),
        None => "it has not run yet".into(),
    };
    match installed.as_slice() {
        [] => println!(
            "- no scheduled keep-alive: logins are kept alive only while the app runs (`tenantry keepalive --install` runs it daily)"
        ),
        places => {
            let stale = last
                .as_ref()
                .is_some_and(|e| chrono::Utc::now() - e.at > chrono::Duration::days(3));
            let what = places
                .iter()
                .map(|p| format!("{} ({})", p.scheduler.name(), p.location))
                .collect::<Vec<_>>()
                .join(", ");
            if stale {
                report.fail(
                    &format!("scheduled keep-alive is installed as a {what} but {last_words}"),
                    "check that the scheduler runs (`systemctl --user list-timers`, or that cron is running), or reinstall with `tenantry keepalive --install`",
                );
            } else {
                report.pass(&format!(
                    "scheduled keep-alive is installed as a {what}; {last_words}"
                ));
            }
        }
    }
}

/// Whether the keychain answers: a round trip to its daemon, off the async workers as every
/// vault call is.
async fn keychain_answers(service: &str) -> Result<(), tenantry_core::vault::VaultError> {
    let service = service.to_owned();
    tokio::task::spawn_blocking(move || {
        tenantry_core::vault::probe(&KeychainVault::platform(&service)).map(|_| ())
    })
    .await
    .expect("the keychain probe does not panic")
}
