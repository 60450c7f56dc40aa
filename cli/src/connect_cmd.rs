//! `tenantry connect`: sign a login in through the browser. A reconnect that comes back signed in
//! as someone else leads with that failure, and offers a sign-in address to copy into a private
//! browser window (the fix for a person with several Xero logins in one browser).

use crate::{Failure, exit, render};
use std::io::IsTerminal;
use tenantry_core::health::{at_connection_limit, connections_used};
use tenantry_core::model::Login;
use tenantry_core::{Engine, LoginOutcome};
use tokio_util::sync::CancellationToken;

pub async fn run(
    engine: &Engine,
    reconnect: Option<String>,
    no_browser: bool,
    scopes: &[String],
    migrate: bool,
) -> Result<u8, Failure> {
    // Xero answers an unknown scope with an error page and never comes back: refuse it here.
    for scope in scopes {
        if let Some(near) = tenantry_core::xero::scopes::unknown(scope) {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "`{scope}` is not a Xero scope{}; nothing was opened",
                    near.map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    let expected = match reconnect {
        Some(selector) => Some(engine.resolve_login(&selector).await?),
        None => None,
    };
    // Before the browser opens: at the cap, Xero sends the browser to its connectionLimit page
    // and never back here, which looks like a sign-in that hangs.
    let used = connections_used(&engine.organisations().await?);
    let limit = engine.config().connection_cap();
    let capped = at_connection_limit(used, limit);
    if capped {
        eprintln!(
            "Warning: {used} of {} connections: the app's cap is reached. Xero will not connect another organisation; it shows its \"connection limit\" page instead of coming back here. Disconnect one first (tenantry disconnect ORG), or move the app to a higher tier at Xero and set it here (tenantry config set tier …). Reconnecting organisations already connected still works.\n",
            limit.unwrap_or_default()
        );
    }
    let outcome = match sign_in(
        engine,
        expected.as_ref(),
        no_browser,
        false,
        scopes,
        migrate,
    )
    .await
    {
        // The browser never came back while the app was at its cap: most likely Xero's refusal.
        Err(f) if capped && matches!(f.status, exit::CANCELLED | exit::FAILURE) => {
            return Err(Failure::new(
                f.status,
                format!(
                    "{} The app is at its connection limit ({used} of {}): if Xero showed its \"connection limit\" page, it refused a new organisation; disconnect one (tenantry disconnect ORG) or move the app to a higher tier.",
                    f.message,
                    limit.unwrap_or_default()
                ),
            ));
        }
        outcome => outcome?,
    };
    let Some(intended) = outcome.expected_other.clone() else {
        say_connected(&outcome);
        return Ok(exit::OK);
    };
    say_wrong_person(&outcome, &intended);
    // On a terminal, offer a second sign-in right away, its address for a private window (which
    // shares no Xero session with the browser that is signed in as someone else).
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(exit::NEEDS_HUMAN);
    }
    let again = sign_in(engine, Some(&intended), true, true, scopes, migrate).await?;
    if again.expected_other.is_some() {
        say_wrong_person(&again, &intended);
        return Ok(exit::NEEDS_HUMAN);
    }
    say_connected(&again);
    Ok(exit::OK)
}

/// `connect --custom-connection`: the app's client id and secret, no browser. The secret comes
/// from TENANTRY_CLIENT_SECRET or a prompt without echo, never from an argument (which other
/// users can read in the process list).
pub async fn custom(engine: &Engine, client_id: Option<String>) -> Result<u8, Failure> {
    let at_terminal = std::io::stdin().is_terminal();
    let client_id = match client_id {
        Some(id) => id,
        None if at_terminal => {
            eprint!("The custom connection app's client id: ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| {
                Failure::new(exit::FAILURE, format!("could not read the client id: {e}"))
            })?;
            line.trim().to_owned()
        }
        None => {
            return Err(Failure::new(
                exit::USAGE,
                "give the custom connection's client id with --client-id ID",
            ));
        }
    };
    let secret = match std::env::var("TENANTRY_CLIENT_SECRET") {
        Ok(secret) if !secret.is_empty() => tenantry_core::secret::Secret::new(secret),
        _ if at_terminal => tenantry_core::secret::Secret::new(
            rpassword::prompt_password("Its client secret (not shown): ").map_err(|e| {
                Failure::new(exit::FAILURE, format!("could not read the secret: {e}"))
            })?,
        ),
        _ => {
            return Err(Failure::new(
                exit::USAGE,
                "set TENANTRY_CLIENT_SECRET to the custom connection's client secret (or run at a terminal to be asked)",
            ));
        }
    };
    let outcome = engine.connect_custom(&client_id, secret).await?;
    say_connected(&outcome);
    Ok(exit::OK)
}

/// One sign-in to the end: the address, the browser (unless `no_browser`), the wait.
async fn sign_in(
    engine: &Engine,
    expected: Option<&Login>,
    no_browser: bool,
    private_window: bool,
    scopes: &[String],
    migrate: bool,
) -> Result<LoginOutcome, Failure> {
    let sign_in = match expected {
        Some(login) if migrate => engine.begin_scope_migration(login).await?,
        _ => {
            engine
                .begin_login_with(expected.map(|l| l.id.clone()), scopes)
                .await?
        }
    };
    let url = sign_in.authorize_url().to_string();
    if private_window {
        eprintln!(
            "\nTo sign in as {} now, copy this address into a private (incognito) browser window:\n\n  {url}\n",
            expected.map_or("the right person", |l| l.email.as_str())
        );
    } else {
        eprintln!("Sign in to Xero and approve access at:\n\n  {url}\n");
        if let Some(login) = expected {
            eprintln!(
                "Sign in as {} (if your browser is signed in to Xero as someone else, sign out of Xero first, or copy the address into a private window).",
                login.email
            );
        }
    }
    if !no_browser && let Err(e) = tenantry_core::browser::open_off_thread(url.clone()).await {
        eprintln!("Could not open a browser ({e}); open the address above yourself.");
    }
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let progress =
        render::Progress::spinner("Waiting for you to approve in your browser (Ctrl-C cancels)");
    let outcome = sign_in.complete(cancel).await;
    progress.stop();
    Ok(outcome?)
}

/// "already connected: N, new: M" for what one consent reached.
fn counts(outcome: &LoginOutcome) -> String {
    let new = outcome.added.len();
    format!(
        "already connected: {}, new: {new}",
        outcome.organisations.len().saturating_sub(new)
    )
}

fn say_connected(outcome: &LoginOutcome) {
    let login = &outcome.login;
    println!(
        "Connected {} <{}> ({}).",
        login.name,
        login.email,
        counts(outcome)
    );
    if !outcome.added.is_empty() {
        println!("This consent added:");
        for org in &outcome.added {
            println!("  {}  ({})", org.name, org.tenant_id);
        }
    }
    println!("Scopes granted: {}", login.scopes.join(" "));
    if let Some(err) = &outcome.organisations_error {
        eprintln!(
            "tenantry: the login is saved, but its organisations could not be listed: {err}. Run: tenantry check {}",
            login.email
        );
    }
}

/// The failure first (stderr), then what did happen to the person who signed in.
fn say_wrong_person(outcome: &LoginOutcome, intended: &Login) {
    let login = &outcome.login;
    eprintln!(
        "tenantry: {} was not reconnected: the browser signed in to Xero as {}, not {}. {} is unchanged.\n\
         To reconnect {}, sign in as {} in a private (incognito) browser window with the address from \
         `tenantry connect --reconnect {} --no-browser`, or sign out of Xero in the browser (https://go.xero.com/logout) and run `tenantry connect --reconnect {}`.",
        intended.email,
        login.email,
        intended.email,
        intended.email,
        intended.email,
        intended.email,
        intended.email,
        intended.email,
    );
    eprintln!(
        "tenantry: meanwhile {} <{}> was saved as a login of its own ({}).",
        login.name,
        login.email,
        counts(outcome)
    );
}
