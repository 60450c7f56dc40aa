//! `tenantry connect`'s arguments.

use clap::Args;
use clap_complete::engine::ArgValueCandidates;

#[derive(Args)]
pub struct ConnectArgs {
    /// The login you mean to reconnect (email, Xero user id or a unique prefix): Tenantry
    /// then refuses a sign-in as anyone else.
    #[arg(long, value_name = "LOGIN", add = ArgValueCandidates::new(crate::complete::logins))]
    pub reconnect: Option<String>,
    /// Print the sign-in address instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// A scope to ask for besides the configured ones (repeatable): consenting again adds
    /// it to the login, e.g. `--reconnect ann@example.com --scope accounting.invoices`.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// With --reconnect: consent again for the granular scopes that replace the broad ones
    /// Xero is retiring (`tenantry report scopes` lists them), keeping the organisations.
    #[arg(long, requires = "reconnect", conflicts_with = "scopes")]
    pub migrate_scopes: bool,
    /// Connect a Custom Connection app (Xero's client-credentials type, one organisation):
    /// no browser; its client id and secret instead (the secret from TENANTRY_CLIENT_SECRET,
    /// or asked for without echo). The secret is kept in the keychain.
    #[arg(long, conflicts_with_all = ["reconnect", "no_browser", "scopes", "migrate_scopes"])]
    pub custom_connection: bool,
    /// With --custom-connection: the app's client id (asked for if omitted).
    #[arg(long, value_name = "ID", requires = "custom_connection")]
    pub client_id: Option<String>,
}
