//! Synthetic residents, stores on both engines and registries on random ports.

use renkei_core::{MyNumber, ResidentCode, Sex};
use renkei_registry::config::RegistryConfig;
use renkei_registry::domain::Protection;
use renkei_registry::{Application, ResidentRecord, Store};
use renkei_store::StoreUrl;
use renkei_wire::pki::Pki;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{Identity, Role};
use tokio::sync::watch;

/// The `i`-th synthetic resident (numbers spread over the space, all valid).
pub fn resident(i: u64) -> ResidentRecord {
    ResidentRecord {
        my_number: number(i),
        resident_code: ResidentCode::from_body_u64(1_000_000_000 + i * 13),
        name: format!("山田　太郎{i}"),
        kana: "ヤマダ\u{3000}タロウ".into(),
        birth: time::macros::date!(1945 - 04 - 01),
        sex: [Sex::Male, Sex::Female][(i % 2) as usize],
        address: format!("東京都千代田区千代田一丁目{i}番1号"),
        municipality_code: "131016".into(),
    }
}

pub fn number(i: u64) -> MyNumber {
    MyNumber::from_body_u64(10_000_000_000 + i * 7_919)
}

/// A number no synthetic resident has.
pub fn unknown(i: u64) -> MyNumber {
    MyNumber::from_body_u64(90_000_000_000 + i)
}

pub async fn open(url: &StoreUrl) -> Store {
    let keys = RegistryConfig::generate_keys();
    Store::open(url, Protection::new(&keys.number_hash, &keys.seal))
        .await
        .expect("store opens")
}

/// A private network CA in a temporary directory.
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
}

/// A registry on a random port over a SQLite store in the PKI's directory.
pub struct TestRegistry {
    pub app: Application,
    pub stop: watch::Sender<bool>,
}

pub async fn spawn_registry(pki: &TestPki, store: &str) -> TestRegistry {
    let config = RegistryConfig {
        listen: "127.0.0.1:0".into(),
        store: store.into(),
        tls: pki.files("registry", Role::Registry),
        keys: RegistryConfig::generate_keys(),
    };
    let (stop, shutdown) = watch::channel(false);
    let app = Application::build(config, shutdown)
        .await
        .expect("registry starts");
    TestRegistry { app, stop }
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
