//! TLS to the practice database: what `sslmode` and `sslrootcert` ask for, read as libpq reads
//! them (from `database_url`, else `PGSSLMODE` and `PGSSLROOTCERT`), what that means for a
//! connection ([`Tls`]), the connector that does it, and what to tell the person who must fix a
//! refusal.
//!
//! The PostgreSQL client crate knows only `disable`, `prefer` and `require` (it refuses
//! `verify-ca` and `verify-full` as bad values) and reads no root certificate, so Tenantry takes
//! both settings out of the URL before the client parses it, and decides here. The decisions
//! are pure functions with table tests; the connector is rustls on Linux (`over_rustls.rs`) and
//! the platform's own TLS on macOS and Windows (`over_native.rs`), as for the product's HTTPS
//! (docs/ARCHITECTURE.md says why).

use std::path::PathBuf;

#[cfg(not(target_os = "linux"))]
mod over_native;
#[cfg(target_os = "linux")]
mod over_rustls;
mod settings;
#[cfg(test)]
mod tests;

pub(super) use settings::{Env, Given, RootCert, Source, SslMode, split};

#[cfg(not(target_os = "linux"))]
use over_native as backend;
#[cfg(target_os = "linux")]
use over_rustls as backend;

/// Where a connection goes, as far as TLS is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// This machine, over TCP (127.0.0.0/8, ::1, `localhost`).
    Loopback,
    /// Another machine: the network in between may be anyone's.
    Network,
    /// A Unix socket, where PostgreSQL never speaks TLS (libpq ignores sslmode there).
    Socket,
}

/// Whether `host` (a name or an address, as the URL gives it) is this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where the hosts and addresses `config` names go: another machine if any of them does.
pub(super) fn reach(config: &postgres::Config) -> Reach {
    // Until a TCP host is seen: Unix sockets only, or no host at all (a local socket for libpq).
    let mut reach = Reach::Socket;
    let hosts = config.get_hosts().iter().map(|host| match host {
        postgres::config::Host::Tcp(name) if is_loopback(name) => Reach::Loopback,
        postgres::config::Host::Tcp(_) => Reach::Network,
        #[cfg(unix)]
        postgres::config::Host::Unix(_) => Reach::Socket,
    });
    let addresses = config.get_hostaddrs().iter().map(|ip| {
        if ip.is_loopback() {
            Reach::Loopback
        } else {
            Reach::Network
        }
    });
    for one in hosts.chain(addresses) {
        match one {
            Reach::Network => return Reach::Network,
            Reach::Loopback => reach = Reach::Loopback,
            Reach::Socket => {}
        }
    }
    reach
}

/// What is checked of the server's certificate when TLS is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing: encryption against someone listening, not against someone in the middle.
    Nothing,
    /// The chain leads to a CA in this file; any host name.
    Chain(PathBuf),
    /// The chain leads to these roots, and the certificate is for the host the URL names.
    ChainAndName(RootCert),
}

/// What a connection does about TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// In the clear.
    Off,
    /// TLS with any certificate when the server offers it, in the clear when it does not.
    IfOffered,
    /// TLS or no connection, checking this much.
    Required(Check),
}

/// The decision for one database: the plan, and the mode it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tls {
    mode: SslMode,
    from: Source,
    plan: Plan,
}

impl Given {
    /// What the settings mean for a connection that goes where `reach` says, as libpq documents
    /// them, with one difference: without `sslmode` anywhere, a server on another machine gets
    /// `verify-full`, not libpq's `prefer`. `prefer` falls back to the clear whenever the
    /// server seems not to offer TLS, so anyone on the network between can take TLS away
    /// silently, and it takes any certificate, so anyone there can also read everything;
    /// loopback has no one in between, so it keeps `prefer` (and a local server without TLS
    /// still works).
    pub(super) fn decide(&self, reach: Reach) -> Result<Tls, String> {
        let (mode, from) = match (self.mode, &self.root) {
            (Some(given), _) => given,
            // libpq 16: the system's CAs make sense only with the host name checked.
            (None, Some(RootCert::System)) => (SslMode::VerifyFull, Source::Default),
            (None, _) if reach == Reach::Network => (SslMode::VerifyFull, Source::Default),
            (None, _) => (SslMode::Prefer, Source::Default),
        };
        let tls = |plan| Ok(Tls { mode, from, plan });
        if reach == Reach::Socket {
            return tls(Plan::Off);
        }
        match (mode, &self.root) {
            (SslMode::VerifyFull, root) => {
                let roots = root.clone().unwrap_or(RootCert::System);
                tls(Plan::Required(Check::ChainAndName(roots)))
            }
            (_, Some(RootCert::System)) => Err(format!(
                "sslrootcert=system needs sslmode=verify-full, not {}: {ANYONES_NAMES} (libpq 16 refuses it too)",
                mode.name()
            )),
            (SslMode::Disable, _) => tls(Plan::Off),
            // prefer can be talked into the clear anyway: checking the certificate adds nothing.
            (SslMode::Prefer, _) => tls(Plan::IfOffered),
            (SslMode::Require, None) => tls(Plan::Required(Check::Nothing)),
            // libpq: require with a root certificate checks the chain, as verify-ca does.
            (SslMode::Require | SslMode::VerifyCa, Some(RootCert::File(path))) => {
                tls(Plan::Required(Check::Chain(path.clone())))
            }
            // libpq has no system fallback here either: it wants ~/.postgresql/root.crt.
            (SslMode::VerifyCa, None) => Err(format!(
                "sslmode=verify-ca needs sslrootcert=PATH, the file of the CA that signed the server's certificate ({ANYONES_NAMES}); or use sslmode=verify-full"
            )),
        }
    }
}

/// Why the system's CAs are worth trusting only with the host name checked.
const ANYONES_NAMES: &str = "the system's CAs sign certificates for anyone's own names, so only the host name check makes them mean anything";

impl Tls {
    /// What the client crate itself is told: whether to ask for TLS, and whether to insist.
    pub(super) fn client_mode(&self) -> postgres::config::SslMode {
        match self.plan {
            Plan::Off => postgres::config::SslMode::Disable,
            Plan::IfOffered => postgres::config::SslMode::Prefer,
            Plan::Required(_) => postgres::config::SslMode::Require,
        }
    }

    /// `sslmode=require in database_url`: the mode, and where to change it, for messages.
    fn mode_said(&self) -> String {
        let mode = self.mode.name();
        match self.from {
            Source::Url => format!("sslmode={mode} in database_url"),
            Source::Env => format!("sslmode={mode} from PGSSLMODE"),
            Source::Default => format!("sslmode={mode} (the default: database_url gives none)"),
        }
    }
}

/// Opens connections as a [`Tls`] says. Built once per database (it may read the root
/// certificate file and the system's trusted CAs), then shared by every connection to it.
#[derive(Clone)]
pub(super) struct Connector(Option<backend::Connector>);

impl Connector {
    /// The connector for `tls`; Err (what to fix) when its root certificate file cannot be read.
    pub(super) fn new(tls: &Tls) -> Result<Self, String> {
        Ok(Self(match &tls.plan {
            Plan::Off => None,
            plan => Some(backend::Connector::new(plan)?),
        }))
    }

    pub(super) fn connect(
        &self,
        config: &postgres::Config,
    ) -> Result<postgres::Client, postgres::Error> {
        match &self.0 {
            None => config.connect(postgres::NoTls),
            Some(tls) => tls.connect(config),
        }
    }
}

/// The CA certificates in the PEM file `path` (one or more), or what is wrong with it.
fn read_roots(
    path: &std::path::Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?;
    let roots = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert {shown} is not a PEM certificate file: {e}"))?;
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {shown} holds no certificate (it must be PEM: -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(roots)
}

/// Why a TLS connection was refused, in terms a fix can be named for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    not(target_os = "linux"),
    expect(
        dead_code,
        reason = "only rustls's errors tell the certificate's faults apart; the platform's TLS gives a handshake failure"
    )
)]
pub(super) enum Refusal {
    /// The server answered that it does not do TLS, and the mode requires it.
    NotOffered,
    /// The certificate is not for the host the URL names; `presented` is what it is for.
    WrongName {
        expected: String,
        presented: Vec<String>,
    },
    /// The chain leads to no trusted root.
    UnknownIssuer,
    /// The certificate has expired, or is not valid yet.
    OutOfDate,
    /// Any other fault with the certificate.
    Certificate(String),
    /// The handshake failed otherwise (no common protocol, an alert from the server, …).
    Handshake(String),
}

/// What went wrong with TLS in `e`, if it was TLS.
pub(super) fn refusal(e: &postgres::Error) -> Option<Refusal> {
    use std::error::Error as _;
    // The client's own words (tokio-postgres `Kind::Tls`), the one way it tells them apart.
    if !e.to_string().starts_with("error performing TLS handshake") {
        return None;
    }
    let cause = e.source()?;
    if cause.to_string() == "server does not support TLS" {
        return Some(Refusal::NotOffered);
    }
    Some(backend::refusal(cause).unwrap_or_else(|| Refusal::Handshake(cause.to_string())))
}

impl Tls {
    /// What to tell the user about `refusal`: what is wrong, and what to change.
    pub(super) fn explain(&self, refusal: &Refusal) -> String {
        let root_file = match &self.plan {
            Plan::Required(Check::Chain(path) | Check::ChainAndName(RootCert::File(path))) => {
                Some(path.display().to_string())
            }
            _ => None,
        };
        match refusal {
            Refusal::NotOffered => format!(
                "the server does not offer TLS, and {} requires it; ask its administrator to turn TLS on (ssl = on)",
                self.mode_said()
            ),
            Refusal::WrongName {
                expected,
                presented,
            } => {
                let names = if presented.is_empty() {
                    String::new()
                } else {
                    format!(" (it is for {})", presented.join(", "))
                };
                format!(
                    "the server's certificate is not valid for {expected}{names}; check the host name in database_url, or set sslmode=verify-ca with sslrootcert=PATH to check only that your CA signed it"
                )
            }
            Refusal::UnknownIssuer => match root_file {
                Some(file) => format!(
                    "the server's certificate is not signed by a CA in sslrootcert {file}; give the file of the CA that signed it"
                ),
                None => {
                    let why = match self.from {
                        Source::Default => {
                            " (checked because database_url gives no sslmode: verify-full is the default for a server on another machine)"
                        }
                        Source::Url | Source::Env => "",
                    };
                    format!(
                        "the server's certificate is not signed by a CA this system trusts{why}; give the CA's file as sslrootcert=PATH in database_url"
                    )
                }
            },
            Refusal::OutOfDate => "the server's certificate has expired or is not valid yet; check this machine's clock, or ask the server's administrator to renew it".into(),
            Refusal::Certificate(why) => format!(
                "the server's certificate was refused ({why}); ask the server's administrator, or check sslmode and sslrootcert in database_url"
            ),
            Refusal::Handshake(why) => format!(
                "the TLS handshake failed ({why}); check sslmode and sslrootcert in database_url"
            ),
        }
    }
}
