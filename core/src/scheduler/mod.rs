//! Keep-alive while the app is closed: the platform's scheduler runs `tenantry keepalive
//! --scheduled` daily. [`files`] writes the files each scheduler reads (pure, unit-tested on
//! every platform); [`install`] installs, removes and finds them where they live: a systemd user
//! timer (falling back to a crontab line) on Linux, a launchd agent on macOS, a Task Scheduler
//! task on Windows.

mod files;
mod install;

pub use install::{detect, install, installed, uninstall};

use std::path::PathBuf;

/// The time of day the job runs. Midday, when a work laptop is most likely awake; systemd,
/// launchd and Task Scheduler also run a missed day's job when the machine next wakes.
pub const RUN_HOUR: u8 = 12;
pub const RUN_MINUTE: u8 = 17;

/// The command a scheduler runs: this `tenantry` binary, for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub exe: PathBuf,
    pub profile: String,
    /// The configuration file and data directory in effect when installing, passed explicitly
    /// so the job does not depend on the environment a scheduler gives it.
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    SystemdUser,
    Cron,
    Launchd,
    TaskScheduler,
}

impl Scheduler {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "systemd" => Some(Self::SystemdUser),
            "cron" => Some(Self::Cron),
            "launchd" => Some(Self::Launchd),
            "task-scheduler" | "schtasks" => Some(Self::TaskScheduler),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::SystemdUser => "systemd user timer",
            Self::Cron => "crontab",
            Self::Launchd => "launchd agent",
            Self::TaskScheduler => "Task Scheduler task",
        }
    }
}

/// Where a job is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub scheduler: Scheduler,
    /// The file, crontab or task name holding it.
    pub location: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "no scheduler found: this system has neither a running systemd user manager nor `crontab`; install cron (`sudo apt install cron`) or run `tenantry keepalive` from your own scheduler"
    )]
    NoScheduler,
    #[error("{scheduler} is not available here: {reason}")]
    Unavailable {
        scheduler: &'static str,
        reason: String,
    },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the path {0} cannot be written into a scheduler's file (it contains a line break or a control character); move tenantry somewhere plainer"
    )]
    UnsafePath(String),
}

impl Job {
    fn checked(&self) -> Result<(), ScheduleError> {
        for text in [self.exe.to_string_lossy().as_ref(), self.profile.as_str()]
            .into_iter()
            .chain(
                self.config
                    .iter()
                    .chain(&self.data_dir)
                    .map(|c| c.to_str().unwrap_or("\n")),
            )
        {
            if text.chars().any(char::is_control) {
                return Err(ScheduleError::UnsafePath(text.escape_debug().to_string()));
            }
        }
        Ok(())
    }

    /// The arguments after the program.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--profile".to_owned(), self.profile.clone()];
        if let Some(config) = &self.config {
            args.push("--config".into());
            args.push(config.display().to_string());
        }
        if let Some(dir) = &self.data_dir {
            args.push("--data-dir".into());
            args.push(dir.display().to_string());
        }
        args.push("keepalive".into());
        args.push("--scheduled".into());
        args
    }

    /// The unit, label and task name: one job per profile.
    pub fn name(&self) -> String {
        let safe: String = self
            .profile
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if self.profile == "default" {
            "tenantry-keepalive".into()
        } else {
            format!("tenantry-keepalive-{safe}")
        }
    }
}
