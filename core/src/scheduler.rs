//! Keep-alive while the app is closed: the platform's scheduler runs `tenantry keepalive
//! --scheduled` daily. This module writes the files each scheduler reads (pure, unit-tested on
//! every platform) and installs, removes and finds them where they live: a systemd user timer
//! (falling back to a crontab line) on Linux, a launchd agent on macOS, a Task Scheduler task
//! on Windows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

    /// `NAME.service`: one keep-alive run. systemd user services see the session's D-Bus, so
    /// the keychain is reachable while the user is logged in.
    pub fn systemd_service(&self) -> String {
        let exec: Vec<String> = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| systemd_quote(&a))
            .collect();
        format!(
            "# Written by `tenantry keepalive --install`; removed by `--uninstall`.\n\
             [Unit]\n\
             Description=Tenantry keep-alive ({profile}): refresh Xero logins before 60 days unused\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart={exec}\n",
            profile = self.profile.replace('%', "%%"),
            exec = exec.join(" "),
        )
    }

    /// `NAME.timer`: daily, catching up after the machine was off (`Persistent`).
    pub fn systemd_timer(&self) -> String {
        format!(
            "# Written by `tenantry keepalive --install`; removed by `--uninstall`.\n\
             [Unit]\n\
             Description=Run Tenantry keep-alive ({profile}) daily\n\
             \n\
             [Timer]\n\
             OnCalendar=*-*-* {RUN_HOUR:02}:{RUN_MINUTE:02}:00\n\
             Persistent=true\n\
             RandomizedDelaySec=15min\n\
             Unit={name}.service\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n",
            profile = self.profile.replace('%', "%%"),
            name = self.name(),
        )
    }

    /// The crontab line. Cron jobs get no session environment, so the line points D-Bus at the
    /// user's session bus, where the keychain lives. Ends with a marker naming the profile, by
    /// which install and uninstall find it and touch no other line.
    pub fn cron_line(&self) -> String {
        let command: Vec<String> = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| shell_quote(&a).replace('%', "\\%"))
            .collect();
        format!(
            "{RUN_MINUTE} {RUN_HOUR} * * * DBUS_SESSION_BUS_ADDRESS=${{DBUS_SESSION_BUS_ADDRESS:-unix:path=/run/user/$(id -u)/bus}} {} >/dev/null 2>&1 {}",
            command.join(" "),
            self.cron_marker()
        )
    }

    fn cron_marker(&self) -> String {
        format!("# {}", self.name())
    }

    /// The launchd agent's label and plist (`~/Library/LaunchAgents/LABEL.plist`).
    pub fn launchd_label(&self) -> String {
        format!("app.tenantry.{}", self.name())
    }

    pub fn launchd_plist(&self) -> String {
        let args: String = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| format!("\n    <string>{}</string>", xml_escape(&a)))
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by `tenantry keepalive --install`; removed by `--uninstall`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{label}</string>
  <key>ProgramArguments</key>
  <array>{args}
  </array>
  <key>StartCalendarInterval</key>
  <dict>
    <key>Hour</key>
    <integer>{RUN_HOUR}</integer>
    <key>Minute</key>
    <integer>{RUN_MINUTE}</integer>
  </dict>
  <key>ProcessType</key>
  <string>Background</string>
</dict>
</plist>
"#,
            label = xml_escape(&self.launchd_label()),
        )
    }

    /// The Task Scheduler task's name and its XML (`schtasks /Create /XML`).
    pub fn task_name(&self) -> String {
        format!("Tenantry\\{}", self.name())
    }

    pub fn task_xml(&self) -> String {
        let args: Vec<String> = self.args().iter().map(|a| windows_quote(a)).collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Tenantry keep-alive ({profile}): refresh Xero logins before 60 days unused. Written by `tenantry keepalive --install`.</Description>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2026-01-01T{RUN_HOUR:02}:{RUN_MINUTE:02}:00</StartBoundary>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{exe}</Command>
      <Arguments>{args}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
            profile = xml_escape(&self.profile),
            exe = xml_escape(&self.exe.display().to_string()),
            args = xml_escape(&args.join(" ")),
        )
    }
}

/// systemd's ExecStart quoting: double quotes, with `\`, `"` escaped and `%` doubled (specifier)
/// and `$` doubled (variable expansion).
fn systemd_quote(arg: &str) -> String {
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    format!("\"{escaped}\"")
}

/// POSIX shell single quotes.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.=:".contains(c))
    {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// One argument for a Windows command line (CommandLineToArgvW rules).
fn windows_quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_owned();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

// ---- installing: the imperative shell around the files above ----

/// The scheduler `install` uses when none is named.
pub fn detect() -> Option<Scheduler> {
    if cfg!(target_os = "macos") {
        Some(Scheduler::Launchd)
    } else if cfg!(windows) {
        Some(Scheduler::TaskScheduler)
    } else if systemd_user_reachable() {
        Some(Scheduler::SystemdUser)
    } else if has_program("crontab") {
        Some(Scheduler::Cron)
    } else {
        None
    }
}

/// Installs (or rewrites, so running it twice leaves one job) the job with `scheduler`.
pub fn install(job: &Job, scheduler: Scheduler) -> Result<Installed, ScheduleError> {
    job.checked()?;
    match scheduler {
        Scheduler::SystemdUser => {
            if !systemd_user_reachable() {
                return Err(ScheduleError::Unavailable {
                    scheduler: scheduler.name(),
                    reason: "no systemd user manager answers `systemctl --user` (try `--scheduler cron`)".into(),
                });
            }
            let dir = systemd_user_dir();
            let service = dir.join(format!("{}.service", job.name()));
            let timer = dir.join(format!("{}.timer", job.name()));
            write(&service, &job.systemd_service())?;
            write(&timer, &job.systemd_timer())?;
            run("systemctl", &["--user", "daemon-reload"], None)?;
            run(
                "systemctl",
                &[
                    "--user",
                    "enable",
                    "--now",
                    &format!("{}.timer", job.name()),
                ],
                None,
            )?;
            Ok(Installed {
                scheduler,
                location: timer.display().to_string(),
            })
        }
        Scheduler::Cron => {
            let current = read_crontab()?;
            let next = crontab_with(&current, job, true);
            if next != current {
                run("crontab", &["-"], Some(&next))?;
            }
            Ok(Installed {
                scheduler,
                location: "crontab".into(),
            })
        }
        Scheduler::Launchd => {
            let plist = launch_agents_dir().join(format!("{}.plist", job.launchd_label()));
            write(&plist, &job.launchd_plist())?;
            let target = format!("gui/{}", current_uid()?);
            // bootout first, so reinstalling replaces a loaded job instead of failing.
            let _ = run(
                "launchctl",
                &["bootout", &format!("{target}/{}", job.launchd_label())],
                None,
            );
            run(
                "launchctl",
                &["bootstrap", &target, &plist.display().to_string()],
                None,
            )?;
            Ok(Installed {
                scheduler,
                location: plist.display().to_string(),
            })
        }
        Scheduler::TaskScheduler => {
            let file = std::env::temp_dir().join(format!("{}.xml", job.name()));
            write(&file, &job.task_xml())?;
            let result = run(
                "schtasks",
                &[
                    "/Create",
                    "/F",
                    "/TN",
                    &job.task_name(),
                    "/XML",
                    &file.display().to_string(),
                ],
                None,
            );
            let _ = std::fs::remove_file(&file);
            result?;
            Ok(Installed {
                scheduler,
                location: job.task_name(),
            })
        }
    }
}

/// Removes the job from wherever it is installed; returns where it was (empty: nowhere).
pub fn uninstall(job: &Job) -> Result<Vec<Installed>, ScheduleError> {
    let found = installed(job);
    for place in &found {
        match place.scheduler {
            Scheduler::SystemdUser => {
                let timer = format!("{}.timer", job.name());
                // The manager may be gone (no session); removing the files is what matters.
                let _ = run("systemctl", &["--user", "disable", "--now", &timer], None);
                let dir = systemd_user_dir();
                for ext in ["timer", "service"] {
                    let path = dir.join(format!("{}.{ext}", job.name()));
                    if let Err(e) = std::fs::remove_file(&path)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        return Err(ScheduleError::Write { path, source: e });
                    }
                }
                let _ = run("systemctl", &["--user", "daemon-reload"], None);
            }
            Scheduler::Cron => {
                let current = read_crontab()?;
                run("crontab", &["-"], Some(&crontab_with(&current, job, false)))?;
            }
            Scheduler::Launchd => {
                let _ = run(
                    "launchctl",
                    &[
                        "bootout",
                        &format!("gui/{}/{}", current_uid()?, job.launchd_label()),
                    ],
                    None,
                );
                let path = PathBuf::from(&place.location);
                std::fs::remove_file(&path)
                    .map_err(|source| ScheduleError::Write { path, source })?;
            }
            Scheduler::TaskScheduler => {
                run(
                    "schtasks",
                    &["/Delete", "/F", "/TN", &job.task_name()],
                    None,
                )?;
            }
        }
    }
    Ok(found)
}

/// Where the job is installed now (usually one place, or none).
pub fn installed(job: &Job) -> Vec<Installed> {
    let mut found = Vec::new();
    if cfg!(target_os = "macos") {
        let plist = launch_agents_dir().join(format!("{}.plist", job.launchd_label()));
        if plist.exists() {
            found.push(Installed {
                scheduler: Scheduler::Launchd,
                location: plist.display().to_string(),
            });
        }
    } else if cfg!(windows) {
        if run("schtasks", &["/Query", "/TN", &job.task_name()], None).is_ok() {
            found.push(Installed {
                scheduler: Scheduler::TaskScheduler,
                location: job.task_name(),
            });
        }
    } else {
        let timer = systemd_user_dir().join(format!("{}.timer", job.name()));
        if timer.exists() {
            found.push(Installed {
                scheduler: Scheduler::SystemdUser,
                location: timer.display().to_string(),
            });
        }
        if has_program("crontab")
            && read_crontab().is_ok_and(|tab| tab.lines().any(|l| is_jobs_line(l, job)))
        {
            found.push(Installed {
                scheduler: Scheduler::Cron,
                location: "crontab".into(),
            });
        }
    }
    found
}

fn is_jobs_line(line: &str, job: &Job) -> bool {
    line.trim_end().ends_with(&job.cron_marker())
}

/// The crontab with this job's line removed and, if `present`, added once at the end. Every
/// other line is kept exactly.
fn crontab_with(current: &str, job: &Job, present: bool) -> String {
    let mut lines: Vec<String> = current
        .lines()
        .filter(|l| !is_jobs_line(l, job))
        .map(str::to_owned)
        .collect();
    if present {
        lines.push(job.cron_line());
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n'); // cron ignores a last line without a newline
    }
    text
}

fn read_crontab() -> Result<String, ScheduleError> {
    let out = Command::new("crontab")
        .arg("-l")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ScheduleError::Unavailable {
            scheduler: Scheduler::Cron.name(),
            reason: format!("cannot run `crontab` ({e}); install cron"),
        })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("no crontab") {
        Ok(String::new())
    } else {
        Err(ScheduleError::Command {
            command: "crontab -l".into(),
            detail: err.trim().to_owned(),
        })
    }
}

fn systemd_user_reachable() -> bool {
    !cfg!(windows)
        && !cfg!(target_os = "macos")
        && Command::new("systemctl")
            .args(["--user", "show-environment"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn has_program(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

fn systemd_user_dir() -> PathBuf {
    config_home().join("systemd").join("user")
}

fn config_home() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".config"))
}

fn launch_agents_dir() -> PathBuf {
    home().join("Library").join("LaunchAgents")
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn current_uid() -> Result<String, ScheduleError> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| ScheduleError::Command {
            command: "id -u".into(),
            detail: e.to_string(),
        })?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn write(path: &Path, text: &str) -> Result<(), ScheduleError> {
    let fail = |source| ScheduleError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<(), ScheduleError> {
    use std::io::Write;
    let command = format!("{program} {}", args.join(" "));
    let failed = |detail: String| ScheduleError::Command {
        command: command.clone(),
        detail,
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .map_err(|e| failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(failed(format!(
            "{} ({})",
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(profile: &str, exe: &str) -> Job {
        Job {
            exe: exe.into(),
            profile: profile.into(),
            config: None,
            data_dir: None,
        }
    }

    #[test]
    fn each_profile_has_its_own_job_name() {
        assert_eq!(job("default", "/t").name(), "tenantry-keepalive");
        assert_eq!(
            job("client a/b", "/t").name(),
            "tenantry-keepalive-client_a_b",
            "a profile name becomes a safe unit name"
        );
    }

    #[test]
    fn the_systemd_units_run_the_scheduled_keepalive_daily_and_catch_up() {
        let job = Job {
            config: Some("/home/me/my $conf%.toml".into()),
            ..job("work", "/opt/Ten antry/tenantry")
        };
        let service = job.systemd_service();
        assert!(
            service.contains(
                r#"ExecStart="/opt/Ten antry/tenantry" "--profile" "work" "--config" "/home/me/my $$conf%%.toml" "keepalive" "--scheduled""#
            ),
            "a path with spaces, $ and % must reach the program unchanged:\n{service}"
        );
        assert!(service.contains("Type=oneshot"));
        let timer = job.systemd_timer();
        for line in [
            "OnCalendar=*-*-* 12:17:00",
            "Persistent=true",
            "Unit=tenantry-keepalive-work.service",
            "WantedBy=timers.target",
        ] {
            assert!(
                timer.lines().any(|l| l == line),
                "{line}: daily, and a day missed while the laptop was shut runs at the next boot"
            );
        }
    }

    #[test]
    fn the_cron_line_reaches_the_session_keychain_and_carries_its_marker() {
        let line = job("o'brien", "/usr/bin/tenantry").cron_line();
        assert!(
            line.starts_with("17 12 * * * DBUS_SESSION_BUS_ADDRESS="),
            "daily at 12:17, with the session bus the keychain needs: {line}"
        );
        assert!(
            line.contains(r"/usr/bin/tenantry --profile 'o'\''brien' keepalive --scheduled"),
            "arguments are shell-quoted: {line}"
        );
        assert!(line.ends_with("# tenantry-keepalive-o_brien"));
        let percent = job("100%", "/usr/bin/tenantry").cron_line();
        assert!(
            percent.contains(r"'100\%'"),
            "cron turns a bare % into a newline, so it is escaped: {percent}"
        );
    }

    #[test]
    fn editing_the_crontab_touches_only_this_jobs_line() {
        let work = job("work", "/usr/bin/tenantry");
        let other = job("home", "/usr/bin/tenantry");
        let mine = "MAILTO=me\n0 3 * * * backup --all\n";
        let once = crontab_with(mine, &work, true);
        let twice = crontab_with(&once, &work, true);
        assert_eq!(once, twice, "installing twice leaves one line");
        assert_eq!(once.matches("--scheduled").count(), 1);
        assert!(
            once.starts_with(mine),
            "the user's lines stay first and unchanged"
        );
        let both = crontab_with(&once, &other, true);
        let without_work = crontab_with(&both, &work, false);
        assert_eq!(
            without_work,
            crontab_with(mine, &other, true),
            "removing one profile's job keeps the other's"
        );
        assert_eq!(
            crontab_with(&once, &work, false),
            mine,
            "and the user's lines"
        );
        assert_eq!(
            crontab_with("", &work, false),
            "",
            "an empty crontab stays empty"
        );
    }

    #[test]
    fn the_launchd_agent_is_well_formed_and_escaped() {
        let plist = job(
            "R&D <east>",
            "/Applications/Tenantry.app/Contents/MacOS/tenantry",
        )
        .launchd_plist();
        assert!(plist.contains("<string>app.tenantry.tenantry-keepalive-R_D__east_</string>"));
        assert!(
            plist.contains("<string>R&amp;D &lt;east&gt;</string>"),
            "XML special characters in an argument are escaped:\n{plist}"
        );
        assert!(plist.contains("<key>Hour</key>\n    <integer>12</integer>"));
        assert_eq!(
            plist.matches("<dict>").count(),
            plist.matches("</dict>").count(),
            "balanced"
        );
        assert_eq!(
            plist.matches("<string>").count(),
            plist.matches("</string>").count()
        );
        assert!(
            !plist.contains("RunAtLoad"),
            "installing must not run it at once"
        );
    }

    #[test]
    fn the_windows_task_runs_daily_when_available_and_quotes_arguments() {
        let job = Job {
            config: Some(r#"C:\Users\Me\My Config\"x".toml"#.into()),
            ..job("default", r"C:\Program Files\Tenantry\tenantry.exe")
        };
        let xml = job.task_xml();
        assert!(xml.contains(r"<Command>C:\Program Files\Tenantry\tenantry.exe</Command>"));
        assert!(
            xml.contains(
                r#"<Arguments>--profile default --config &quot;C:\Users\Me\My Config\\\&quot;x\&quot;.toml&quot; keepalive --scheduled</Arguments>"#
            ),
            "a config path with spaces and quotes survives Windows' argument rules:\n{xml}"
        );
        assert!(xml.contains("<StartWhenAvailable>true</StartWhenAvailable>"));
        assert!(xml.contains("<DaysInterval>1</DaysInterval>"));
        assert_eq!(job.task_name(), r"Tenantry\tenantry-keepalive");
        assert_eq!(windows_quote(r"a\b"), r"a\b");
        assert_eq!(windows_quote(r"a b\"), r#""a b\\""#);
    }

    #[test]
    fn a_path_with_a_line_break_is_refused() {
        let bad = job("default", "/tmp/evil\n* * * * * rm -rf ~");
        assert!(
            matches!(
                install(&bad, Scheduler::Cron),
                Err(ScheduleError::UnsafePath(_))
            ),
            "a newline would add a crontab line of its own"
        );
    }
}
