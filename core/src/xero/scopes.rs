//! The scopes Xero knows (../shared/xero/FACTS.md §4: the broad ones from Xero's OpenAPI files,
//! the granular ones apps created since 2 March 2026 must use, as Xero's own code names them), so
//! a mistyped scope is refused with a suggestion before the browser opens: Xero would answer it
//! with an error page and never come back.

/// Every scope a sign-in may ask for.
pub const KNOWN: &[&str] = &[
    // Identity and the refresh token.
    "openid",
    "profile",
    "email",
    "offline_access",
    // Accounting, broad (some deprecated for new apps) and granular.
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.budgets.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.journals.read",
    "accounting.reports.read",
    "accounting.reports.tenninetynine.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.reports.aged.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.trialbalance.read",
    "accounting.reports.banksummary.read",
    "accounting.reports.budgetsummary.read",
    "accounting.reports.executivesummary.read",
    "accounting.reports.taxreports.read",
    "paymentservices",
    // Payroll (AU, NZ, UK).
    "payroll.employees",
    "payroll.employees.read",
    "payroll.payruns",
    "payroll.payruns.read",
    "payroll.payslip",
    "payroll.payslip.read",
    "payroll.settings",
    "payroll.settings.read",
    "payroll.timesheets",
    "payroll.timesheets.read",
    // The other APIs.
    "files",
    "files.read",
    "assets",
    "assets.read",
    "projects",
    "projects.read",
    "bankfeeds",
    "finance.statements.read",
    "finance.cashvalidation.read",
    "finance.bankstatementsplus.read",
];

/// None when Xero knows `scope`; else the known scope it most nearly spells, if one is close.
pub fn unknown(scope: &str) -> Option<Option<&'static str>> {
    if KNOWN.contains(&scope) {
        return None;
    }
    Some(
        KNOWN
            .iter()
            .map(|k| (strsim::damerau_levenshtein(k, scope), *k))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, k)| k),
    )
}

/// The broad scopes Xero is retiring (existing apps must move by September 2027, and existing
/// tokens are not upgraded: every login consents again), each with the granular scopes that
/// replace it as Xero's own code names them (FACTS §4.3). The report scopes some third parties
/// list besides (bank summary, budget summary, executive summary, tax reports) are not
/// confirmed by Xero and are not named here.
pub const RETIRING: &[(&str, &[&str])] = &[
    (
        "accounting.transactions",
        &[
            "accounting.invoices",
            "accounting.payments",
            "accounting.banktransactions",
            "accounting.manualjournals",
        ],
    ),
    (
        "accounting.transactions.read",
        &[
            "accounting.invoices.read",
            "accounting.payments.read",
            "accounting.banktransactions.read",
            "accounting.manualjournals.read",
        ],
    ),
    (
        "accounting.reports.read",
        &[
            "accounting.reports.aged.read",
            "accounting.reports.balancesheet.read",
            "accounting.reports.profitandloss.read",
            "accounting.reports.trialbalance.read",
        ],
    ),
];

/// The granular scopes that replace `broad`, if Xero is retiring it.
pub fn replacing(broad: &str) -> Option<&'static [&'static str]> {
    RETIRING
        .iter()
        .find(|(b, _)| *b == broad)
        .map(|(_, granular)| *granular)
}

/// `scopes` with each scope Xero is retiring replaced by its granular scopes, each once, in
/// order: what a login consents to when it moves.
pub fn migrated(scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        let now: Vec<&str> =
            replacing(scope).map_or_else(|| vec![scope.as_str()], <[&str]>::to_vec);
        for s in now {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_replaces_retiring_scopes_and_keeps_the_rest() {
        let held: Vec<String> = [
            "offline_access",
            "accounting.transactions.read",
            "accounting.invoices.read",
            "accounting.contacts",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            migrated(&held),
            [
                "offline_access",
                "accounting.invoices.read",
                "accounting.payments.read",
                "accounting.banktransactions.read",
                "accounting.manualjournals.read",
                "accounting.contacts",
            ]
        );
    }

    #[test]
    fn every_retiring_scope_and_its_replacements_are_scopes_xero_knows() {
        for (broad, granular) in RETIRING {
            assert!(unknown(broad).is_none(), "{broad}");
            for g in *granular {
                assert!(unknown(g).is_none(), "{g}");
            }
        }
        assert_eq!(replacing("accounting.contacts"), None, "unchanged");
        assert_eq!(
            replacing("accounting.reports.read").map(<[&str]>::len),
            Some(4)
        );
    }

    #[test]
    fn a_mistyped_scope_is_caught_with_the_one_meant() {
        assert_eq!(
            unknown("accounting.invoices"),
            None,
            "a granular scope Xero knows"
        );
        assert_eq!(
            unknown("accounting.invoice"),
            Some(Some("accounting.invoices")),
            "a letter short"
        );
        assert_eq!(unknown("rocket.launch"), Some(None), "nothing like it");
    }
}
