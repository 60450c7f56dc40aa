//! The rules a configuration must keep, checked on every load and before every write; each
//! failure names its key and says what a good value looks like.

use super::{Config, ConfigError, RedirectMode};
use url::Url;

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.into(),
            })
        };
        if self
            .client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return invalid(
                "client_id",
                "must not contain spaces; paste the Client ID exactly as Xero shows it",
            );
        }
        if self.redirect_ports.is_empty() || self.redirect_ports.len() > 50 {
            return invalid(
                "redirect_ports",
                "list 1 to 50 ports, each registered at Xero as http://localhost:PORT/callback",
            );
        }
        if let Some(p) = self.redirect_ports.iter().find(|p| **p < 1024) {
            return Err(ConfigError::Invalid {
                key: "redirect_ports",
                reason: format!("{p} is a privileged port; use 1024-65535"),
            });
        }
        let mut sorted = self.redirect_ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.redirect_ports.len() {
            return invalid("redirect_ports", "lists a port twice");
        }
        if let Some(s) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(ConfigError::Invalid {
                key: "scopes",
                reason: format!("`{s}` is not one scope; write each scope as its own string"),
            });
        }
        if !(1..=59).contains(&self.keepalive_days) {
            return invalid(
                "keepalive_days",
                "must be 1 to 59: Xero drops a refresh token unused for 60 days",
            );
        }
        if !(1..=300).contains(&self.timeout_secs) {
            return invalid(
                "timeout_secs",
                "must be 1 to 300 seconds (30 suits most networks)",
            );
        }
        if !(1..=59).contains(&self.notify_days) {
            return invalid(
                "notify_days",
                "must be 1 to 59 days before Xero's 60-day limit",
            );
        }
        if self
            .on_event
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return invalid(
                "on_event",
                "is empty; give a command, or remove the key (`tenantry config unset on_event`)",
            );
        }
        if let Some(url) = &self.database_url
            && let Err(reason) = crate::store::postgres::check_url(url)
        {
            return invalid("database_url", &reason);
        }
        if self.connection_limit == Some(0) {
            return invalid(
                "connection_limit",
                "must be at least 1 (Starter is 5); remove the key if the app has no cap",
            );
        }
        if self
            .daily_limit
            .is_some_and(|d| !(1..=super::DAILY_LIMIT).contains(&d))
        {
            return invalid(
                "daily_limit",
                "must be 1 to 5000 calls a day per organisation: Xero allows 5,000 (1,000 on Starter) and never more",
            );
        }
        if self
            .egress_allowance_gb
            .is_some_and(|g| !(1..=1_000_000).contains(&g))
        {
            return invalid(
                "egress_allowance_gb",
                "must be 1 to 1000000 gigabytes a month; remove the key for the tier's own",
            );
        }
        for (key, value) in [
            ("egress_budget_gb", self.egress_budget_gb),
            ("egress_org_budget_gb", self.egress_org_budget_gb),
        ] {
            if value.is_some_and(|g| !(1..=1_000_000).contains(&g)) {
                return invalid(
                    key,
                    "must be 1 to 1000000 gigabytes a month; remove the key for no budget",
                );
            }
        }
        if self.call_log_days > 3650 {
            return invalid(
                "call_log_days",
                "must be 0 to 3650 days (0 logs no calls; 90 is the default)",
            );
        }
        if self.gateway_port < 1024 {
            return invalid(
                "gateway_port",
                "must be a port from 1024 to 65535 (53710 unless another program has it)",
            );
        }
        if self.redirect_ports.contains(&self.gateway_port) {
            return invalid(
                "gateway_port",
                "is one of redirect_ports; the sign-in listener needs those, so pick another",
            );
        }
        if self.keychain_service.trim().is_empty() || self.keychain_service.len() > 100 {
            return invalid("keychain_service", "must be a short, non-empty name");
        }
        match (&self.redirect_mode, &self.bounce_url) {
            (RedirectMode::DeepLink, None) => {
                return invalid(
                    "bounce_url",
                    "deep_link mode needs the https address of your hosted bounce page (see docs/bounce.html)",
                );
            }
            (_, Some(url)) if url.scheme() != "https" => {
                return invalid(
                    "bounce_url",
                    "must be an https address: Xero accepts no other redirect URIs except localhost",
                );
            }
            _ => {}
        }
        let xero = &self.xero;
        if Url::parse(&xero.issuer).is_err() {
            return invalid(
                "xero.issuer",
                "must be a URL such as https://identity.xero.com",
            );
        }
        for (key, url) in [
            ("xero.authorize_url", &xero.authorize_url),
            ("xero.token_url", &xero.token_url),
            ("xero.revocation_url", &xero.revocation_url),
            ("xero.jwks_url", &xero.jwks_url),
            ("xero.api_url", &xero.api_url),
        ] {
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!(
                        "`{url}` must use https (plain http only for a server on this machine)"
                    ),
                });
            }
        }
        Ok(())
    }
}
