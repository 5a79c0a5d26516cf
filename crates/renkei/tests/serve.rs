//! An operator's path: certificates from `renkei pki`, one system from `renkei serve`, health
//! over mutual TLS, and a clean stop on SIGTERM.

mod support;

use std::time::{Duration, Instant};

use renkei_registry::RegistryConfig;
use renkei_wire::tls::TlsFiles;
use support::*;

#[test]
fn pki_issues_certificates_and_serve_runs_a_system_until_sigterm() {
    renkei_wire::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    for (code, role, name) in [
        ("registry", "registry", "J-LIS"),
        ("intermediate", "intermediate", "中間サーバ"),
    ] {
        let out = renkei()
            .args(["pki", "--dir"])
            .arg(&pki)
            .args(["issue", "--code", code, "--role", role, "--name", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = RegistryConfig {
        listen: format!("127.0.0.1:{port}"),
        store: format!("sqlite:{}", dir.path().join("registry.db").display()),
        tls: TlsFiles {
            ca: pki.join("ca.pem"),
            cert: pki.join("registry.pem"),
            key: pki.join("registry.key"),
        },
        keys: RegistryConfig::generate_keys(),
    };
    let config_path = dir.path().join("registry.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();

    let log = dir.path().join("serve.log");
    let mut child = renkei()
        .args(["serve", "registry", "--config"])
        .arg(&config_path)
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();

    let client_tls = TlsFiles {
        ca: pki.join("ca.pem"),
        cert: pki.join("intermediate.pem"),
        key: pki.join("intermediate.key"),
    };
    let client = renkei_wire::Client::new(
        client_tls.client_config().unwrap(),
        &format!("https://127.0.0.1:{port}"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let health = loop {
        match runtime.block_on(client.get_text("/health")) {
            Ok(text) => break text,
            Err(e) => {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "registry did not come up: {e}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert!(
        health.contains("\"registry\"") && health.contains("\"ok\""),
        "{health}"
    );

    signal(&child, "TERM");
    let status = wait_with_limit(&mut child, Duration::from_secs(30));
    assert!(
        status.success(),
        "serve must exit cleanly on SIGTERM: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    // A log written to a file is plain text: no terminal colour codes.
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("shutting down"), "{written}");
    assert!(
        !written.contains('\u{1b}'),
        "ANSI escapes in a log file: {written}"
    );
}
