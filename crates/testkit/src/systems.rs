//! Each system started as the sandbox starts it — `Application::build` on `127.0.0.1:0` over
//! mutual TLS — with the configuration a test needs, on the store URL it is given.

use renkei_agency::AgencyConfig;
use renkei_hub::{HubConfig, HubKeys};
use renkei_intermediate::config::IntermediateKeys;
use renkei_intermediate::IntermediateConfig;
use renkei_registry::{RegistryConfig, ResidentRecord};
use renkei_wire::Role;
use tokio::sync::watch;

use crate::TestPki;

/// A system running in the test, with the configuration it was started with.
pub struct Spawned<A, C> {
    pub app: A,
    pub config: C,
    stop: watch::Sender<bool>,
}

pub type TestRegistry = Spawned<renkei_registry::Application, RegistryConfig>;
pub type TestHub = Spawned<renkei_hub::Application, HubConfig>;
pub type TestIntermediate = Spawned<renkei_intermediate::Application, IntermediateConfig>;
pub type TestAgency = Spawned<renkei_agency::Application, AgencyConfig>;

/// A system that can be told to stop and waited for.
pub trait Stoppable {
    fn wait(self) -> impl std::future::Future<Output = ()> + Send;
}

impl<A: Stoppable, C> Spawned<A, C> {
    /// Stops the system as SIGTERM would and waits for it; returns its configuration (to
    /// start it again on the same store).
    pub async fn shut_down(self) -> C {
        self.stop.send(true).expect("stop");
        self.app.wait().await;
        self.config
    }
}

macro_rules! stoppable {
    ($($app:ty),*) => {$(
        impl Stoppable for $app {
            async fn wait(self) {
                <$app>::wait(self).await
            }
        }
    )*};
}
stoppable!(
    renkei_registry::Application,
    renkei_hub::Application,
    renkei_intermediate::Application,
    renkei_agency::Application
);

pub fn registry_config(pki: &TestPki, store: &str) -> RegistryConfig {
    RegistryConfig {
        listen: "127.0.0.1:0".into(),
        store: store.into(),
        tls: pki.files("registry", Role::Registry),
        keys: RegistryConfig::generate_keys(),
    }
}

/// J-LIS on `store`, holding `residents`.
pub async fn spawn_registry(
    pki: &TestPki,
    store: &str,
    residents: impl IntoIterator<Item = ResidentRecord>,
) -> TestRegistry {
    let config = registry_config(pki, store);
    let (stop, shutdown) = watch::channel(false);
    let app = renkei_registry::Application::build(config.clone(), shutdown)
        .await
        .expect("registry starts");
    let records: Vec<_> = residents.into_iter().collect();
    for chunk in records.chunks(10_000) {
        app.store().upsert_residents(chunk).await.expect("seed");
    }
    Spawned { app, config, stop }
}

/// A hub with an empty directory (tests add the institutions they need) and a 1 s deadline.
pub fn hub_config(pki: &TestPki, registry_url: &str, store: &str, keys: HubKeys) -> HubConfig {
    HubConfig {
        listen: "127.0.0.1:0".into(),
        store: store.into(),
        registry_url: registry_url.into(),
        tls: pki.files("hub", Role::Hub),
        keys,
        directory: Vec::new(),
        inquiry_deadline_ms: 1_000,
    }
}

pub async fn spawn_hub(config: HubConfig) -> TestHub {
    let (stop, shutdown) = watch::channel(false);
    let app = renkei_hub::Application::build(config.clone(), shutdown)
        .await
        .expect("hub starts");
    Spawned { app, config, stop }
}

pub fn intermediate_config(
    pki: &TestPki,
    registry_url: &str,
    hub_url: &str,
    store: &str,
) -> IntermediateConfig {
    IntermediateConfig {
        listen: "127.0.0.1:0".into(),
        store: store.into(),
        tls: pki.files("intermediate", Role::Intermediate),
        registry_url: registry_url.into(),
        hub_url: hub_url.into(),
        keys: IntermediateKeys::generate(),
    }
}

pub async fn spawn_intermediate(config: IntermediateConfig) -> TestIntermediate {
    let (stop, shutdown) = watch::channel(false);
    let app = renkei_intermediate::Application::build(config.clone(), shutdown)
        .await
        .expect("intermediate starts");
    Spawned { app, config, stop }
}

/// An agency (a municipality) named `code`, listening on `listen`.
pub fn agency_config(
    pki: &TestPki,
    code: &str,
    listen: &str,
    hub_url: &str,
    store: &str,
) -> AgencyConfig {
    AgencyConfig {
        code: code.parse().expect("agency code"),
        name: code.into(),
        listen: listen.into(),
        store: store.into(),
        hub_url: hub_url.into(),
        tls: pki.files(code, Role::Agency),
    }
}

pub async fn spawn_agency(config: AgencyConfig) -> TestAgency {
    let (stop, shutdown) = watch::channel(false);
    let app = renkei_agency::Application::build(config.clone(), shutdown)
        .await
        .expect("agency starts");
    Spawned { app, config, stop }
}
