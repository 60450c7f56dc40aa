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

#[cfg(test)]
mod tests {
    use super::*;

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
