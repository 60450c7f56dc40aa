//! A fan-out read (`tenantry each`, MCP's `xero_get_each`): the same GET sent to many
//! organisations at once through a gateway, each organisation's pages followed in turn when asked.
//! The gateway holds every call to Xero's limits and takes turns fairly, so this sends them all
//! and lets it queue; which organisations, and how pages join, are `tenantry_core::fanout`'s.

use crate::call::Caller;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tenantry_core::fanout::{self, Target};

/// Organisations read at once, at most: each holds one of the gateway's connections while it
/// waits its turn, and the gateway keeps 256 for all its programs.
pub const IN_FLIGHT: usize = 200;

/// One organisation's result.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub organisation: String,
    pub tenant_id: String,
    /// Xero's (or the gateway's) status for the last call; 0 when none answered.
    pub status: u16,
    pub ok: bool,
    /// Pages read (1 without `all_pages`).
    pub pages: u32,
    /// Xero's answer (every page's records together), or the failure's.
    pub body: Value,
    /// Why it failed, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Sends `GET path?query` to each target, following pages when `all_pages`; results as they
/// finish, each with its target's index. `tool` names the caller in the call log.
pub fn each<'a>(
    caller: &'a Caller,
    tool: &'a str,
    targets: Vec<Target>,
    path: &'a str,
    query: &'a BTreeMap<String, String>,
    all_pages: bool,
) -> impl Stream<Item = (usize, Reply)> + 'a {
    futures_util::stream::iter(targets.into_iter().enumerate())
        .map(move |(i, target)| async move {
            (i, one(caller, tool, target, path, query, all_pages).await)
        })
        .buffer_unordered(IN_FLIGHT)
}

async fn one(
    caller: &Caller,
    tool: &str,
    target: Target,
    path: &str,
    query: &BTreeMap<String, String>,
    all_pages: bool,
) -> Reply {
    let page_size = fanout::page_size(query);
    let mut page: u64 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let mut reply = Reply {
        organisation: target.name,
        tenant_id: target.tenant_id,
        status: 0,
        ok: false,
        pages: 0,
        body: Value::Null,
        error: None,
    };
    let mut merged: Option<Value> = None;
    loop {
        let mut asked = query.clone();
        if all_pages {
            asked.insert("page".into(), page.to_string());
        }
        let answer = match caller
            .send(
                tool,
                reqwest::Method::GET,
                &reply.tenant_id,
                path,
                &asked,
                None,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                reply.error = Some(e);
                return reply;
            }
        };
        reply.status = answer.status.as_u16();
        let body = serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body));
        if !answer.status.is_success() {
            reply.error = Some(format!(
                "{}: {}",
                answer.status,
                fanout::failure_words(&body)
            ));
            reply.body = body;
            return reply;
        }
        reply.pages += 1;
        let more = all_pages
            && reply.pages < fanout::MAX_PAGES
            && fanout::more_pages(&body, page, page_size);
        merged = Some(match merged {
            None => body,
            Some(first) => fanout::merge(first, body),
        });
        if !more {
            break;
        }
        page += 1;
    }
    reply.ok = true;
    reply.body = merged.unwrap_or(Value::Null);
    reply
}

/// The replies with their bodies while they fit in `limit` bytes of JSON together; the bodies
/// past it are left out (`null`), and how many were is returned beside them.
pub fn bounded(replies: Vec<Reply>, limit: usize) -> (Vec<Reply>, usize) {
    let mut used = 0;
    let mut cut = 0;
    let kept = replies
        .into_iter()
        .map(|mut reply| {
            let size = serde_json::to_string(&reply.body).map_or(0, |s| s.len());
            if cut > 0 || used + size > limit {
                cut += 1;
                reply.body = Value::Null;
            } else {
                used += size;
            }
            reply
        })
        .collect();
    (kept, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_past_the_limit_are_left_out_and_counted() {
        let reply = |n: usize| Reply {
            organisation: format!("Org {n}"),
            tenant_id: n.to_string(),
            status: 200,
            ok: true,
            pages: 1,
            body: Value::String("x".repeat(98)),
            error: None,
        };
        let (kept, cut) = bounded((0..5).map(reply).collect(), 250);
        assert_eq!(cut, 3, "two 100-byte bodies fit in 250");
        assert!(kept[1].body.is_string() && kept[2].body.is_null() && kept[4].body.is_null());
        assert_eq!(kept.len(), 5, "every organisation is still listed");
        let (_, cut) = bounded((0..5).map(reply).collect(), 10_000);
        assert_eq!(cut, 0);
    }
}
