//! Whose process is on the other end of a named pipe. Windows has no peer uid on a pipe, only
//! the peer's process id; the process's user (its token's SID) is read through `sysinfo`, as
//! the project forbids `unsafe` and so calls no Win32 function itself.

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// Whether process `pid` runs as the same user as this one. A process that cannot be read
/// (gone, or another user's and so closed to us) is not this user's.
pub fn is_this_users_process(pid: u32) -> bool {
    let ours = Pid::from_u32(std::process::id());
    let theirs = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[ours, theirs]),
        false,
        ProcessRefreshKind::nothing().with_user(UpdateKind::Always),
    );
    let user = |pid| system.process(pid).and_then(|p| p.user_id()).cloned();
    match (user(ours), user(theirs)) {
        (Some(ours), Some(theirs)) => ours == theirs,
        _ => false,
    }
}
