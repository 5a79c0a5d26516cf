//! `renkei serve <system> --config FILE`: one system as its own server, until SIGINT/SIGTERM.

use std::path::PathBuf;

use tokio::sync::watch;

#[derive(clap::Args)]
pub struct ServeArgs {
    #[arg(value_parser = ["registry", "hub", "intermediate", "agency"])]
    system: String,
    /// 設定ファイル（TOML）
    #[arg(long)]
    config: PathBuf,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (stop, shutdown) = watch::channel(false);
    let waiter: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> =
        match args.system.as_str() {
            "registry" => {
                let app = renkei_registry::Application::build(
                    renkei_registry::RegistryConfig::load(&args.config)?,
                    shutdown,
                )
                .await?;
                tracing::info!(url = %app.url(), "registry (J-LIS) serving");
                Box::pin(app.wait())
            }
            "hub" => {
                let app = renkei_hub::Application::build(
                    renkei_hub::HubConfig::load(&args.config)?,
                    shutdown,
                )
                .await?;
                tracing::info!(url = %app.url(), "hub serving");
                Box::pin(app.wait())
            }
            "agency" => {
                let config = renkei_agency::AgencyConfig::load(&args.config)?;
                let app = renkei_agency::Application::build(config, shutdown).await?;
                tracing::info!(url = %app.url(), "agency serving");
                Box::pin(app.wait())
            }
            _ => {
                let config = renkei_intermediate::IntermediateConfig::load(&args.config)?;
                let app = renkei_intermediate::Application::build(config, shutdown).await?;
                tracing::info!(url = %app.url(), "intermediate serving");
                Box::pin(app.wait())
            }
        };
    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    waiter.await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
