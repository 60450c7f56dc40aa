//! Fan-out reads: one read sent to many organisations (`tenantry each`, MCP's `xero_get_each`).
//! Which organisations a selection names, and how Xero's pages are followed and put back into one
//! answer. Pure: the gateway's `each` sends the calls.
//!
//! Xero pages a list with the `page` query parameter (1-based) and, on newer endpoints,
//! `pageSize`; a paged answer carries `pagination` (`page`, `pageSize`, `pageCount`,
//! `itemCount`) beside its records (Xero's accounting OpenAPI, e.g. Contacts and Invoices).
//! Where `pagination` is absent, a page shorter than the page size is the last.

use crate::health::{OrgState, OrgStatus};
use crate::model::LoginId;
use serde_json::Value;

/// Xero's page size where a call names none.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Pages followed for one organisation at most: 100,000 records at Xero's default size, far
/// past what a day's 5,000 calls would allow for many organisations.
pub const MAX_PAGES: u32 = 1000;

/// Which organisations a fan-out reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every organisation some login reaches (not those Xero no longer lists).
    All,
    /// Those not simply connected, as `tenantry orgs --problems` lists them.
    Problems,
    /// Those this login reaches.
    Login(LoginId),
    /// These tenant ids, as the person named them (already resolved), in their order.
    Tenants(Vec<String>),
}

/// One organisation a fan-out reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub tenant_id: String,
}

/// The organisations `selection` names, by name (a named list keeps its order, once each).
pub fn targets(organisations: &[OrgStatus], selection: &Selection) -> Vec<Target> {
    let target = |o: &OrgStatus| Target {
        name: o.name.clone(),
        tenant_id: o.tenant_id.clone(),
    };
    let mut chosen: Vec<Target> = match selection {
        Selection::Tenants(ids) => {
            let mut seen = std::collections::HashSet::new();
            return ids
                .iter()
                .filter(|id| seen.insert(id.to_ascii_lowercase()))
                .filter_map(|id| {
                    organisations
                        .iter()
                        .find(|o| o.tenant_id.eq_ignore_ascii_case(id))
                })
                .map(target)
                .collect();
        }
        Selection::All => organisations
            .iter()
            .filter(|o| o.state != OrgState::Disconnected)
            .map(target)
            .collect(),
        Selection::Problems => organisations
            .iter()
            .filter(|o| o.state != OrgState::Connected)
            .map(target)
            .collect(),
        Selection::Login(login) => organisations
            .iter()
            .filter(|o| {
                o.logins
                    .iter()
                    .any(|r| &r.login_id == login && r.disconnected_at.is_none())
            })
            .map(target)
            .collect(),
    };
    chosen.sort_by_key(|a| a.name.to_lowercase());
    chosen
}

/// The page size a call asks for (`pageSize`), else Xero's default.
pub fn page_size(query: &std::collections::BTreeMap<String, String>) -> u64 {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("pageSize"))
        .and_then(|(_, v)| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

/// The name of an answer's records: its one top-level array (`Invoices`, `Contacts`, `items`…),
/// not Xero's `Warnings`.
fn records_key(body: &Value) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, v)| v.is_array() && !k.eq_ignore_ascii_case("Warnings"))
        .map(|(k, _)| k.clone())
}

/// Whether another page follows `body`, page number `page` of size `page_size`.
pub fn more_pages(body: &Value, page: u64, page_size: u64) -> bool {
    if let Some(count) = body
        .get("pagination")
        .and_then(|p| p.get("pageCount"))
        .and_then(Value::as_u64)
    {
        return page < count;
    }
    records_key(body)
        .and_then(|key| body[&key].as_array().map(Vec::len))
        .is_some_and(|n| n as u64 >= page_size && n > 0)
}

/// `first` with `next`'s records appended to its own (the envelope and `pagination` of the first;
/// `pagination.page` then says how many were read).
pub fn merge(mut first: Value, next: Value) -> Value {
    let Some(key) = records_key(&first) else {
        return first;
    };
    if let (Some(mine), Some(Value::Array(more))) = (
        first.get_mut(&key).and_then(Value::as_array_mut),
        next.get(&key).cloned(),
    ) {
        mine.extend(more);
    }
    if let (Some(p), Some(page)) = (
        first.get_mut("pagination").and_then(Value::as_object_mut),
        next.get("pagination").and_then(|p| p.get("page")).cloned(),
    ) {
        p.insert("page".into(), page);
    }
    first
}

/// What a failed call's answer says, in one line: Xero's (or the gateway's) `Detail` or `Title`,
/// else the start of its text.
pub fn failure_words(body: &Value) -> String {
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match field("Detail")
        .or_else(|| field("Title"))
        .or_else(|| field("Message"))
    {
        Some(said) => said.to_owned(),
        None => {
            let text = match body {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.chars().take(200).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn org(name: &str, tenant: &str, state: OrgState, logins: &[(&str, bool)]) -> OrgStatus {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let login = |id: &str| LoginId::new(id).unwrap();
        OrgStatus {
            tenant_id: tenant.into(),
            name: name.into(),
            tenant_type: "ORGANISATION".into(),
            state,
            reason: None,
            through: login(logins[0].0),
            through_email: String::new(),
            checked_at: None,
            last_seen_at: at,
            connected_since: at,
            fix: None,
            calls_left_today: None,
            egress_this_month: Default::default(),
            logins: logins
                .iter()
                .map(|(id, gone)| crate::health::OrgRow {
                    login_id: login(id),
                    name: name.into(),
                    email: String::new(),
                    state,
                    connection_id: String::new(),
                    connected_since: at,
                    last_seen_at: at,
                    disconnected_at: gone.then_some(at),
                    checked_at: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_selection_names_its_organisations_by_name_or_in_the_order_given() {
        let orgs = [
            org("kiwi", "t-k", OrgState::Connected, &[("ann", false)]),
            org(
                "Harbour",
                "t-h",
                OrgState::NeedsReconnect,
                &[("ben", false)],
            ),
            org("Gone", "t-g", OrgState::Disconnected, &[("ann", true)]),
        ];
        let names = |sel: Selection| -> Vec<String> {
            targets(&orgs, &sel).into_iter().map(|t| t.name).collect()
        };
        assert_eq!(
            names(Selection::All),
            ["Harbour", "kiwi"],
            "by name, any case; not the gone one"
        );
        assert_eq!(names(Selection::Problems), ["Gone", "Harbour"]);
        assert_eq!(
            names(Selection::Login(LoginId::new("ann").unwrap())),
            ["kiwi"],
            "a login's, not one it no longer reaches"
        );
        assert_eq!(
            names(Selection::Tenants(vec![
                "T-K".into(),
                "t-h".into(),
                "t-k".into()
            ])),
            ["kiwi", "Harbour"],
            "as named, once each"
        );
    }

    #[test]
    fn pages_follow_pagination_else_a_short_page_is_the_last() {
        let paged = |page: u64, count: u64| json!({"pagination": {"page": page, "pageSize": 100, "pageCount": count, "itemCount": 250}, "Contacts": []});
        assert!(more_pages(&paged(1, 3), 1, 100));
        assert!(more_pages(&paged(2, 3), 2, 100));
        assert!(!more_pages(&paged(3, 3), 3, 100));
        assert!(!more_pages(&paged(1, 0), 1, 100), "an empty list");
        let plain =
            |n: usize| json!({"Status": "OK", "Invoices": vec![json!({}); n], "Warnings": []});
        assert!(more_pages(&plain(100), 1, 100), "a full page may have more");
        assert!(!more_pages(&plain(99), 1, 100), "a short page is the last");
        assert!(!more_pages(&plain(0), 1, 100));
        assert!(!more_pages(&json!({"Organisations": [{}]}), 1, 100));
    }

    #[test]
    fn pages_merge_into_the_first_answer() {
        let first = json!({"Id": "a", "pagination": {"page": 1, "pageCount": 2}, "Contacts": [{"Name": "A"}]});
        let next = json!({"Id": "b", "pagination": {"page": 2, "pageCount": 2}, "Contacts": [{"Name": "B"}]});
        let merged = merge(first, next);
        assert_eq!(merged["Contacts"], json!([{"Name": "A"}, {"Name": "B"}]));
        assert_eq!(merged["Id"], "a");
        assert_eq!(merged["pagination"]["page"], 2);
    }

    #[test]
    fn a_page_size_is_the_calls_own_or_xeros_default() {
        let mut query = std::collections::BTreeMap::new();
        assert_eq!(page_size(&query), 100);
        query.insert("pageSize".to_owned(), "250".to_owned());
        assert_eq!(page_size(&query), 250);
        query.insert("pageSize".to_owned(), "0".to_owned());
        assert_eq!(page_size(&query), 100);
    }

    #[test]
    fn a_failure_is_said_in_xeros_words() {
        assert_eq!(
            failure_words(&json!({"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"})),
            "AuthenticationUnsuccessful"
        );
        assert_eq!(failure_words(&json!({"Title": "Not Found"})), "Not Found");
        assert_eq!(
            failure_words(&Value::String("Bad gateway".into())),
            "Bad gateway"
        );
    }
}
