//! Installing, removing and finding the job where each scheduler keeps it: the imperative shell
//! around [`super::files`].

use super::{Installed, Job, ScheduleError, Scheduler};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
            write(&service, job.systemd_service())?;
            write(&timer, job.systemd_timer())?;
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
            write(&plist, job.launchd_plist())?;
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
            write(&file, job.task_file())?;
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

fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), ScheduleError> {
    let fail = |source| ScheduleError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, contents).map_err(fail)
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
mod tests;
