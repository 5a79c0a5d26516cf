//! `renkei web --config FILE`: the web terminal (統合専用端末 in the browser) as its own server
//! until SIGINT or SIGTERM; `renkei web --config FILE add-account …` creates an account.

use renkei_terminal::web::cli::{add_account, load_config, WebArgs};
use renkei_terminal::web::WebApp;
use tokio::sync::watch;

use crate::serve::wait_for_signal;

pub async fn run(args: WebArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config)?;
    if let Some(command) = args.command {
        eprintln!("{}", add_account(&config, command).await?);
        return Ok(());
    }
    let (stop, shutdown) = watch::channel(false);
    let app = WebApp::build(config, shutdown).await?;
    eprintln!("統合専用端末（Web）: {}", app.url());
    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    app.wait().await;
    Ok(())
}
