//! A private network CA in a temporary directory, issuing each institution's certificate.

use std::path::PathBuf;
use std::sync::Arc;

use renkei_wire::peer::{HubClient, RegistryClient};
use renkei_wire::pki::Pki;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{Client, Identity, Role};
use rustls::ClientConfig;

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

    /// A path in the test's temporary directory (e.g. for a SQLite store).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `sqlite:` URL of a store named `name` in the test's temporary directory.
    pub fn sqlite(&self, name: &str) -> String {
        format!("sqlite:{}", self.path(&format!("{name}.db")).display())
    }

    /// The certificate of institution `code` in `role` (issued once, then reused).
    pub fn files(&self, code: &str, role: Role) -> TlsFiles {
        self.pki
            .issue(&Identity::new(code, role, code))
            .expect("certificate")
    }

    pub fn client_config(&self, code: &str, role: Role) -> Arc<ClientConfig> {
        self.files(code, role).client_config().expect("tls")
    }

    /// A raw client speaking as `code` (for calls a typed client would refuse to make).
    pub fn client(&self, code: &str, role: Role, url: &str) -> Client {
        Client::new(self.client_config(code, role), url)
    }

    pub fn hub_client(&self, code: &str, role: Role, url: &str) -> HubClient {
        HubClient::new(self.client_config(code, role), url)
    }

    pub fn registry_client(&self, code: &str, role: Role, url: &str) -> RegistryClient {
        RegistryClient::new(self.client_config(code, role), url)
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}
