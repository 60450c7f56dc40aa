//! `tenantry gateway`: serves the Xero API (and the token agent) to programs on this computer
//! until interrupted; `--print-key` and `--rotate-key` show and replace the gateway key.
//! `tenantry mcp`: the MCP server, calling through the running gateway (found through its token
//! agent) or one of its own.

use crate::{Failure, exit};
use tenantry_core::profile::Profile;
use tenantry_gateway::{HostError, Hosted, key};

pub async fn run(
    profile: &Profile,
    port: Option<u16>,
    print_key: bool,
    rotate_key: bool,
) -> Result<u8, Failure> {
    let vault = profile
        .vault(crate::passphrase::ask_if_needed(profile)?)
        .await?;
    if print_key || rotate_key {
        let which = if rotate_key {
            key::Keep::New
        } else {
            key::Keep::Current
        };
        let key = key::kept(vault, which)
            .await
            .map_err(tenantry_core::EngineError::from)?;
        println!("{}", key.expose());
        if rotate_key {
            eprintln!(
                "A new gateway key. A gateway already running accepts the old one until it is restarted."
            );
        }
        return Ok(exit::OK);
    }
    let port = port.unwrap_or(profile.config.gateway_port);
    let engine = profile.open_engine_on(vault).await?;
    engine.enable_background_retries();
    let hosted = Hosted::start(engine, &profile.paths.data_dir, port)
        .await
        .map_err(|e| match e {
            HostError::Key(e) => Failure::from(tenantry_core::EngineError::from(e)),
            HostError::Gateway(e) => Failure::new(exit::UNREACHABLE, e.to_string()),
        })?;
    // One line on stdout, the base URL, for scripts; the rest is for people.
    println!("{}", hosted.serving.url());
    eprintln!(
        "Serving the Xero API to programs on this computer at {} (send `Authorization: Bearer $(tenantry gateway --print-key)` and `xero-tenant-id: ORG`).",
        hosted.serving.url()
    );
    match hosted.agent_path() {
        Some(path) => eprintln!(
            "`tenantry token` and `tenantry exec` are answered from memory while this runs ({}).",
            path.display()
        ),
        None => eprintln!(
            "The token agent is not running (see the log); `tenantry token` reads the keychain."
        ),
    }
    eprintln!("Press Ctrl-C to stop.");
    crate::stop::requested().await;
    // Calls under way end, and the call log writes them, before the process does.
    hosted.settle().await;
    Ok(exit::OK)
}

pub async fn mcp(profile: &Profile, allow_writes: bool) -> Result<u8, Failure> {
    let vault = profile
        .vault(crate::passphrase::ask_if_needed(profile)?)
        .await?;
    let engine = profile.open_engine_on(vault).await?;
    engine.enable_background_retries();
    // The profile's running gateway as its token agent names it, else one of this process's
    // own (stdout is the MCP session's: say nothing).
    let upstream = tenantry_gateway::call::Upstream::new(engine.clone(), &profile.paths.data_dir);
    let tools = tenantry_gateway::mcp::XeroTools::new(engine, upstream, allow_writes);
    tenantry_gateway::mcp::serve_stdio(tools)
        .await
        .map_err(|e| Failure::new(exit::FAILURE, e))?;
    Ok(exit::OK)
}
