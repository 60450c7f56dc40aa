//! Which logins still hold the broad scopes Xero is retiring, and what replaces them: existing
//! tokens are not upgraded, so each such login must consent again before September 2027.

use crate::engine::Overview;
use crate::xero::scopes::replacing;
use serde::Serialize;

/// One broad scope a login holds, and the granular scopes that replace it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retiring {
    pub scope: String,
    pub replaced_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginScopes {
    pub login_email: String,
    pub login_id: String,
    /// Every scope the login was granted.
    pub granted: Vec<String>,
    /// Those Xero is retiring; empty when the login needs no new consent.
    pub retiring: Vec<Retiring>,
}

/// Every login, in the overview's order.
pub fn scopes(overview: &Overview) -> Vec<LoginScopes> {
    overview
        .logins
        .iter()
        .map(|l| LoginScopes {
            login_email: if l.login.email.is_empty() {
                l.login.name.clone()
            } else {
                l.login.email.clone()
            },
            login_id: l.login.id.to_string(),
            granted: l.login.scopes.clone(),
            retiring: l
                .login
                .scopes
                .iter()
                .filter_map(|s| {
                    replacing(s).map(|granular| Retiring {
                        scope: s.clone(),
                        replaced_by: granular.iter().map(|g| (*g).to_owned()).collect(),
                    })
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{OverviewRead, judge_overview};
    use crate::store::fixtures::{at, login};
    use std::collections::HashMap;

    #[test]
    fn a_login_holding_retiring_scopes_is_told_what_replaces_them() {
        let mut broad = login("ann");
        broad.scopes = vec![
            "offline_access".into(),
            "accounting.transactions".into(),
            "accounting.contacts".into(),
        ];
        let mut granular = login("ben");
        granular.scopes = vec!["offline_access".into(), "accounting.invoices".into()];
        let read = OverviewRead {
            logins: vec![broad, granular],
            rows: vec![],
            calls_left: HashMap::new(),
            egress: HashMap::new(),
        };
        let overview = judge_overview(read, at("2026-03-02T10:00:00Z"), (7, &[], None), None);
        let report = scopes(&overview);
        assert_eq!(report[0].retiring.len(), 1);
        assert_eq!(report[0].retiring[0].scope, "accounting.transactions");
        assert!(
            report[0].retiring[0]
                .replaced_by
                .contains(&"accounting.banktransactions".to_owned())
        );
        assert!(
            report[1].retiring.is_empty(),
            "Ben's consent is granular already"
        );
    }
}
