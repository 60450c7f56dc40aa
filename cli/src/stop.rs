//! When a long-running command (`tenantry gateway`, `tenantry demo`) should stop: Ctrl-C
//! everywhere, and SIGTERM (what service managers and `kill` send) on Unix.

pub async fn requested() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
