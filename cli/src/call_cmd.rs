//! `tenantry call ORG METHOD PATH`: one call to Xero's API through the gateway's budgets (the
//! running gateway, else one of this process's own), Xero's answer on stdout. A write is
//! previewed on stderr first and sent only with `--yes`, or once the person at the terminal has
//! typed the organisation's name; its organisation is named by its whole tenant id or exact name.

use crate::args::CallArgs;
use crate::{Failure, exit};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use tenantry_core::Engine;
use tenantry_core::confirm;
use tenantry_core::profile::Profile;
use tenantry_gateway::call::{Caller, Upstream, api_path};

pub async fn run(engine: &Engine, profile: &Profile, args: CallArgs) -> Result<u8, Failure> {
    let usage = |message: String| Failure::new(exit::USAGE, message);
    let method = args.method.to_ascii_uppercase();
    let write = match method.as_str() {
        "GET" => false,
        "POST" | "PUT" | "PATCH" | "DELETE" => true,
        other => {
            return Err(usage(format!(
                "`{other}` is not a method Xero's APIs take; use GET, POST, PUT, PATCH or DELETE. Nothing was sent."
            )));
        }
    };
    let path = api_path(&args.path).map_err(|why| usage(format!("{why}. Nothing was sent.")))?;
    let query = query_pairs(&args.query).map_err(usage)?;
    let body = match &args.body {
        Some(file) => Some(json_body(file, &path).map_err(usage)?),
        None => None,
    };
    if !write && body.is_some() {
        return Err(usage(
            "a GET sends no body; drop --body, or use POST or PUT. Nothing was sent.".into(),
        ));
    }
    let caller = Caller::new(Upstream::new(engine.clone(), &profile.paths.data_dir));
    let reqwest_method = reqwest::Method::from_bytes(method.as_bytes()).expect("a checked method");
    if !write {
        let tenant = engine.resolve_organisation(&args.org).await?;
        let answer = caller
            .send("call", reqwest_method, &tenant, &path, &query, None)
            .await;
        caller.settle().await;
        let answer = answer.map_err(|e| Failure::new(exit::UNREACHABLE, e))?;
        return answered(&answer, || format!("GET {path}"));
    }

    let org = engine.organisation_for_write(&args.org).await?;
    let (value, bytes) = body.unzip();
    let shape = confirm::Write::new(
        &org.tenant_id,
        &method,
        &path,
        &query,
        bytes.as_deref().unwrap_or_default(),
    );
    eprintln!("About to send to Xero:");
    eprintln!("  organisation  {} ({})", org.name, org.tenant_id);
    eprintln!("  call          {method} {}", shape.target);
    match &value {
        Some(value) => eprintln!(
            "  body          {} ({} bytes, sha256 {})",
            confirm::summary(value),
            bytes.as_ref().map_or(0, Vec::len),
            &shape.body_hash()[..16]
        ),
        None => eprintln!("  body          none"),
    }
    confirmed(&org.name, args.yes, args.body.as_deref())?;
    let answer = caller
        .send("call", reqwest_method, &org.tenant_id, &path, &query, bytes)
        .await;
    // Its row is in the call log before the process ends.
    caller.settle().await;
    let answer = answer.map_err(|e| Failure::new(exit::UNREACHABLE, e))?;
    if answer.status.is_success() {
        eprintln!(
            "Wrote to {} ({}): {method} {path} answered {}.",
            org.name, org.tenant_id, answer.status
        );
    }
    answered(&answer, || {
        format!("{method} {path} for {} ({})", org.name, org.tenant_id)
    })
}

/// Prints Xero's answer on stdout (its validation errors too, for a script to read) and maps
/// its status: a 2xx is 0, a 429 or 5xx is 5 (try later), any other refusal 1.
fn answered(
    answer: &tenantry_gateway::call::Answer,
    call: impl FnOnce() -> String,
) -> Result<u8, Failure> {
    println!("{}", answer.body);
    let status = answer.status;
    if status.is_success() {
        return Ok(exit::OK);
    }
    let code = if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        exit::UNREACHABLE
    } else {
        exit::FAILURE
    };
    Err(Failure::new(
        code,
        format!(
            "{}: Xero answered {status} (its answer is on stdout)",
            call()
        ),
    ))
}

/// `--query NAME=VALUE` pairs.
fn query_pairs(given: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut pairs = BTreeMap::new();
    for pair in given {
        let Some((name, value)) = pair.split_once('=').filter(|(n, _)| !n.is_empty()) else {
            return Err(format!(
                "--query `{pair}` is not NAME=VALUE (e.g. --query page=2). Nothing was sent."
            ));
        };
        if pairs.insert(name.to_owned(), value.to_owned()).is_some() {
            return Err(format!(
                "--query names `{name}` twice; give each parameter once. Nothing was sent."
            ));
        }
    }
    Ok(pairs)
}

/// The body from a file or stdin, which must be JSON: every API `call` reaches takes JSON except
/// the Files API, whose uploads are multipart.
fn json_body(file: &std::path::Path, path: &str) -> Result<(serde_json::Value, Vec<u8>), String> {
    if path.starts_with("/files.xro/") {
        return Err(
            "the Files API takes multipart uploads, which `tenantry call` does not send; send them through the gateway (`tenantry gateway`). Nothing was sent."
                .into(),
        );
    }
    let named = file.display();
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("the body could not be read from standard input: {e}"))?;
    } else {
        bytes = std::fs::read(file)
            .map_err(|e| format!("the body file {named} could not be read: {e}"))?;
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "the body in {named} is not JSON ({e}); Xero's {path} takes JSON. Nothing was sent."
        )
    })?;
    Ok((value, bytes))
}

/// Sends on `--yes`; at a terminal, once the organisation's name is typed; else never.
fn confirmed(name: &str, yes: bool, body: Option<&std::path::Path>) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    let body_from_stdin = body.is_some_and(|b| b.as_os_str() == "-");
    if body_from_stdin || !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            "a write is sent only with --yes, or once its organisation's name is typed at a terminal (standard input is not one here); nothing was sent.",
        ));
    }
    eprint!("Type the organisation's name to send it (anything else cancels): ");
    let _ = std::io::stderr().flush();
    let mut typed = String::new();
    std::io::stdin()
        .read_line(&mut typed)
        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    if typed.trim().eq_ignore_ascii_case(name) {
        Ok(())
    } else {
        Err(Failure::new(
            exit::CANCELLED,
            format!("`{}` is not `{name}`; nothing was sent.", typed.trim()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_name_equals_value_each_once() {
        let pairs = query_pairs(&["page=2".into(), "where=Status==\"PAID\"".into()]).unwrap();
        assert_eq!(pairs["page"], "2");
        assert_eq!(
            pairs["where"], "Status==\"PAID\"",
            "only the first = splits"
        );
        assert!(
            query_pairs(&["page".into()])
                .unwrap_err()
                .contains("NAME=VALUE")
        );
        assert!(query_pairs(&["=2".into()]).is_err());
        assert!(
            query_pairs(&["page=1".into(), "page=2".into()])
                .unwrap_err()
                .contains("twice")
        );
    }
}
