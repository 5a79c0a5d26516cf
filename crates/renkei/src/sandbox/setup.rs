//! The sandbox's data directory: PKI, certificates for every institution, and each system's
//! configuration, created on the first run and reused (with its keys) afterwards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use renkei_hub::HubConfig;
use renkei_intermediate::config::IntermediateKeys;
use renkei_intermediate::IntermediateConfig;
use renkei_registry::RegistryConfig;
use renkei_synth::KoikiUnion;
use renkei_wire::pki::Pki;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{Identity, Role};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::SandboxArgs;

pub struct Prepared {
    pub ca: PathBuf,
    pub registry: RegistryConfig,
    pub hub: HubConfig,
    pub intermediate: IntermediateConfig,
    pub unions: Vec<KoikiUnion>,
    pub insurer_tls: HashMap<String, TlsFiles>,
    /// The operators' certificate (the web terminal's operator page).
    pub operator_tls: TlsFiles,
}

pub fn prepare(args: &SandboxArgs) -> anyhow::Result<Prepared> {
    if let Some(url) = &args.store {
        anyhow::ensure!(
            !url.contains("schema="),
            "--store に schema= は指定できません（各システムは自分のスキーマ registry・hub・intermediate を使います）。\
             同じデータベースに複数のサンドボックスを置くときは schema_prefix= を使ってください"
        );
    }
    let dir = &args.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: 作成できません", dir.display()))?;
    let dir = dir.canonicalize()?;
    let pki = Pki::open_or_create(&dir.join("pki"))?;
    let issue = |code: &str, role: Role, name: &str| pki.issue(&Identity::new(code, role, name));
    let registry_tls = issue(
        "registry",
        Role::Registry,
        "地方公共団体情報システム機構（住基ネット）",
    )?;
    let hub_tls = issue("hub", Role::Hub, "情報提供ネットワークシステム")?;
    let intermediate_tls = issue(
        "intermediate",
        Role::Intermediate,
        "医療保険者向け中間サーバ",
    )?;
    let operator_tls = issue("operator", Role::Operator, "ネットワーク運用者")?;
    let unions = renkei_synth::koiki_unions();
    let mut insurer_tls = HashMap::new();
    for union in &unions {
        insurer_tls.insert(
            union.code.clone(),
            issue(&union.code, Role::Insurer, &union.name)?,
        );
    }
    let store = |system: &str| match &args.store {
        Some(url) => url.clone(),
        None => format!(
            "sqlite:{}",
            dir.join(system).join(format!("{system}.db")).display()
        ),
    };

    let mut registry: RegistryConfig =
        load_or_create(&dir.join("registry/config.toml"), || RegistryConfig {
            listen: "127.0.0.1:0".into(),
            store: String::new(),
            tls: registry_tls.clone(),
            keys: RegistryConfig::generate_keys(),
        })?;
    registry.store = store("registry");
    let mut hub: HubConfig = load_or_create(&dir.join("hub/config.toml"), || HubConfig {
        listen: "127.0.0.1:0".into(),
        store: String::new(),
        tls: hub_tls.clone(),
        registry_url: String::new(),
        keys: HubConfig::generate_keys(),
        directory: Vec::new(),
        inquiry_deadline_ms: 3_000,
    })?;
    hub.store = store("hub");
    let mut intermediate: IntermediateConfig =
        load_or_create(&dir.join("intermediate/config.toml"), || {
            IntermediateConfig {
                listen: "127.0.0.1:0".into(),
                store: String::new(),
                tls: intermediate_tls.clone(),
                registry_url: String::new(),
                hub_url: String::new(),
                keys: IntermediateKeys::generate(),
            }
        })?;
    intermediate.store = store("intermediate");
    Ok(Prepared {
        ca: pki.ca_cert_path(),
        registry,
        hub,
        intermediate,
        unions,
        insurer_tls,
        operator_tls,
    })
}

/// Reads a system's TOML configuration, or writes `create()` there first (mode 0600: it holds keys).
fn load_or_create<T: Serialize + DeserializeOwned>(
    path: &Path,
    create: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        return toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: 設定ファイルが正しくありません: {}",
                path.display(),
                e.message()
            )
        });
    }
    let value = create();
    std::fs::create_dir_all(path.parent().expect("config path has a parent"))?;
    std::fs::write(path, toml::to_string_pretty(&value)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(value)
}
