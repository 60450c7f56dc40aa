//! Reading the command line: whether `--profile` was given, and what to say when a configuration
//! file wins over it.

use super::{Cli, Command};

impl Cli {
    /// The command line as clap reads it, knowing whether `--profile` was given.
    pub fn read() -> Self {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        cli.profile_given = matches.value_source("profile") == Some(ValueSource::CommandLine);
        cli
    }

    /// What to say when `--profile` was given and a configuration file wins over it. The
    /// keep-alive job's own line names both, and cron would mail the note every day.
    pub fn profile_overridden(&self) -> Option<String> {
        let scheduled = matches!(
            self.command,
            Command::Keepalive {
                scheduled: true,
                ..
            }
        );
        (self.profile_given && !scheduled)
            .then(|| {
                tenantry_core::config::profile_overridden(
                    &self.profile,
                    self.config.as_deref(),
                    self.data_dir.as_deref(),
                )
            })
            .flatten()
    }
}
