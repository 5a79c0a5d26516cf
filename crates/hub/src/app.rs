//! Start-up: open the store, connect to J-LIS, build the routes and serve them over mutual
//! TLS. Tests and the sandbox start the hub only through [`Application::build`].

use std::sync::Arc;
use std::time::Duration;

use renkei_store::{StoreError, StoreUrl};
use renkei_wire::metrics::Metrics;
use renkei_wire::peer::RegistryClient;
use renkei_wire::server::{self, RunningServer};
use renkei_wire::signing::SignatureVerifier;
use renkei_wire::tls::TlsError;
use renkei_wire::Client;
use tokio::sync::watch;

use crate::config::HubConfig;
use crate::domain::Derivation;
use crate::inquiry::Inquiries;
use crate::issue::Issuer;
use crate::permission::PermissionTable;
use crate::recorder::Recorder;
use crate::store::Store;

/// How long the hub waits for J-LIS before answering `registry_unavailable`.
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running hub.
pub struct Application {
    server: RunningServer,
    store: Store,
    log_writer: tokio::task::JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("情報提供ネットワークシステムの保存先を開けません: {0}")]
    Store(#[from] StoreError),
    #[error("情報提供ネットワークシステムの TLS 設定: {0}")]
    Tls(#[from] TlsError),
    #[error("情報提供ネットワークシステムの待ち受けを開始できません: {0}")]
    Bind(#[from] std::io::Error),
    #[error("情報提供ネットワークシステムの設定: {0}")]
    Config(String),
}

impl Application {
    /// Opens the store (applying migrations) and starts serving on `config.listen` until
    /// `shutdown` turns true. J-LIS need not be up yet: it is called per batch.
    pub async fn build(
        config: HubConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Application, StartError> {
        let url = StoreUrl::parse(&config.store, "hub")?;
        let store = Store::open(&url).await?;
        let registry = Client::new(config.tls.client_config()?, &config.registry_url)
            .with_timeout(REGISTRY_TIMEOUT);
        let metrics = Metrics::default();
        let derivation = Arc::new(Derivation::new(&config.keys));
        let issuer = Issuer::new(
            store.clone(),
            RegistryClient::from_client(registry),
            derivation.clone(),
            &metrics,
        );
        let (recorder, log_writer) =
            Recorder::start(store.clone(), config.keys.log_key_pair()).await?;
        let inquiries = Inquiries::new(
            store.clone(),
            derivation,
            PermissionTable::builtin(),
            &config.directory,
            config.tls.client_config()?,
            SignatureVerifier::new(&config.tls.ca)?,
            recorder,
            Duration::from_millis(config.inquiry_deadline_ms),
            &metrics,
        )
        .map_err(StartError::Config)?;
        let router = crate::api::router(issuer, inquiries);
        let server = server::start(
            "hub",
            &config.listen,
            config.tls.server_config()?,
            router,
            metrics,
            shutdown,
        )
        .await?;
        tracing::info!(store = %url, "hub started");
        Ok(Application {
            server,
            store,
            log_writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits until the server has shut down and drained its connections, and the log writer
    /// has signed its last checkpoint.
    pub async fn wait(self) {
        if let Err(e) = self.server.handle.await {
            tracing::error!(error = %e, "hub server task failed");
        }
        match tokio::time::timeout(Duration::from_secs(10), self.log_writer).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "hub log writer failed"),
            Err(_) => tracing::warn!("hub log writer did not stop in time"),
        }
    }
}
