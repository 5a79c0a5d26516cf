//! Start-up: open the store, build the routes and serve them over mutual TLS. Tests and the
//! sandbox start the registry only through [`Application::build`].

use renkei_store::{StoreError, StoreUrl};
use renkei_wire::metrics::Metrics;
use renkei_wire::server::{self, RunningServer};
use renkei_wire::tls::TlsError;
use tokio::sync::watch;

use crate::config::RegistryConfig;
use crate::domain::Protection;
use crate::store::Store;

/// A running registry.
pub struct Application {
    server: RunningServer,
    store: Store,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("住基ネットの保存先を開けません: {0}")]
    Store(#[from] StoreError),
    #[error("住基ネットの TLS 設定: {0}")]
    Tls(#[from] TlsError),
    #[error("住基ネットの待ち受けを開始できません: {0}")]
    Bind(#[from] std::io::Error),
}

impl Application {
    /// Opens the store (applying migrations) and starts serving on `config.listen` until
    /// `shutdown` turns true.
    pub async fn build(
        config: RegistryConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Application, StartError> {
        let url = StoreUrl::parse(&config.store, "registry")?;
        let protection = Protection::new(&config.keys.number_hash, &config.keys.seal);
        let store = Store::open(&url, protection).await?;
        let tls = config.tls.server_config()?;
        let metrics = Metrics::default();
        let router = crate::api::router(store.clone(), &metrics);
        let server =
            server::start("registry", &config.listen, tls, router, metrics, shutdown).await?;
        tracing::info!(store = %url, "registry started");
        Ok(Application { server, store })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The store, for loading residents (the sandbox seeds through it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits until the server has shut down and drained its connections.
    pub async fn wait(self) {
        if let Err(e) = self.server.handle.await {
            tracing::error!(error = %e, "registry server task failed");
        }
    }
}
