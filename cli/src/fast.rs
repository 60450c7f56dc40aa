//! The hot path of `tenantry token`: a script that asks for a token many times wants the running
//! token agent's answer as soon as the process starts, and clap building the whole command tree
//! (every command, its help and completions) and tracing's set-up cost more than the answer.
//! So the plain forms of `token` are read here by hand first, and anything else — a flag this
//! does not know, a repeated option, `--help`, a conflict — is left to clap, which then reads
//! the whole line as it always did and says what is wrong. When no agent answers, the normal
//! path runs, without asking the agent again.

use crate::{Failure, TokenFormat};
use clap::ValueEnum;
use std::ffi::OsString;
use std::path::PathBuf;

/// What the fast path did.
pub enum Fast {
    /// The agent answered (a token printed, or its failure to report).
    Answered(Result<u8, Failure>),
    /// The agent was asked and did not answer: the normal path, without asking again.
    NoAgent,
    /// Not a plain `token` line: the normal path.
    NotTried,
}

/// `tenantry token` as the plain forms write it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TokenLine {
    pub profile: Option<String>,
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub org: String,
    pub format: Option<TokenFormat>,
    pub json: bool,
    pub env: bool,
    pub login: Option<String>,
}

/// Reads `args` (without the program's name) as a plain `token` line, or `None`.
pub fn token_line(args: &[OsString]) -> Option<TokenLine> {
    let mut line = TokenLine::default();
    let (mut seen_token, mut org) = (false, None);
    let mut args = args.iter().map(|a| a.to_str());
    while let Some(arg) = args.next() {
        let arg = arg?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (arg, None),
        };
        let mut value = || -> Option<String> {
            let v = match inline {
                Some(v) => v.to_owned(),
                None => args.next()??.to_owned(),
            };
            // A value that looks like a flag is clap's to judge.
            (!v.starts_with('-')).then_some(v)
        };
        match name {
            "--profile" => set_once(&mut line.profile, value()?)?,
            "--config" => set_once(&mut line.config, value()?.into())?,
            "--data-dir" => set_once(&mut line.data_dir, value()?.into())?,
            "--format" if seen_token => set_once(
                &mut line.format,
                TokenFormat::from_str(&value()?, false).ok()?,
            )?,
            "--login" if seen_token => set_once(&mut line.login, value()?)?,
            "--json" if seen_token && inline.is_none() && !line.json => line.json = true,
            "--env" if seen_token && inline.is_none() && !line.env => line.env = true,
            "token" if !seen_token => seen_token = true,
            positional if seen_token && org.is_none() && !positional.starts_with('-') => {
                org = Some(positional.to_owned());
            }
            _ => return None,
        }
    }
    line.org = org.filter(|o| !o.is_empty())?;
    let conflict = (line.format.is_some() && (line.json || line.env)) || (line.json && line.env);
    (seen_token && !conflict).then_some(line)
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// Asks the running token agent for a plain `token` line's token.
pub fn token() -> Fast {
    // Someone reading the log wants all of it: the normal path sets tracing up.
    if std::env::var_os("TENANTRY_LOG").is_some() {
        return Fast::NotTried;
    }
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some(line) = token_line(&args) else {
        return Fast::NotTried;
    };
    // A profile named with a configuration file gets a note: clap's path says it.
    if line.profile.is_some()
        && tenantry_core::config::config_named(line.config.as_deref()).is_some()
    {
        return Fast::NotTried;
    }
    let profile = match &line.profile {
        Some(p) => p.clone(),
        // As clap reads it: the variable when it is set and not empty, else the default.
        None => match std::env::var("TENANTRY_PROFILE") {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => return Fast::NotTried,
            Err(std::env::VarError::NotPresent) => "default".to_owned(),
            Err(std::env::VarError::NotUnicode(_)) => return Fast::NotTried,
        },
    };
    ask(&line, &profile)
}

/// Asks the token agent for `line`'s token, for `profile`: the one path from a command line to
/// the agent, for the hand reader above and, for the lines it leaves, clap's.
pub fn ask(line: &TokenLine, profile: &str) -> Fast {
    let Ok(paths) = tenantry_core::config::ProfilePaths::resolve_with(
        profile,
        line.config.as_deref(),
        line.data_dir.as_deref(),
    ) else {
        return Fast::NotTried;
    };
    let format = TokenFormat::chosen(line.format, line.json, line.env);
    match crate::token_cmd::from_agent(
        &paths,
        &line.org,
        line.login.as_deref(),
        format == TokenFormat::Json,
    ) {
        Some(handed) => Fast::Answered(handed.and_then(|h| crate::token_cmd::print(format, &h))),
        None => Fast::NoAgent,
    }
}

impl TokenLine {
    /// A `token` line as clap read it (`None` for another command). Its profile is clap's, the
    /// default included.
    pub fn from_cli(cli: &crate::Cli) -> Option<Self> {
        let crate::Command::Token {
            org,
            format,
            json,
            env,
            login,
        } = &cli.command
        else {
            return None;
        };
        Some(Self {
            profile: Some(cli.profile.clone()),
            config: cli.config.clone(),
            data_dir: cli.data_dir.clone(),
            org: org.clone(),
            format: *format,
            json: *json,
            env: *env,
            login: login.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn line(args: &str) -> Option<TokenLine> {
        let args: Vec<OsString> = args.split_whitespace().map(OsString::from).collect();
        token_line(&args)
    }

    /// What clap makes of the same line, in the fast path's terms (`None` when it refuses it).
    fn by_clap(args: &str) -> Option<TokenLine> {
        let cli =
            crate::Cli::try_parse_from(std::iter::once("tenantry").chain(args.split_whitespace()))
                .ok()?;
        let line = TokenLine::from_cli(&cli)?;
        // The fast path leaves the default to the environment, as clap does.
        Some(TokenLine {
            profile: line.profile.filter(|p| p != "default"),
            ..line
        })
    }

    #[test]
    fn every_line_the_fast_path_takes_clap_reads_the_same() {
        for args in [
            "token Harbour",
            "token 9f1c --format json",
            "token 9f1c --format=exec-credential",
            "token Harbour --json --login ann@example.com",
            "--profile demo token Harbour --env",
            "token Harbour --profile=demo --data-dir /tmp/d --config /tmp/c.toml",
            "token --login=ann Harbour --format header",
        ] {
            let fast = line(args).unwrap_or_else(|| panic!("{args}: taken"));
            assert_eq!(Some(fast), by_clap(args), "{args}");
        }
    }

    #[test]
    fn anything_else_is_left_to_clap() {
        for args in [
            "",
            "status",
            "token",
            "token --help",
            "token Harbour extra",
            "token Harbour --json --env",
            "token Harbour --format json --json",
            "token Harbour --format gold",
            "token Harbour --login",
            "token Harbour --login a --login b",
            "token Harbour --json --json",
            "token Harbour --login -x",
            "token Harbour --verbose",
            "token -- Harbour",
            "Harbour token",
            "--profile a --profile b token Harbour",
            "token Harbour --json=yes",
            "--format json token Harbour",
        ] {
            assert_eq!(line(args), None, "{args:?}");
        }
    }
}
