//! Egress budgets, pure: whether a call may go given the month's downloads so far, and which
//! marks (80 % and 100 % of a budget or of the tier's allowance) a count has just passed. The
//! gateway asks the first before each call and the second as each answer is counted; each mark
//! is said once a month, under the notice key [`Mark::notice_key`].

use super::{GB, Month};
use crate::config::Config;
use serde::Serialize;

/// The month's limits in bytes, from the configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budgets {
    /// `egress_budget_gb`: the whole app.
    pub app: Option<u64>,
    /// `egress_org_budget_gb`: each organisation on its own.
    pub organisation: Option<u64>,
    /// The tier's allowance (or `egress_allowance_gb`): overage past it, never a refusal.
    pub allowance: Option<u64>,
}

impl Budgets {
    pub fn of(config: &Config) -> Self {
        let bytes = |gb: Option<u32>| gb.map(|g| u64::from(g) * GB);
        Self {
            app: bytes(config.egress_budget_gb),
            organisation: bytes(config.egress_org_budget_gb),
            allowance: bytes(config.egress_allowance()),
        }
    }
}

/// Which budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    App,
    Organisation,
}

impl Scope {
    /// The key that raises it.
    pub fn key(self) -> &'static str {
        match self {
            Self::App => "egress_budget_gb",
            Self::Organisation => "egress_org_budget_gb",
        }
    }
}

/// A budget the month has used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent {
    pub scope: Scope,
    pub budget: u64,
    pub used: u64,
}

/// Whether a call may go: `None`, or the budget spent (the app's first). Bytes on the wire.
pub fn spent(budgets: &Budgets, app_used: u64, organisation_used: u64) -> Option<Spent> {
    let over = |scope, budget: Option<u64>, used| {
        budget.filter(|b| used >= *b).map(|budget| Spent {
            scope,
            budget,
            used,
        })
    };
    over(Scope::App, budgets.app, app_used)
        .or_else(|| over(Scope::Organisation, budgets.organisation, organisation_used))
}

/// What a mark is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Of {
    Budget(Scope),
    Allowance,
}

/// A mark passed: `percent` (80 or 100) of a budget or of the allowance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mark {
    pub of: Of,
    pub percent: u8,
    pub limit: u64,
    /// The organisation, for its own budget.
    pub tenant_id: Option<String>,
}

impl Mark {
    /// The notice key that says it once a month: `egress:2026-12:app:80`,
    /// `egress:2026-12:org:TENANT:100`, `egress:2026-12:allowance:80`.
    pub fn notice_key(&self, month: Month) -> String {
        match (&self.of, &self.tenant_id) {
            (Of::Budget(Scope::Organisation), Some(t)) => {
                format!("egress:{month}:org:{t}:{}", self.percent)
            }
            (Of::Budget(_), _) => format!("egress:{month}:app:{}", self.percent),
            (Of::Allowance, _) => format!("egress:{month}:allowance:{}", self.percent),
        }
    }

    /// In words, for the event log and notifications.
    pub fn words(&self, organisation: Option<&str>) -> String {
        let limit = self.limit / GB;
        match self.of {
            Of::Budget(scope) => {
                let whose = match (scope, organisation) {
                    (Scope::App, _) => "the app's".to_owned(),
                    (Scope::Organisation, Some(name)) => format!("{name}'s"),
                    (Scope::Organisation, None) => "an organisation's".to_owned(),
                };
                let then = if self.percent >= 100 {
                    "; the gateway refuses further calls until the month ends"
                } else {
                    ""
                };
                format!(
                    "{}% of {whose} egress budget of {limit} GB this month is used{then}; \
                     raise it with `tenantry config set {} GB`",
                    self.percent,
                    scope.key()
                )
            }
            Of::Allowance => format!(
                "{}% of the tier's egress allowance of {limit} GB this month is used; Xero bills \
                 past it (`tenantry usage` shows the projection)",
                self.percent
            ),
        }
    }
}

/// The marks passed when the month's app total went from `app.0` to `app.1` and the
/// organisation's from `organisation.0` to `organisation.1`.
pub fn passed(
    budgets: &Budgets,
    tenant_id: &str,
    app: (u64, u64),
    organisation: (u64, u64),
) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut check =
        |of: Of, limit: Option<u64>, (before, after): (u64, u64), tenant: Option<&str>| {
            let Some(limit) = limit.filter(|l| *l > 0) else {
                return;
            };
            for percent in [80u8, 100] {
                let at = limit * u64::from(percent) / 100;
                if before < at && after >= at {
                    marks.push(Mark {
                        of,
                        percent,
                        limit,
                        tenant_id: tenant.map(str::to_owned),
                    });
                }
            }
        };
    check(Of::Budget(Scope::App), budgets.app, app, None);
    check(
        Of::Budget(Scope::Organisation),
        budgets.organisation,
        organisation,
        Some(tenant_id),
    );
    check(Of::Allowance, budgets.allowance, app, None);
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets() -> Budgets {
        Budgets {
            app: Some(10 * GB),
            organisation: Some(2 * GB),
            allowance: Some(50 * GB),
        }
    }

    #[test]
    fn a_call_goes_until_a_budget_is_used_up_the_app_s_named_first() {
        let b = budgets();
        assert_eq!(spent(&b, 9 * GB, GB), None);
        let org = spent(&b, 9 * GB, 2 * GB).unwrap();
        assert_eq!((org.scope, org.budget), (Scope::Organisation, 2 * GB));
        let app = spent(&b, 10 * GB, 2 * GB).unwrap();
        assert_eq!(app.scope, Scope::App);
        assert_eq!(
            spent(&Budgets::default(), u64::MAX, u64::MAX),
            None,
            "no budget, no refusal"
        );
    }

    #[test]
    fn each_mark_is_passed_once_when_a_count_crosses_it() {
        let b = budgets();
        // The organisation passes 80 % of its 2 GB; the app passes nothing.
        let marks = passed(&b, "t", (GB, GB + GB / 2), (GB, GB + GB / 2 + 100_000_000));
        assert_eq!(marks.len(), 1);
        assert_eq!(
            (marks[0].of, marks[0].percent),
            (Of::Budget(Scope::Organisation), 80)
        );
        assert_eq!(
            marks[0].notice_key("2026-12".parse().unwrap()),
            "egress:2026-12:org:t:80"
        );
        // Already past: nothing more.
        assert!(passed(&b, "t", (2 * GB, 3 * GB), (0, 1)).is_empty());
        // One big answer can pass both marks of the app's budget at once.
        let both = passed(&b, "t", (7 * GB, 11 * GB), (0, 1));
        assert_eq!(
            both.iter().map(|m| m.percent).collect::<Vec<_>>(),
            vec![80, 100]
        );
        assert!(both[1].words(None).contains("refuses further calls"));
        // The allowance: said, never refused.
        let allowance = passed(&b, "t", (39 * GB, 41 * GB), (0, 1));
        assert_eq!(allowance[0].of, Of::Allowance);
        assert!(allowance[0].words(None).contains("Xero bills"));
    }
}
