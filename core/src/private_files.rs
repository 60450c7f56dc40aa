//! Files and directories only their owner can read. The data directory names the user's clients
//! and holds the lock files and the metadata database; other accounts on the machine have no
//! business there. On Unix: directories 0700, files 0600. Elsewhere the platform's defaults
//! (per-user profile directories) stand.

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) readable by its owner only. An existing directory is left
/// as the user made it.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Opens `path` for writing, creating it readable by its owner only; an existing file that others
/// could read is tightened first (it may predate this rule).
pub fn open_file(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    tighten(&file)?;
    Ok(file)
}

/// Makes an existing file private, if it is not already. Missing files are fine. By path, never
/// by opening it: closing any descriptor of an SQLite file drops every POSIX lock this process
/// holds on it, including another connection's, and that connection may then corrupt it.
pub fn tighten_path(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => tighten_mode(path, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn tighten_mode(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_mode(_path: &Path, _meta: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn tighten(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_file: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_directories_are_private_and_old_ones_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "other users must not list the directory");
        let made = dir.join("new.lock");
        open_file(&made).unwrap();
        assert_eq!(mode(&made), 0o600, "a new file is private");
        let old = dir.join("old.db");
        std::fs::write(&old, b"x").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        tighten_path(&old).unwrap();
        assert_eq!(
            mode(&old),
            0o600,
            "a file an older version left readable is tightened"
        );
        tighten_path(&dir.join("missing")).expect("a missing file needs no tightening");
    }
}
