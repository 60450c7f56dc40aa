//! `fake-xero`: runs the fake Xero on loopback until interrupted, for scripted tests (which steer
//! it through its `/_fake/…` routes) and for trying a Xero client against it.

use clap::Parser;
use std::net::SocketAddr;
use tenantry_fake_xero::{FakeXero, Options, Seed};

/// Tenantry's built-in fake Xero (identity + API) on this computer only.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Access-token lifetime in seconds (Xero: 1800).
    #[arg(long, default_value_t = 1800)]
    access_lifetime: i64,
    /// Sign in automatically as this test user (email) instead of showing the login page.
    #[arg(long)]
    auto_approve: Option<String>,
    /// Accept only this client id (default: any).
    #[arg(long)]
    client_id: Option<String>,
    /// Seed LOGINSxORGS generated users instead of the three standard ones, e.g. 20x10.
    #[arg(long)]
    generated: Option<String>,
    /// Milliseconds added to every API call.
    #[arg(long, default_value_t = 0)]
    api_latency_ms: u64,
    /// Milliseconds added to every token-endpoint call.
    #[arg(long, default_value_t = 0)]
    token_latency_ms: u64,
    /// Enforce the limits of an app on this tier (starter, core, plus, advanced, enterprise):
    /// its connection cap and each organisation's calls a day.
    #[arg(long)]
    tier: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let seed = match &args.generated {
        Some(spec) => {
            let (logins, orgs) = spec
                .split_once('x')
                .ok_or("--generated takes LOGINSxORGS, e.g. 20x10")?;
            Seed::generated(logins.parse()?, orgs.parse()?)
        }
        None => Seed::standard(),
    };
    let options = Options {
        access_lifetime: chrono::Duration::seconds(args.access_lifetime.max(1)),
        auto_approve: args.auto_approve,
        client_id: args.client_id,
        api_latency: std::time::Duration::from_millis(args.api_latency_ms),
        token_latency: std::time::Duration::from_millis(args.token_latency_ms),
        seed,
        ..Options::default()
    };
    let options = match &args.tier {
        Some(tier) => options.on_tier(tier).ok_or_else(|| {
            format!(
                "--tier {tier}: not a Xero tier; use starter, core, plus, advanced or enterprise"
            )
        })?,
        None => options,
    };
    let fake = FakeXero::start_on(SocketAddr::from(([127, 0, 0, 1], args.port)), options).await?;
    // One line on stdout, so scripts can read the address.
    println!("{}", fake.url());
    stopped().await?;
    Ok(())
}

/// Ctrl-C everywhere; SIGTERM (what scripts send) on Unix.
#[cfg(unix)]
async fn stopped() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn stopped() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await?;
    Ok(())
}
