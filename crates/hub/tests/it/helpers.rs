//! A private CA, a seeded registry and hubs on random ports.

use renkei_core::{MyNumber, ResidentCode, Sex};
use renkei_hub::{HubConfig, HubKeys};
use renkei_registry::{RegistryConfig, ResidentRecord};
use renkei_store::StoreUrl;
use renkei_wire::peer::HubClient;
use renkei_wire::pki::Pki;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{Identity, Role};
use tokio::sync::watch;

pub fn resident(i: u64) -> ResidentRecord {
    ResidentRecord {
        my_number: number(i),
        resident_code: ResidentCode::from_body_u64(1_000_000_000 + i * 13),
        name: format!("佐藤　花子{i}"),
        kana: "サトウ\u{3000}ハナコ".into(),
        birth: time::macros::date!(1940 - 01 - 15),
        sex: Sex::Female,
        address: "東京都千代田区千代田1-1".into(),
        municipality_code: "131016".into(),
    }
}

pub fn number(i: u64) -> MyNumber {
    MyNumber::from_body_u64(10_000_000_000 + i * 7_919)
}

pub fn unknown(i: u64) -> MyNumber {
    MyNumber::from_body_u64(90_000_000_000 + i)
}

/// A store URL string for `Application::build`.
pub fn url_string(url: &StoreUrl) -> String {
    match url {
        StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
        StoreUrl::Postgres { conn, schema } => format!("{conn}?schema={schema}"),
    }
}

pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
}

impl TestPki {
    pub fn new() -> TestPki {
        renkei_wire::tls::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = Pki::open_or_create(&dir.path().join("pki")).expect("pki");
        TestPki { dir, pki }
    }

    pub fn files(&self, code: &str, role: Role) -> TlsFiles {
        self.pki
            .issue(&Identity::new(code, role, code))
            .expect("certificate")
    }

    pub fn hub_client(&self, code: &str, role: Role, url: &str) -> HubClient {
        HubClient::new(self.files(code, role).client_config().expect("tls"), url)
    }
}

pub struct TestRegistry {
    pub app: renkei_registry::Application,
    pub stop: watch::Sender<bool>,
}

impl TestRegistry {
    pub async fn shut_down(self) {
        self.stop.send(true).expect("stop");
        self.app.wait().await;
    }
}

/// A registry holding residents `0..n`.
pub async fn spawn_registry(pki: &TestPki, n: u64) -> TestRegistry {
    let config = RegistryConfig {
        listen: "127.0.0.1:0".into(),
        store: format!("sqlite:{}", pki.dir.path().join("registry.db").display()),
        tls: pki.files("registry", Role::Registry),
        keys: RegistryConfig::generate_keys(),
    };
    let (stop, shutdown) = watch::channel(false);
    let app = renkei_registry::Application::build(config, shutdown)
        .await
        .expect("registry starts");
    let records: Vec<_> = (0..n).map(resident).collect();
    for chunk in records.chunks(10_000) {
        app.store().upsert_residents(chunk).await.expect("seed");
    }
    TestRegistry { app, stop }
}

pub struct TestHub {
    pub app: renkei_hub::Application,
    pub stop: watch::Sender<bool>,
    pub config: HubConfig,
}

impl TestHub {
    pub async fn shut_down(self) -> HubConfig {
        self.stop.send(true).expect("stop");
        self.app.wait().await;
        self.config
    }
}

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
    TestHub { app, stop, config }
}

/// A hub on SQLite in the PKI's directory, asking `registry_url`.
pub async fn spawn_sqlite_hub(pki: &TestPki, registry_url: &str) -> TestHub {
    let store = format!("sqlite:{}", pki.dir.path().join("hub.db").display());
    spawn_hub(hub_config(
        pki,
        registry_url,
        &store,
        HubConfig::generate_keys(),
    ))
    .await
}

/// The bytes of a SQLite database with its WAL and other side files.
pub fn sqlite_bytes(path: &std::path::Path) -> Vec<u8> {
    let dir = path.parent().expect("parent");
    let stem = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_name().to_string_lossy().starts_with(&stem) {
            bytes.extend(std::fs::read(entry.path()).expect("read"));
        }
    }
    bytes
}

/// The text of every row `select` returns (one text column), concatenated.
pub async fn pg_dump(conn: &str, select: &str) -> Vec<u8> {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let rows = client.query(select, &[]).await.expect("dump");
    rows.iter()
        .flat_map(|r| r.get::<_, String>(0).into_bytes())
        .collect()
}
