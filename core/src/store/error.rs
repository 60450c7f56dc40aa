//! What can go wrong with the metadata store (either backend), shaped by what the user does
//! about it.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database is locked by another process (another Tenantry, or a tool holding it open); try again in a moment"
    )]
    Busy,
    #[error("the data directory is read-only ({0}); make it writable")]
    ReadOnly(String),
    #[error("the disk is full; free some space and try again")]
    DiskFull,
    /// A read or write failed below SQLite: a full disk or quota, a file-size limit, a failing
    /// disk. Nothing half-written is kept (the transaction rolls back).
    #[error(
        "the data directory could not be written ({0}); check the disk has free space and is healthy, then try again"
    )]
    Io(String),
    #[error(
        "the database file is damaged ({0}); move it aside and reconnect your logins (tokens in the keychain are untouched)"
    )]
    Corrupt(String),
    #[error(
        "the database was written by a newer Tenantry (schema {found}, this build knows {known}); upgrade Tenantry"
    )]
    TooNew { found: i64, known: i64 },
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: String, reason: String },
    /// The practice database did not answer (down, unreachable, the link dropped).
    #[error(
        "cannot reach the practice database at {server} ({reason}); check the server is running and this machine can reach it, then try again"
    )]
    Unreachable { server: String, reason: String },
    /// The practice database answered and refused: the user, the password or the database name.
    #[error(
        "the practice database at {server} refused the connection ({reason}); check the user, the password (database_url, PGPASSWORD or ~/.pgpass) and the database name"
    )]
    Refused { server: String, reason: String },
    /// TLS to the practice database was refused: its certificate failed the check `sslmode`
    /// asks for, it offers no TLS where TLS is required, or `sslrootcert` cannot be read. Not a
    /// retry: `reason` says what to change (the host name, `sslmode`, `sslrootcert`, the server).
    #[error("cannot connect securely to the practice database at {server}: {reason}")]
    Tls { server: String, reason: String },
    #[error(
        "database_url is not a PostgreSQL URL: {0}; write it as postgres://USER@HOST:PORT/DATABASE"
    )]
    BadUrl(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => Self::Busy,
            Some(C::ReadOnly) => Self::ReadOnly(e.to_string()),
            Some(C::DiskFull) => Self::DiskFull,
            Some(C::SystemIoFailure) => Self::Io(e.to_string()),
            Some(C::DatabaseCorrupt | C::NotADatabase) => Self::Corrupt(e.to_string()),
            _ => Self::Other(e.to_string()),
        }
    }
}

impl StoreError {
    /// Names the file: the user has to find it to move it aside or make it writable.
    pub(super) fn at(self, path: &Path) -> Self {
        match self {
            Self::Corrupt(detail) => Self::Corrupt(format!("{}: {detail}", path.display())),
            Self::ReadOnly(detail) => Self::ReadOnly(format!("{}: {detail}", path.display())),
            other => other,
        }
    }
}
