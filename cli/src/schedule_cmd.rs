//! `tenantry keepalive --install | --uninstall | --print`: the daily job that keeps logins alive
//! while the app is closed. The files and the installing live in `tenantry_core::scheduler`.

use crate::{Cli, Failure, exit};
use tenantry_core::config::ProfilePaths;
use tenantry_core::scheduler::{self, Job, ScheduleError, Scheduler};

/// The job for this invocation's profile: this binary, with the configuration file and data
/// directory in effect written out in full.
pub fn job(cli: &Cli) -> Result<Job, Failure> {
    let paths =
        ProfilePaths::resolve_with(&cli.profile, cli.config.as_deref(), cli.data_dir.as_deref())
            .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| {
            Failure::new(
                exit::FAILURE,
                format!("cannot find this program's path: {e}"),
            )
        })?;
    Ok(Job {
        exe,
        profile: cli.profile.clone(),
        config: Some(std::path::absolute(&paths.config_file).unwrap_or(paths.config_file)),
        data_dir: Some(std::path::absolute(&paths.data_dir).unwrap_or(paths.data_dir)),
    })
}

pub fn run(
    job: &Job,
    install: bool,
    uninstall: bool,
    scheduler: Option<&str>,
) -> Result<u8, Failure> {
    let chosen = match scheduler {
        Some(name) => Some(Scheduler::parse(name).ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("unknown scheduler `{name}`; use systemd, cron, launchd or task-scheduler"),
            )
        })?),
        None => None,
    };
    if uninstall {
        let removed = scheduler::uninstall(job).map_err(failure)?;
        if removed.is_empty() {
            println!(
                "No keep-alive job was installed for profile {}.",
                job.profile
            );
        }
        for place in removed {
            println!(
                "Removed the {} ({}).",
                place.scheduler.name(),
                place.location
            );
        }
        return Ok(exit::OK);
    }
    let chosen = match chosen.or_else(scheduler::detect) {
        Some(s) => s,
        None => return Err(failure(ScheduleError::NoScheduler)),
    };
    if !install {
        print!("{}", files(job, chosen));
        return Ok(exit::OK);
    }
    let installed = scheduler::install(job, chosen).map_err(failure)?;
    println!(
        "Installed a {} ({}): `tenantry keepalive` runs daily at {:02}:{:02} for profile {}.",
        installed.scheduler.name(),
        installed.location,
        scheduler::RUN_HOUR,
        scheduler::RUN_MINUTE,
        job.profile
    );
    println!(
        "`tenantry doctor` shows when it last ran; `tenantry keepalive --uninstall` removes it."
    );
    Ok(exit::OK)
}

/// What `--print` shows: each file with the path it would be written to.
fn files(job: &Job, scheduler: Scheduler) -> String {
    match scheduler {
        Scheduler::SystemdUser => format!(
            "# ~/.config/systemd/user/{name}.service\n{}\n# ~/.config/systemd/user/{name}.timer\n{}",
            job.systemd_service(),
            job.systemd_timer(),
            name = job.name()
        ),
        Scheduler::Cron => format!("# a line in `crontab -e`\n{}\n", job.cron_line()),
        Scheduler::Launchd => format!(
            "<!-- ~/Library/LaunchAgents/{}.plist -->\n{}",
            job.launchd_label(),
            job.launchd_plist()
        ),
        Scheduler::TaskScheduler => format!(
            "<!-- schtasks /Create /TN \"{}\" /XML FILE -->\n{}",
            job.task_name(),
            job.task_xml()
        ),
    }
}

fn failure(e: ScheduleError) -> Failure {
    let status = match e {
        ScheduleError::NoScheduler | ScheduleError::Unavailable { .. } => exit::CONFIG,
        ScheduleError::UnsafePath(_) => exit::USAGE,
        ScheduleError::Command { .. } | ScheduleError::Write { .. } => exit::FAILURE,
    };
    Failure::new(status, e.to_string())
}
