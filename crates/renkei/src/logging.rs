//! Logs go to stderr, filtered by `RENKEI_LOG` (or `RUST_LOG`), `info` by default. Nothing in
//! renkei logs a 個人番号: identifiers that are personal have redacting `Debug`/`Display`.
//! Colours only when stderr is a terminal, so log files and journald get plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("RENKEI_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
