//! Handing a leaver's clients over: which organisations only the leaving login (FROM) reaches,
//! which of them the taking-over login (TO) reaches already, and which are still missing, so
//! FROM is removed only when no organisation would be lost with it (or the person names, with
//! `--force`, exactly those that would be). Pure, and judged afresh from the overview each time:
//! a handover stopped at any point continues where it stopped when run again.

use crate::engine::Overview;
use crate::health::OrgState;
use crate::model::LoginId;
use serde::Serialize;

/// An organisation in a handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HandoverClient"))]
pub struct Client {
    pub tenant_id: String,
    pub name: String,
}

/// Where a handover stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Handover {
    /// Organisations FROM reaches that a login other than FROM and TO reaches too: safe.
    pub shared: Vec<Client>,
    /// Organisations only FROM (and perhaps TO) reaches, that TO reaches now.
    pub covered: Vec<Client>,
    /// Organisations only FROM reaches: lost if FROM went now.
    pub missing: Vec<Client>,
}

impl Handover {
    /// Every organisation FROM alone reached is reachable through TO.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// How many organisations FROM alone reached (through TO now, or still missing).
    pub fn handed(&self) -> usize {
        self.covered.len() + self.missing.len()
    }
}

/// Where handing `from`'s organisations over to `to` stands. A route is a connection Xero has not
/// dropped (as in the access report).
pub fn plan(overview: &Overview, from: &LoginId, to: &LoginId) -> Handover {
    let mut handover = Handover {
        shared: Vec::new(),
        covered: Vec::new(),
        missing: Vec::new(),
    };
    for org in &overview.organisations {
        let routes: Vec<&LoginId> = org
            .logins
            .iter()
            .filter(|r| r.state != OrgState::Disconnected)
            .map(|r| &r.login_id)
            .collect();
        if !routes.contains(&from) {
            continue;
        }
        let client = Client {
            tenant_id: org.tenant_id.clone(),
            name: org.name.clone(),
        };
        if routes.iter().any(|l| *l != from && *l != to) {
            handover.shared.push(client);
        } else if to != from && routes.contains(&to) {
            // A login never covers for itself: named as both, nothing is handed over.
            handover.covered.push(client);
        } else {
            handover.missing.push(client);
        }
    }
    handover
}

/// Whether FROM may be removed now: when nothing would be lost and nothing is named, or when
/// `named` are exactly what would be lost (see [`forced`]). `Err` says why not.
pub fn removable(handover: &Handover, named: &[String]) -> Result<(), String> {
    if handover.complete() && named.is_empty() {
        return Ok(());
    }
    if named.is_empty() {
        return Err(format!(
            "removing it now would lose {}, which only it reaches",
            names(&handover.missing)
        ));
    }
    forced(handover, named)
}

/// A step of a handover, as the event log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// TO is being signed in to consent to what is missing.
    SigningIn,
    /// TO's sign-in ended: where the handover stands now.
    Checked,
    /// FROM was removed (and revoked at Xero).
    Removed,
}

/// The event log's words for `step`, from `from` to `to`, the handover standing at `state`.
pub fn note(step: Step, from: &str, to: &str, state: &Handover) -> String {
    match step {
        Step::SigningIn => format!(
            "handing over to {to}: {} of {} organisation(s) only {from} reaches are still missing ({}); signing {to} in",
            state.missing.len(),
            state.handed(),
            names(&state.missing)
        ),
        Step::Checked => format!(
            "handing over to {to}: {to} now reaches {} of {}",
            state.covered.len(),
            state.handed()
        ),
        Step::Removed if state.missing.is_empty() => {
            format!("handed over to {to}: {from} removed and revoked at Xero, no organisation lost")
        }
        Step::Removed => format!(
            "handed over to {to}: {from} removed and revoked at Xero; lost as named: {}",
            names(&state.missing)
        ),
    }
}

/// Organisations' names, for a sentence.
pub fn names(clients: &[Client]) -> String {
    clients
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `named` (tenant ids or exact names, as given to `--force`) are exactly the missing
/// organisations: FROM may go without them only if the person named every one that would be
/// lost, and nothing else. `Err` lists what does not match.
pub fn forced(handover: &Handover, named: &[String]) -> Result<(), String> {
    let is = |c: &Client, n: &str| c.tenant_id.eq_ignore_ascii_case(n) || c.name == n;
    let unnamed: Vec<&str> = handover
        .missing
        .iter()
        .filter(|c| !named.iter().any(|n| is(c, n)))
        .map(|c| c.name.as_str())
        .collect();
    let extra: Vec<&str> = named
        .iter()
        .filter(|n| !handover.missing.iter().any(|c| is(c, n)))
        .map(String::as_str)
        .collect();
    if unnamed.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut why = Vec::new();
    if !unnamed.is_empty() {
        why.push(format!("would also be lost: {}", unnamed.join(", ")));
    }
    if !extra.is_empty() {
        why.push(format!(
            "not among those that would be lost: {}",
            extra.join(", ")
        ));
    }
    Err(why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{OverviewRead, judge_overview};
    use crate::store::fixtures::{at, login, org};
    use std::collections::HashMap;

    /// FROM (ann) reaches a, b, c and d; d is Ben's too; TO (cara) reaches b already.
    fn overview(cara_also: &[&str]) -> Overview {
        let mut rows = vec![
            org("ann", "a"),
            org("ann", "b"),
            org("ann", "c"),
            org("ann", "d"),
            org("ben", "d"),
            org("cara", "b"),
        ];
        rows.extend(cara_also.iter().map(|t| org("cara", t)));
        let read = OverviewRead {
            logins: vec![login("ann"), login("ben"), login("cara")],
            rows,
            calls_left: HashMap::new(),
            egress: HashMap::new(),
        };
        judge_overview(read, at("2026-03-02T10:00:00Z"), (7, &[], None), None)
    }

    fn ids(clients: &[Client]) -> Vec<&str> {
        clients.iter().map(|c| c.tenant_id.as_str()).collect()
    }

    #[test]
    fn what_only_from_reaches_is_covered_by_to_or_still_missing() {
        let (ann, cara) = (LoginId::new("ann").unwrap(), LoginId::new("cara").unwrap());
        let start = plan(&overview(&[]), &ann, &cara);
        assert_eq!(ids(&start.shared), ["d"], "Ben reaches d: it is not lost");
        assert_eq!(ids(&start.covered), ["b"]);
        assert_eq!(ids(&start.missing), ["a", "c"]);
        assert!(!start.complete());
        assert_eq!(start.handed(), 3);

        let done = plan(&overview(&["a", "c"]), &ann, &cara);
        assert!(done.complete(), "every one reachable through Cara now");
        assert_eq!(ids(&done.covered), ["a", "b", "c"]);
    }

    #[test]
    fn a_login_handed_over_to_itself_covers_nothing() {
        let ann = LoginId::new("ann").unwrap();
        let itself = plan(&overview(&[]), &ann, &ann);
        assert_eq!(ids(&itself.covered), Vec::<&str>::new());
        assert_eq!(ids(&itself.missing), ["a", "c"]);
        assert_eq!(ids(&itself.shared), ["b", "d"], "Cara and Ben reach these");
        assert!(removable(&itself, &[]).is_err(), "it would lose a and c");
    }

    #[test]
    fn from_is_removable_only_when_nothing_unnamed_would_be_lost() {
        let (ann, cara) = (LoginId::new("ann").unwrap(), LoginId::new("cara").unwrap());
        let start = plan(&overview(&[]), &ann, &cara);
        let refused = removable(&start, &[]).unwrap_err();
        assert!(refused.contains("would lose Org a, Org c"), "{refused}");
        assert_eq!(removable(&start, &["a".into(), "c".into()]), Ok(()));
        let done = plan(&overview(&["a", "c"]), &ann, &cara);
        assert_eq!(removable(&done, &[]), Ok(()));
        assert!(
            removable(&done, &["a".into()]).is_err(),
            "a name for nothing that would be lost is a mistake, not a licence"
        );
    }

    #[test]
    fn each_step_is_noted_with_the_organisations_it_concerns() {
        let (ann, cara) = (LoginId::new("ann").unwrap(), LoginId::new("cara").unwrap());
        let start = plan(&overview(&[]), &ann, &cara);
        let (from, to) = ("ann@example.com", "cara@example.com");
        assert_eq!(
            note(Step::SigningIn, from, to, &start),
            "handing over to cara@example.com: 2 of 3 organisation(s) only ann@example.com reaches are still missing (Org a, Org c); signing cara@example.com in"
        );
        assert_eq!(
            note(Step::Checked, from, to, &start),
            "handing over to cara@example.com: cara@example.com now reaches 1 of 3"
        );
        assert!(note(Step::Removed, from, to, &start).ends_with("lost as named: Org a, Org c"));
        let done = plan(&overview(&["a", "c"]), &ann, &cara);
        assert!(note(Step::Removed, from, to, &done).ends_with("no organisation lost"));
    }

    #[test]
    fn force_names_exactly_the_organisations_that_would_be_lost() {
        let (ann, cara) = (LoginId::new("ann").unwrap(), LoginId::new("cara").unwrap());
        let start = plan(&overview(&[]), &ann, &cara);
        assert_eq!(forced(&start, &["a".into(), "Org c".into()]), Ok(()));
        let short = forced(&start, &["a".into()]).unwrap_err();
        assert!(short.contains("would also be lost: Org c"), "{short}");
        let wrong = forced(&start, &["a".into(), "c".into(), "d".into()]).unwrap_err();
        assert!(
            wrong.contains("not among those that would be lost: d"),
            "{wrong}"
        );
    }
}
