//! The connector on macOS and Windows: the platform's own TLS (Secure Transport, SChannel)
//! through `native-tls`, as reqwest uses there, via the PostgreSQL project's
//! `postgres-native-tls`. rustls would need a cryptography provider, and both (aws-lc-rs, ring)
//! are C that cannot be built for these platforms on the Linux machines that check them; the
//! platform's TLS links nothing new and trusts what the platform trusts.
//!
//! Type-checked and linted here, not yet run on either platform (docs/PLATFORMS.md).

use super::{Check, Plan, Refusal, RootCert};

#[derive(Clone)]
pub(super) struct Connector(postgres_native_tls::MakeTlsConnector);

impl Connector {
    pub(super) fn new(plan: &Plan) -> Result<Self, String> {
        let mut builder = native_tls::TlsConnector::builder();
        let root_file = match plan {
            Plan::Off | Plan::IfOffered | Plan::Required(Check::Nothing) => {
                builder.danger_accept_invalid_certs(true);
                None
            }
            Plan::Required(Check::Chain(path)) => {
                builder.danger_accept_invalid_hostnames(true);
                Some(path)
            }
            Plan::Required(Check::ChainAndName(RootCert::File(path))) => Some(path),
            Plan::Required(Check::ChainAndName(RootCert::System)) => None,
        };
        if let Some(path) = root_file {
            // These roots and no others, as libpq has it.
            builder.disable_built_in_roots(true);
            for root in super::read_roots(path)? {
                let cert = native_tls::Certificate::from_der(&root)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                builder.add_root_certificate(cert);
            }
        }
        let connector = builder.build().map_err(|e| format!("TLS set-up: {e}"))?;
        Ok(Self(postgres_native_tls::MakeTlsConnector::new(connector)))
    }

    pub(super) fn connect(
        &self,
        config: &postgres::Config,
    ) -> Result<postgres::Client, postgres::Error> {
        config.connect(self.0.clone())
    }
}

/// The platform's TLS errors carry no kind to tell a wrong name from an unknown CA: the caller
/// quotes them as they are.
pub(super) fn refusal(_cause: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    None
}
