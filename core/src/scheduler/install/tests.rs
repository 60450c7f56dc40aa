//! Tests of `install`.

use super::*;
use crate::scheduler::files::tests::job;

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
