//! The two commands that undo a connection at Xero (`disconnect`, `remove`), and the
//! confirmation they both ask for: each is irreversible, so neither runs on a guess.

use crate::{Failure, exit};
use std::io::{IsTerminal, Write};
use tenantry_core::{Engine, EngineError};

pub(crate) fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            "refusing to ask for confirmation without a terminal; add --yes to confirm.",
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Failure::new(exit::CANCELLED, "nothing was changed."))
    }
}

pub async fn disconnect(
    engine: &Engine,
    org: &str,
    login: Option<&str>,
    yes: bool,
) -> Result<u8, Failure> {
    let tenant = engine.resolve_organisation(org).await?;
    let reaching: Vec<_> = engine
        .organisations()
        .await?
        .into_iter()
        .filter(|o| o.tenant_id == tenant)
        .collect();
    let chosen = match login {
        Some(sel) => {
            let login = engine.resolve_login(sel).await?;
            reaching
                .into_iter()
                .find(|o| o.login_id == login.id)
                .ok_or_else(|| {
                    Failure::new(
                        exit::NOT_FOUND,
                        format!(
                            "{} does not reach that organisation. Run: tenantry orgs",
                            login.email
                        ),
                    )
                })?
        }
        None if reaching.len() == 1 => reaching.into_iter().next().expect("one"),
        None => {
            let logins = engine.logins().await?;
            let emails: Vec<_> = reaching
                .iter()
                .filter_map(|o| logins.iter().find(|l| l.id == o.login_id))
                .map(|l| l.email.clone())
                .collect();
            return Err(Failure::new(
                exit::NOT_FOUND,
                format!(
                    "that organisation is reached through {}; choose one with --login.",
                    emails.join(" and ")
                ),
            ));
        }
    };
    // Another process may have removed the login since the organisations were read.
    let login = engine
        .logins()
        .await?
        .into_iter()
        .find(|l| l.id == chosen.login_id)
        .ok_or_else(|| Failure::from(EngineError::LoginGone(chosen.login_id.clone())))?;
    confirm(
        &format!("Disconnect {} from {} at Xero?", chosen.name, login.email),
        yes,
    )?;
    let org = engine.disconnect(&login.id, &chosen.tenant_id).await?;
    println!("Disconnected {} from {}.", org.name, login.email);
    Ok(exit::OK)
}

pub async fn remove(engine: &Engine, selector: &str, yes: bool) -> Result<u8, Failure> {
    let login = engine.resolve_login(selector).await?;
    confirm(
        &format!(
            "Remove {}? This revokes it at Xero, which disconnects all of its organisations.",
            login.email
        ),
        yes,
    )?;
    engine.remove_login(&login.id).await?;
    println!(
        "Removed {}: revoked at Xero, keychain entry and metadata deleted.",
        login.email
    );
    Ok(exit::OK)
}
