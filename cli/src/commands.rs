//! One function per command: call the engine, print, return the exit status.

use crate::args::ConnectArgs;
use crate::render;
use crate::{Cli, Command, ConfigAction, Failure, TokenFormat, exit};
use chrono::Duration;
use tenantry_core::engine::select_login;
use tenantry_core::profile::Profile;
use tenantry_core::{Engine, KeepAliveOutcome};

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
    // Only the commands that make a profile may find it missing; for the rest a misspelt
    // `--profile` or `--config` is an error, never an empty profile that reports healthy.
    let makes_profile = matches!(
        cli.command,
        Command::Connect(_)
            | Command::Config {
                action: ConfigAction::Set { .. } | ConfigAction::Path | ConfigAction::Keys
            }
    );
    let (name, config, data) = (&cli.profile, cli.config.as_deref(), cli.data_dir.as_deref());
    let profile = if makes_profile {
        Profile::load_with(name, config, data)?
    } else {
        Profile::load_existing(name, config, data)?
    };
    if let Command::Config { action } = cli.command {
        return crate::config_cmd::run(&profile, action);
    }
    if let Command::Gateway {
        port,
        print_key,
        rotate_key,
    } = cli.command
    {
        return crate::gateway_cmd::run(&profile, port, print_key, rotate_key).await;
    }
    if let Command::Practice { action } = cli.command {
        return crate::practice_cmd::run(&profile, action).await;
    }
    if let Command::Mcp { allow_writes } = cli.command {
        return crate::gateway_cmd::mcp(&profile, allow_writes).await;
    }
    if let Command::Exec {
        org,
        login,
        command,
    } = &cli.command
    {
        let (paths, org, login) = (profile.paths.clone(), org.clone(), login.clone());
        let asked = tokio::task::spawn_blocking(move || {
            crate::token_cmd::from_agent(&paths, &org, login.as_deref(), false)
        })
        .await
        .expect("asking the agent does not panic");
        if let Some(handed) = asked {
            return crate::token_cmd::exec_with(&handed?, command).await;
        }
    }
    let engine = profile
        .open_engine_with(crate::passphrase::ask_if_needed(&profile)?)
        .await?;
    // A refresh a crashed run left behind is finished by whoever next needs that login (its
    // token, a refresh, keep-alive), within Xero's 30-minute grace; never here for every login,
    // where one login's slow recovery would stall a command about another.
    let outcome = match cli.command {
        Command::Connect(ConnectArgs {
            custom_connection: true,
            client_id,
            ..
        }) => crate::connect_cmd::custom(&engine, client_id).await,
        Command::Connect(ConnectArgs {
            reconnect,
            no_browser,
            scopes,
            migrate_scopes,
            ..
        }) => {
            crate::connect_cmd::run(&engine, reconnect, no_browser, &scopes, migrate_scopes).await
        }
        Command::Status { json, check } => {
            crate::status_cmd::run(&engine, &profile, json, check).await
        }
        Command::Orgs {
            filter,
            problems,
            json,
        } => crate::orgs_cmd::run(&engine, filter.as_deref(), problems, json).await,
        Command::Check { login, json } => {
            crate::check_cmd::run(&engine, login.as_deref(), json).await
        }
        Command::Token {
            org,
            format,
            json,
            env,
            login,
        } => {
            let format = TokenFormat::chosen(format, json, env);
            crate::token_cmd::token(&engine, &org, format, login.as_deref()).await
        }
        Command::Exec {
            org,
            login,
            command,
        } => crate::token_cmd::exec(&engine, &org, login.as_deref(), &command).await,
        Command::Call(args) => crate::call_cmd::run(&engine, &profile, args).await,
        Command::Each(args) => crate::each_cmd::run(&engine, &profile, args).await,
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
        Command::Usage { month, top, json } => {
            crate::usage_cmd::run(&engine, month, top, json).await
        }
        Command::Report(crate::args::Report::Access {
            format,
            excel,
            login,
            only_routes,
        }) => {
            crate::report_cmd::access(&engine, format, excel, login.as_deref(), only_routes).await
        }
        Command::Handover {
            from,
            to,
            yes,
            force,
            no_browser,
        } => crate::handover_cmd::run(&engine, &from, &to, yes, &force, no_browser).await,
        Command::Report(crate::args::Report::Scopes { json }) => {
            crate::report_cmd::scopes(&engine, json).await
        }
        Command::Log(args) if args.calls => crate::calls_cmd::run(&engine, &args).await,
        Command::Log(args) => {
            log(
                &engine,
                args.login.as_deref(),
                args.json,
                args.limit as usize,
            )
            .await
        }
        #[cfg(feature = "demo")]
        Command::Demo { .. } => unreachable!("handled above"),
        Command::Config { .. }
        | Command::Doctor
        | Command::Completions { .. }
        | Command::Gateway { .. }
        | Command::Practice { .. }
        | Command::Mcp { .. } => {
            unreachable!("handled above")
        }
    };
    // The `on_event` hooks of what this run did still run before the process ends.
    engine.settle_hooks().await;
    outcome
}

async fn refresh(engine: &Engine, login: Option<&str>, all: bool) -> Result<u8, Failure> {
    let results = if all {
        let total = engine.logins().await?.len();
        let progress = render::Progress::per_login(engine, "Refreshing", total);
        let results = engine.refresh_all().await;
        progress.stop();
        results?
    } else {
        let login = engine
            .resolve_login(login.expect("clap requires LOGIN or --all"))
            .await?;
        let progress = render::Progress::spinner("Refreshing");
        let result = engine.refresh_login(&login.id).await;
        progress.stop();
        vec![(login, result)]
    };
    if results.is_empty() {
        println!("No logins yet. Run: tenantry connect");
        return Ok(exit::OK);
    }
    let mut worst = exit::OK;
    let (mut refreshed, mut human, mut failed) = (0, 0, 0);
    let count = results.len();
    for (login, result) in results {
        match result {
            Ok(after) => {
                refreshed += 1;
                anstream::println!(
                    "{}: {}; access token valid until {}, refresh deadline {}",
                    after.email,
                    render::paint("refreshed", render::Tone::Good),
                    render::local_time(after.access_expires_at),
                    render::local_date(after.refresh_deadline())
                )
            }
            Err(e) => {
                let tone = if e.code() == tenantry_core::ErrorCode::NeedsReconnect {
                    human += 1;
                    render::Tone::Bad
                } else {
                    failed += 1;
                    render::Tone::Warn
                };
                let failure = Failure::from(e);
                worst = worst.max(failure.status);
                anstream::println!("{}: {}", login.email, render::paint(&failure.message, tone));
            }
        }
    }
    if all {
        println!(
            "Refreshed {refreshed} of {count} logins; {human} need reconnecting, {failed} failed."
        );
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
    // A run over every login is the place to finish refreshes a crash left behind (each for its
    // own login, within Xero's 30-minute grace); keep-alive below then sees them settled.
    let recovered = engine.recover().await;
    if recovered.iter().any(|(_, r)| r.is_err()) {
        let logins = engine.logins().await?;
        for (id, result) in recovered {
            if let Err(e) = result {
                let who = logins
                    .iter()
                    .find(|l| l.id == id)
                    .map_or(id.to_string(), |l| l.email.clone());
                println!(
                    "{who}: finishing an interrupted refresh failed ({e}); it will be tried again"
                );
            }
        }
    }
    let total = engine.logins().await?.len();
    let progress = render::Progress::per_login(engine, "Keeping logins alive", total);
    let reports = engine.keepalive(Duration::days(days.into())).await;
    progress.stop();
    let reports = reports?;
    let summary = tenantry_core::engine::keepalive_summary(&reports, scheduled, "");
    let note = if scheduled {
        crate::notify::findings(&reports)
    } else {
        String::new()
    };
    engine
        .record_keepalive_run(&reports, scheduled, &note)
        .await;
    if scheduled {
        // With the app closed, nobody reads the scheduler's log: say it on the desktop too.
        crate::notify::say_due(engine).await;
    }
    let mut worst = exit::OK;
    for report in reports {
        match report.outcome {
            // Quiet when all is well: cron mails any output.
            KeepAliveOutcome::Refreshed { .. } | KeepAliveOutcome::NotDue { .. } => {}
            KeepAliveOutcome::NeedsReconnect { reason } => {
                worst = worst.max(exit::NEEDS_HUMAN);
                anstream::println!(
                    "{}: {} ({reason}). Run: tenantry connect --reconnect {}",
                    report.login.email,
                    render::paint("needs reconnecting", render::Tone::Bad),
                    report.login.email
                );
            }
            KeepAliveOutcome::Failed { message, .. } => {
                if worst != exit::NEEDS_HUMAN {
                    worst = exit::UNREACHABLE;
                }
                anstream::println!(
                    "{}: {} ({message}); it will be tried again on the next run",
                    report.login.email,
                    render::paint("keep-alive failed", render::Tone::Warn)
                );
            }
        }
    }
    // The summary for a person at a terminal, and for cron's mail when something needs one;
    // a run where all is well stays silent off a terminal.
    if worst != exit::OK || std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        println!("{summary}.");
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
        Some(sel) => Some(match select_login(&logins, sel) {
            Ok(login) => login.id,
            // A removed login is no longer listed, but its events are: its exact email or id.
            Err(e @ tenantry_core::EngineError::UnknownLogin(_)) => {
                engine.logged_login(sel).await?.ok_or(Failure::from(e))?
            }
            Err(e) => return Err(e.into()),
        }),
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
        println!("{}", render::zone_note(engine.now()));
    }
    Ok(exit::OK)
}
