//! One function per command: call the engine, print, return the exit status.

use crate::render;
use crate::{Cli, Command, Failure, exit};
use chrono::Duration;
use tenantry_core::engine::select_login;
use tenantry_core::model::{Login, LoginState};
use tenantry_core::profile::Profile;
use tenantry_core::quote::shell_single_quoted;
use tenantry_core::{Engine, KeepAliveOutcome};
use tokio_util::sync::CancellationToken;

pub async fn run(cli: Cli) -> Result<u8, Failure> {
    // Commands that must work without a usable engine (no keychain, no client id, a bad file).
    match cli.command {
        Command::Doctor => return crate::doctor::run(&cli).await,
        #[cfg(feature = "demo")]
        Command::Demo { port, auto_approve } => {
            return crate::demo::run(&cli.profile, cli.config.as_deref(), port, auto_approve).await;
        }
        Command::Completions { .. } => unreachable!("handled before the runtime starts"),
        Command::Keepalive {
            install,
            uninstall,
            print,
            ref scheduler,
            ..
        } if install || uninstall || print => {
            let job = crate::schedule_cmd::job(&cli)?;
            return crate::schedule_cmd::run(&job, install, uninstall, scheduler.as_deref());
        }
        _ => {}
    }
    let profile = Profile::load_with(&cli.profile, cli.config.as_deref(), cli.data_dir.as_deref())?;
    if let Command::Config { action } = cli.command {
        return crate::config_cmd::run(&profile, action);
    }
    let engine = profile
        .open_engine_with(crate::passphrase::ask_if_needed(&profile)?)
        .await?;
    // Finish any refresh a crashed run left behind, while Xero's 30-minute grace lasts.
    for (login, result) in engine.recover().await {
        if let Err(e) = result {
            eprintln!("tenantry: recovering an interrupted refresh of {login}: {e}");
        }
    }
    match cli.command {
        Command::Connect {
            reconnect,
            no_browser,
        } => connect(&engine, reconnect, no_browser).await,
        Command::Status { json } => status(&engine, &profile, json).await,
        Command::Orgs { filter, json } => orgs(&engine, filter.as_deref(), json).await,
        Command::Token { org, json, env } => token(&engine, &org, json, env).await,
        Command::Exec { org, command } => exec(&engine, &org, &command).await,
        Command::Refresh { login, all } => refresh(&engine, login.as_deref(), all).await,
        Command::Keepalive {
            older_than,
            scheduled,
            ..
        } => keepalive(&engine, older_than, scheduled).await,
        Command::Disconnect { org, login, yes } => {
            crate::disconnect_cmd::disconnect(&engine, &org, login.as_deref(), yes).await
        }
        Command::Remove { login, yes } => crate::disconnect_cmd::remove(&engine, &login, yes).await,
        Command::Log { login, json, limit } => log(&engine, login.as_deref(), json, limit).await,
        #[cfg(feature = "demo")]
        Command::Demo { .. } => unreachable!("handled above"),
        Command::Config { .. } | Command::Doctor | Command::Completions { .. } => {
            unreachable!("handled above")
        }
    }
}

async fn connect(
    engine: &Engine,
    reconnect: Option<String>,
    no_browser: bool,
) -> Result<u8, Failure> {
    let expected = match reconnect {
        Some(selector) => Some(engine.resolve_login(&selector).await?),
        None => None,
    };
    let sign_in = engine
        .begin_login(expected.as_ref().map(|l| l.id.clone()))
        .await?;
    let url = sign_in.authorize_url().to_string();
    eprintln!("Sign in to Xero and approve access at:\n\n  {url}\n");
    if let Some(login) = &expected {
        eprintln!(
            "Sign in as {} (if your browser is signed in to Xero as someone else, sign out of Xero first).",
            login.email
        );
    }
    if !no_browser && let Err(e) = tenantry_core::browser::open_off_thread(url.clone()).await {
        eprintln!("Could not open a browser ({e}); open the address above yourself.");
    }
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let spinner =
        render::Spinner::start("Waiting for you to approve in your browser (Ctrl-C cancels)");
    let outcome = sign_in.complete(cancel).await;
    spinner.stop();
    let outcome = outcome?;
    let login = &outcome.login;
    println!("Connected {} <{}>.", login.name, login.email);
    if outcome.added.is_empty() {
        println!(
            "This consent added no new organisations; {} reachable in all.",
            outcome.organisations.len()
        );
    } else {
        println!("This consent added:");
        for org in &outcome.added {
            println!("  {}  ({})", org.name, org.tenant_id);
        }
    }
    if let Some(err) = &outcome.organisations_error {
        eprintln!(
            "tenantry: the login is saved, but its organisations could not be listed: {err}. Run: tenantry refresh {}",
            login.email
        );
    }
    if let Some(intended) = &outcome.expected_other {
        eprintln!(
            "tenantry: signed in as {}, not {}: the browser was still signed in to Xero as {}. {} is unchanged. \
             To reconnect {}, sign out of Xero in the browser (https://go.xero.com/logout) and run: tenantry connect --reconnect {}",
            login.email,
            intended.email,
            login.email,
            intended.email,
            intended.email,
            intended.email
        );
        return Ok(exit::NEEDS_HUMAN);
    }
    Ok(exit::OK)
}

async fn status(engine: &Engine, profile: &Profile, json: bool) -> Result<u8, Failure> {
    let logins = engine.logins().await?;
    let orgs = engine.organisations().await?;
    let counts = render::count_by_login(&orgs);
    let now = chrono::Utc::now();
    let rows: Vec<render::LoginStatus> = logins
        .iter()
        .map(|l| {
            let orgs = counts.get(&l.id).copied().unwrap_or(0);
            render::LoginStatus::new(l, orgs, profile.config.vault.name(), now)
        })
        .collect();
    if json {
        let report = render::StatusJson::new(&rows, profile.config.vault.name());
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else if rows.is_empty() {
        println!("No logins yet. Run: tenantry connect");
    } else {
        render::print_status(&rows);
        println!("Tokens are kept in {}.", profile.vault_description());
    }
    Ok(status_exit(&logins))
}

fn status_exit(logins: &[Login]) -> u8 {
    if logins.iter().any(|l| l.state == LoginState::NeedsReconnect) {
        exit::NEEDS_HUMAN
    } else if logins.iter().any(|l| l.state == LoginState::Error) {
        exit::UNREACHABLE
    } else {
        exit::OK
    }
}

async fn orgs(engine: &Engine, filter: Option<&str>, json: bool) -> Result<u8, Failure> {
    let logins = engine.logins().await?;
    let mut list = render::group_organisations(&engine.organisations().await?, &logins);
    if let Some(f) = filter {
        let f = f.to_lowercase();
        list.retain(|o| o.name.to_lowercase().contains(&f) || o.tenant_id.contains(&f));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("serialisable")
        );
    } else if list.is_empty() {
        println!(
            "{}",
            if filter.is_some() {
                "No organisation matches."
            } else {
                "No organisations yet. Run: tenantry connect"
            }
        );
    } else {
        render::print_orgs(&list);
    }
    Ok(exit::OK)
}

async fn token(engine: &Engine, org: &str, json: bool, env: bool) -> Result<u8, Failure> {
    let tenant = engine.resolve_organisation(org).await?;
    let grant = engine.access_token_for(&tenant).await?;
    if json {
        let login = engine
            .logins()
            .await?
            .into_iter()
            .find(|l| l.id == grant.login_id);
        let value = serde_json::json!({
            "access_token": grant.access_token.expose(),
            "tenant_id": &*grant.tenant_id,
            "expires_at": grant.expires_at.to_rfc3339(),
            "login": { "id": grant.login_id.as_str(), "email": login.map(|l| l.email) },
        });
        println!("{value}");
    } else if env {
        // Quoted for a POSIX shell whatever the server put in the token (`eval "$(…)"`).
        println!(
            "export XERO_ACCESS_TOKEN={}",
            shell_single_quoted(grant.access_token.expose())
        );
        println!(
            "export XERO_TENANT_ID={}",
            shell_single_quoted(&grant.tenant_id)
        );
    } else {
        println!("{}", grant.access_token.expose());
    }
    Ok(exit::OK)
}

async fn exec(engine: &Engine, org: &str, command: &[String]) -> Result<u8, Failure> {
    let tenant = engine.resolve_organisation(org).await?;
    let grant = engine.access_token_for(&tenant).await?;
    let (program, args) = command.split_first().expect("clap requires a command");
    let status = tokio::process::Command::new(program)
        .args(args)
        .env("XERO_ACCESS_TOKEN", grant.access_token.expose())
        .env("XERO_TENANT_ID", &*grant.tenant_id)
        .status()
        .await
        .map_err(|e| {
            Failure::new(
                exit::FAILURE,
                format!("cannot run `{program}`: {e}. Check the command name and your PATH."),
            )
        })?;
    // Pass the child's status on; a child killed by a signal is 128 + signal, as shells do.
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Ok(128u8.saturating_add(signal as u8));
    }
    Ok(status
        .code()
        .map_or(exit::FAILURE, |c| c.clamp(0, 255) as u8))
}

async fn refresh(engine: &Engine, login: Option<&str>, all: bool) -> Result<u8, Failure> {
    let spinner = render::Spinner::start("Refreshing");
    let results = if all {
        engine.refresh_all().await?
    } else {
        let login = engine
            .resolve_login(login.expect("clap requires LOGIN or --all"))
            .await?;
        let result = engine.refresh_login(&login.id).await;
        vec![(login, result)]
    };
    spinner.stop();
    if results.is_empty() {
        println!("No logins yet. Run: tenantry connect");
        return Ok(exit::OK);
    }
    let mut worst = exit::OK;
    for (login, result) in results {
        match result {
            Ok(after) => println!(
                "{}: refreshed; access token valid until {}, refresh deadline {}",
                after.email,
                render::local_time(after.access_expires_at),
                after.refresh_deadline().format("%Y-%m-%d")
            ),
            Err(e) => {
                let failure = Failure::from(e);
                worst = worst.max(failure.status);
                println!("{}: {}", login.email, failure.message);
            }
        }
    }
    Ok(worst)
}

async fn keepalive(
    engine: &Engine,
    older_than: Option<u32>,
    scheduled: bool,
) -> Result<u8, Failure> {
    let days = older_than.unwrap_or(engine.config().keepalive_days);
    if !(1..=59).contains(&days) {
        return Err(Failure::new(
            exit::USAGE,
            "--older-than must be 1 to 59 days: Xero drops a refresh token unused for 60 days.",
        ));
    }
    let reports = engine.keepalive(Duration::days(days.into())).await?;
    engine.record_keepalive_run(&reports, scheduled, "").await;
    let mut worst = exit::OK;
    for report in reports {
        match report.outcome {
            // Quiet when all is well: cron mails any output.
            KeepAliveOutcome::Refreshed { .. } | KeepAliveOutcome::NotDue { .. } => {}
            KeepAliveOutcome::NeedsReconnect { reason } => {
                worst = worst.max(exit::NEEDS_HUMAN);
                println!(
                    "{}: needs reconnecting ({reason}). Run: tenantry connect --reconnect {}",
                    report.login.email, report.login.email
                );
            }
            KeepAliveOutcome::Failed { message, .. } => {
                if worst != exit::NEEDS_HUMAN {
                    worst = exit::UNREACHABLE;
                }
                println!(
                    "{}: keep-alive failed ({message}); it will be tried again on the next run",
                    report.login.email
                );
            }
        }
    }
    Ok(worst)
}

async fn log(
    engine: &Engine,
    login: Option<&str>,
    json: bool,
    limit: usize,
) -> Result<u8, Failure> {
    let logins = engine.logins().await?;
    let filter = match login {
        Some(sel) => Some(select_login(&logins, sel).map(|l| l.id).or_else(|e| {
            // A removed login is no longer listed, but its events are: accept its exact id.
            tenantry_core::model::LoginId::new(sel).map_err(|_| Failure::from(e))
        })?),
        None => None,
    };
    let events = engine.events(filter.as_ref(), limit).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&render::events_json(&events, &logins))
                .expect("serialisable")
        );
    } else if events.is_empty() {
        println!("No events yet.");
    } else {
        render::print_events(&events, &logins);
    }
    Ok(exit::OK)
}
