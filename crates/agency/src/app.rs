//! Starting an agency: open the store, load its signing key, serve over mutual TLS.

use std::sync::Arc;

use renkei_core::MyNumber;
use renkei_store::{StoreError, StoreUrl};
use renkei_wire::metrics::Metrics;
use renkei_wire::peer::HubClient;
use renkei_wire::server::{self, RunningServer};
use renkei_wire::signing::Signer;
use renkei_wire::tls::TlsError;
use renkei_wire::CallError;
use tokio::sync::watch;

use crate::api::Agency;
use crate::config::AgencyConfig;
use crate::holdings::Items;
use crate::store::{NewResident, Residents, Store};

/// The most numbers sent to the hub in one request.
const FUGO_BATCH: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("情報保有機関の保存先を開けません: {0}")]
    Store(#[from] StoreError),
    #[error("情報保有機関の TLS 設定: {0}")]
    Tls(#[from] TlsError),
    #[error("情報保有機関の待ち受けを開始できません: {0}")]
    Bind(#[from] std::io::Error),
}

/// Why residents could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("情報提供ネットワークシステムから機関別符号を取得できません: {0}")]
    Hub(#[from] CallError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A resident to register: 宛名番号, 個人番号 (used once, to obtain the 符号) and holdings.
pub struct ResidentToRegister {
    pub atena: String,
    pub number: MyNumber,
    pub holdings: Vec<(String, Items)>,
}

pub struct Application {
    server: RunningServer,
    agency: Arc<Agency>,
}

impl Application {
    pub async fn build(
        config: AgencyConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Application, StartError> {
        let url = StoreUrl::parse(&config.store, &config.default_schema())?;
        let store = Store::open(&url).await?;
        let hub = HubClient::new(config.tls.client_config()?, &config.hub_url);
        let agency = Arc::new(Agency {
            code: config.code.clone(),
            records: renkei_ledger::party::PartyLog::start(store.engine()),
            store,
            signer: Signer::load(&config.tls)?,
            hub,
        });
        let server = server::start(
            "agency",
            &config.listen,
            config.tls.server_config()?,
            crate::api::router(agency.clone()),
            Metrics::default(),
            shutdown,
        )
        .await?;
        tracing::info!(agency = %config.code, store = %url, "agency started");
        Ok(Application { server, agency })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn store(&self) -> &Store {
        &self.agency.store
    }

    /// Obtains this agency's 符号 for each resident from the hub (as itself) and records
    /// residents and holdings; residents J-LIS does not know are left out. Returns how many
    /// were recorded. The 個人番号 are not kept.
    pub async fn register_residents(
        &self,
        residents: Vec<ResidentToRegister>,
    ) -> Result<u64, RegisterError> {
        let mut recorded = 0u64;
        for chunk in residents.chunks(FUGO_BATCH) {
            let numbers: Vec<_> = chunk.iter().map(|r| r.number.clone()).collect();
            let fugo = self
                .agency
                .hub
                .issue_fugo(&self.agency.code, numbers)
                .await?;
            let new: Vec<NewResident> = chunk
                .iter()
                .zip(fugo)
                .filter_map(|(r, fugo)| {
                    Some(NewResident {
                        atena: r.atena.clone(),
                        fugo: fugo?,
                        holdings: r.holdings.clone(),
                    })
                })
                .collect();
            recorded += new.len() as u64;
            self.agency.store.upsert_residents(new).await?;
        }
        Ok(recorded)
    }

    pub async fn wait(self) {
        if let Err(e) = self.server.handle.await {
            tracing::error!(error = %e, "agency server task failed");
        }
    }
}
