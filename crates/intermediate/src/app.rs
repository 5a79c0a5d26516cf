//! Starting an intermediate server: open the store, connect to J-LIS and the hub, serve.

use std::sync::Arc;

use renkei_core::crypto::{KeyedHasher, Sealer};
use renkei_store::StoreError;
use renkei_wire::metrics::Metrics;
use renkei_wire::peer::{HubClient, RegistryClient};
use renkei_wire::server::RunningServer;
use renkei_wire::tls::TlsError;
use tokio::sync::watch;

use crate::config::{ConfigError, IntermediateConfig};
use crate::registration::Registrar;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("中間サーバ: {0}")]
    Config(#[from] ConfigError),
    #[error("中間サーバ: {0}")]
    Store(#[from] StoreError),
    #[error("中間サーバ: {0}")]
    Tls(#[from] TlsError),
    #[error("中間サーバ: {0} で待ち受けできません: {1}")]
    Bind(String, std::io::Error),
}

pub struct Application {
    server: RunningServer,
    registrar: Arc<Registrar>,
    fuhon: Arc<crate::fuhon::FuhonService>,
}

impl Application {
    pub async fn build(
        config: IntermediateConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Application, StartError> {
        let store = Store::open_url(&config.store).await?;
        let client_tls = config.tls.client_config()?;
        let registry = RegistryClient::new(client_tls.clone(), &config.registry_url);
        let hub = HubClient::new(client_tls, &config.hub_url);
        let metrics = Metrics::default();
        let relay_client = registry.clone();
        let registrar = Arc::new(Registrar::new(
            store,
            registry,
            hub,
            KeyedHasher::new(&config.keys.number_hash),
            Sealer::new(&config.keys.seal),
            &metrics,
        ));
        let inquiries = Arc::new(crate::inquiry::Inquiries {
            registrar: registrar.clone(),
            hub: HubClient::new(config.tls.client_config()?, &config.hub_url),
            signer: renkei_wire::signing::Signer::load(&config.tls)?,
            records: renkei_ledger::party::PartyLog::start(crate::inquiry::store::engine(
                registrar.store(),
            )),
        });
        let relay = crate::jlis::Relay::new(registrar.clone(), relay_client);
        let fuhon = Arc::new(crate::fuhon::FuhonService::new(registrar.store()));
        let router = crate::api::router(registrar.clone())
            .merge(crate::inquiry::router(inquiries))
            .merge(crate::jlis::router(relay))
            .merge(crate::fuhon::api::router(fuhon.clone()));
        let server = renkei_wire::server::start(
            "intermediate",
            &config.listen,
            config.tls.server_config()?,
            router,
            metrics,
            shutdown,
        )
        .await
        .map_err(|e| StartError::Bind(config.listen.clone(), e))?;
        Ok(Application {
            server,
            registrar,
            fuhon,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn store(&self) -> &Store {
        self.registrar.store()
    }

    /// 副本作成 (and its reads for inquiries).
    pub fn fuhon(&self) -> &crate::fuhon::FuhonService {
        &self.fuhon
    }

    /// Waits until the server has shut down (after the shutdown channel fired).
    pub async fn wait(self) {
        let _ = self.server.handle.await;
    }
}
