//! The connector on Linux: rustls, with aws-lc-rs for the cryptography (the provider reqwest's
//! rustls already builds in, so nothing new is linked), through `tokio-postgres-rustls` (its
//! `tls-server-end-point` channel binding lets SCRAM bind the password exchange to the TLS
//! session). rustls checks chain and host name together; `verify-ca` and the unchecked modes
//! need verifiers of their own, below.

use super::{Check, Plan, Refusal, RootCert};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

#[derive(Clone)]
pub(super) struct Connector(MakeRustlsConnect);

impl Connector {
    pub(super) fn new(plan: &Plan) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match plan {
            Plan::Off | Plan::IfOffered | Plan::Required(Check::Nothing) => Arc::new(Verifier {
                check: AnyCertificate,
                provider: provider.clone(),
            }),
            Plan::Required(Check::Chain(path)) => Arc::new(Verifier {
                check: ChainOnly(roots(path)?),
                provider: provider.clone(),
            }),
            Plan::Required(Check::ChainAndName(RootCert::File(path))) => {
                rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots(path)?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?
            }
            Plan::Required(Check::ChainAndName(RootCert::System)) => {
                let system = rustls_platform_verifier::Verifier::new(provider.clone());
                Arc::new(system.map_err(|e| {
                    format!("cannot load this system's trusted CAs ({e}); give the server's CA as sslrootcert=PATH")
                })?)
            }
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Self(MakeRustlsConnect::new(config)))
    }

    pub(super) fn connect(
        &self,
        config: &postgres::Config,
    ) -> Result<postgres::Client, postgres::Error> {
        config.connect(self.0.clone())
    }
}

fn roots(path: &std::path::Path) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for root in super::read_roots(path)? {
        store
            .add(root)
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    }
    Ok(store)
}

/// rustls's refusal inside `cause` (tokio-rustls wraps it in an `io::Error`), in our terms.
pub(super) fn refusal(cause: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut next = Some(cause);
    while let Some(e) = next {
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if let Some(tls) = e.downcast_ref::<rustls::Error>().or(inner) {
            return Some(of(tls));
        }
        next = e.source();
    }
    None
}

fn of(e: &rustls::Error) -> Refusal {
    let rustls::Error::InvalidCertificate(cert) = e else {
        return Refusal::Handshake(e.to_string());
    };
    match cert {
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => Refusal::WrongName {
            expected: expected.to_str().into_owned(),
            presented: presented.iter().filter_map(|n| name_in(n)).collect(),
        },
        CertificateError::NotValidForName => Refusal::WrongName {
            expected: "the host database_url names".into(),
            presented: Vec::new(),
        },
        CertificateError::UnknownIssuer => Refusal::UnknownIssuer,
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => Refusal::OutOfDate,
        other => Refusal::Certificate(format!("{other:?}")),
    }
}

/// The name in one of rustls's presented names, which it gives as webpki's `Debug` of the
/// certificate's subject alternative name (`DnsName("db.example.com")`, `IpAddress(10.0.0.5)`);
/// None for kinds a host name is never checked against (`DirectoryName`, a URI).
fn name_in(presented: &str) -> Option<String> {
    let inner = presented
        .strip_prefix("DnsName(")
        .or_else(|| presented.strip_prefix("IpAddress("))?
        .strip_suffix(')')?;
    Some(inner.trim_matches('"').to_owned())
}

/// What is checked of the certificate a server shows, before the handshake's signatures (which
/// [`Verifier`] always checks).
trait CertCheck: std::fmt::Debug + Send + Sync {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        provider: &CryptoProvider,
    ) -> Result<(), rustls::Error>;
}

/// `prefer`, and `require` without a root certificate: any certificate is taken, as libpq
/// takes it. That keeps out someone who only listens, not someone in the middle. The
/// handshake's signatures are still checked against the certificate shown, so the session's
/// keys belong to whoever holds that certificate's key (what channel binding relies on).
#[derive(Debug)]
struct AnyCertificate;

impl CertCheck for AnyCertificate {
    fn check(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
        _provider: &CryptoProvider,
    ) -> Result<(), rustls::Error> {
        Ok(())
    }
}

/// `verify-ca`, and `require` with a root certificate: the chain must lead to one of `roots`,
/// through rustls's own WebPKI check (validity dates, key usage for a server, signatures), but
/// the certificate may be for any name. This is the first half of what rustls's
/// `WebPkiServerVerifier` does (chain, then name), called directly rather than accepting its
/// name error, so nothing here depends on the order it checks in.
#[derive(Debug)]
struct ChainOnly(RootCertStore);

impl CertCheck for ChainOnly {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        provider: &CryptoProvider,
    ) -> Result<(), rustls::Error> {
        let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.0,
            intermediates,
            now,
            provider.signature_verification_algorithms.all,
        )?;
        Ok(())
    }
}

/// A verifier of ours: its certificate check, then the handshake's signatures with the
/// provider's algorithms (the same for every check, so written once).
#[derive(Debug)]
struct Verifier<C> {
    check: C,
    provider: Arc<CryptoProvider>,
}

impl<C: CertCheck> ServerCertVerifier for Verifier<C> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check
            .check(end_entity, intermediates, now, &self.provider)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_a_certificate_is_for_are_read_out_of_rustlss_words() {
        for (presented, name) in [
            ("DnsName(\"db.example.com\")", Some("db.example.com")),
            ("DnsName(\"*.example.com\")", Some("*.example.com")),
            ("IpAddress(10.0.0.5)", Some("10.0.0.5")),
            ("IpAddress(::1)", Some("::1")),
            ("DirectoryName", None),
            ("UniformResourceIdentifier(\"https://x\")", None),
        ] {
            assert_eq!(
                name_in(presented).as_deref(),
                name,
                "{presented}: the message lists host names as a person writes them"
            );
        }
    }
}
