//! `tenantry handover FROM TO`: hands the organisations only FROM reaches over to TO before FROM
//! is removed (someone leaves). It lists them, signs TO in (one consent can add several) and
//! checks which arrived, and removes FROM, revoking it at Xero, only once none would be lost, or
//! when `--force` names exactly those that would be. Where it stands is judged afresh from the
//! store each run ([`tenantry_core::handover`]), so a handover stopped anywhere continues when
//! run again; each step is an event.

use crate::{Failure, exit};
use tenantry_core::Engine;
use tenantry_core::handover::{Handover, Step, forced, names};
use tenantry_core::model::Login;

pub async fn run(
    engine: &Engine,
    from: &str,
    to: &str,
    yes: bool,
    force: &[String],
    no_browser: bool,
) -> Result<u8, Failure> {
    let (from, to) = (
        engine.resolve_login(from).await?,
        engine.resolve_login(to).await?,
    );
    if from.id == to.id {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "FROM and TO are both {}; name the login taking over",
                from.email
            ),
        ));
    }
    let mut state = engine.handover(&from.id, &to.id).await?;
    say(&from, &to, &state);
    if !state.complete() && force.is_empty() {
        let wanted = names(&state.missing);
        engine
            .note_handover(&from, &to, Step::SigningIn, &state)
            .await;
        println!(
            "\nSign in as {} and, in Xero's consent screen, choose: {wanted}.",
            to.email
        );
        let signed =
            crate::connect_cmd::run(engine, Some(to.email.clone()), no_browser, &[], false).await?;
        if signed != exit::OK {
            return Ok(signed);
        }
        state = engine.handover(&from.id, &to.id).await?;
        engine
            .note_handover(&from, &to, Step::Checked, &state)
            .await;
        println!();
        say(&from, &to, &state);
        if !state.complete() {
            return Err(Failure::new(
                exit::NEEDS_HUMAN,
                format!(
                    "{} does not reach {} yet; run `tenantry handover {} {}` again and choose them in Xero's consent screen. {} is kept.",
                    to.email,
                    names(&state.missing),
                    from.email,
                    to.email,
                    from.email
                ),
            ));
        }
    }
    if !force.is_empty() {
        forced(&state, force).map_err(|why| {
            Failure::new(
                exit::USAGE,
                format!(
                    "--force must name exactly the organisations that would be lost with {}: {why}; nothing was changed",
                    from.email
                ),
            )
        })?;
    }
    let lost = if state.missing.is_empty() {
        String::new()
    } else {
        format!(" {} will be lost.", names(&state.missing))
    };
    crate::disconnect_cmd::confirm(
        &format!("Remove {}? This revokes it at Xero.{lost}", from.email),
        yes,
    )?;
    // Judged again as it removes: another process may have changed what TO reaches since.
    let state = engine.finish_handover(&from, &to, force).await?;
    println!(
        "Removed {}: revoked at Xero. {} reaches every organisation it alone reached{}.",
        from.email,
        to.email,
        if state.missing.is_empty() {
            ""
        } else {
            ", but those named with --force"
        }
    );
    Ok(exit::OK)
}

fn say(from: &Login, to: &Login, state: &Handover) {
    println!(
        "{} alone reaches {} organisation(s); {} reaches {} of them.",
        from.email,
        state.handed(),
        to.email,
        state.covered.len()
    );
    for c in &state.covered {
        println!("  done     {}  {}", c.name, c.tenant_id);
    }
    for c in &state.missing {
        println!("  missing  {}  {}", c.name, c.tenant_id);
    }
    if !state.shared.is_empty() {
        println!(
            "  ({} more reached through other logins too: {})",
            state.shared.len(),
            names(&state.shared)
        );
    }
}
