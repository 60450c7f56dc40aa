//! `tenantry`: Xero access tokens for scripts, and the state of every login, from the command
//! line. A thin layer over tenantry-core: parse the arguments, call the engine, print, and map
//! the outcome to a documented exit status (docs/CLI.md; `failure`). This file only dispatches.

mod args;
mod call_cmd;
mod calls_cmd;
mod check_cmd;
mod commands;
mod complete;
mod config_cmd;
mod connect_cmd;
#[cfg(feature = "demo")]
mod demo;
mod disconnect_cmd;
mod doctor;
mod each_cmd;
mod failure;
mod fast;
mod gateway_cmd;
mod handover_cmd;
mod notify;
mod orgs_cmd;
mod passphrase;
mod practice_cmd;
mod render;
mod report_cmd;
mod schedule_cmd;
mod status_cmd;
mod stop;
mod token_cmd;
mod usage_cmd;
mod verdict;

pub use args::{Cli, Command, ConfigAction, PracticeAction, TokenFormat};
pub use failure::{Failure, exit, exit_status};
use std::process::ExitCode;

/// `tenantry orgs | head -1`: once the reader has gone, end quietly as `cat` and `ls` do (the
/// shell sees the pipe signal) instead of failing a print and panicking with status 101. Every
/// change to the store is committed before anything is printed, so nothing is half-done.
/// (On Windows a closed pipe is an error a print cannot report; there it stays a panic.)
fn quiet_broken_pipe() {
    // Before any thread exists: the disposition is process-wide.
    sigpipe::reset();
}

fn main() -> ExitCode {
    quiet_broken_pipe();
    complete::answer_if_asked();
    let ask_agent = match fast::token() {
        fast::Fast::Answered(outcome) => return finish(outcome),
        fast::Fast::NoAgent => false,
        fast::Fast::NotTried => true,
    };
    let cli = Cli::read();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TENANTRY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // A log read from a pipe or a file is never coloured.
        .with_ansi(render::stderr_colour())
        .init();
    if let Command::Completions { shell } = &cli.command {
        return match complete::registration(*shell) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                eprintln!("tenantry: {}", failure.message);
                ExitCode::from(failure.status)
            }
        };
    }
    if let Some(note) = cli.profile_overridden() {
        eprintln!("tenantry: note: {note}");
    }
    // A `token` line the hand reader left: clap's reading of it, to the same agent.
    if ask_agent
        && let Some(line) = fast::TokenLine::from_cli(&cli)
        && let fast::Fast::Answered(outcome) = fast::ask(&line, &cli.profile)
    {
        return finish(outcome);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    finish(runtime.block_on(commands::run(cli)))
}

fn finish(outcome: Result<u8, Failure>) -> ExitCode {
    match outcome {
        Ok(status) => ExitCode::from(status),
        Err(failure) => {
            eprintln!("tenantry: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}
