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
///
/// A configuration written by an earlier version of renkei may lack settings added since (a new
/// key, say): those are taken from a freshly made `create()` — every setting already in the file
/// is kept — and the file is rewritten, so a data directory keeps working across upgrades.
fn load_or_create<T: Serialize + DeserializeOwned>(
    path: &Path,
    create: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    let invalid = |e: toml::de::Error| {
        anyhow::anyhow!(
            "{}: 設定ファイルが正しくありません: {}",
            path.display(),
            e.message()
        )
    };
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        match toml::from_str(&text) {
            Ok(value) => return Ok(value),
            Err(first) => {
                let mut table: toml::Table = toml::from_str(&text).map_err(invalid)?;
                let fresh = toml::Table::try_from(create())?;
                if !fill_missing(&mut table, fresh) {
                    return Err(invalid(first));
                }
                let value: T = table.try_into().map_err(invalid)?;
                write_private(path, &value)?;
                tracing::info!(path = %path.display(), "configuration upgraded with new settings");
                return Ok(value);
            }
        }
    }
    let value = create();
    write_private(path, &value)?;
    Ok(value)
}

/// Adds to `table` every entry of `fresh` it lacks, recursively; `true` if any was added.
fn fill_missing(table: &mut toml::Table, fresh: toml::Table) -> bool {
    let mut added = false;
    for (name, value) in fresh {
        match (table.get_mut(&name), value) {
            (None, value) => {
                table.insert(name, value);
                added = true;
            }
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => {
                added |= fill_missing(mine, theirs);
            }
            (Some(_), _) => {}
        }
    }
    added
}

fn write_private<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    std::fs::create_dir_all(path.parent().expect("config path has a parent"))?;
    std::fs::write(path, toml::to_string_pretty(value)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Keys {
        old: String,
        added: String,
    }

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Config {
        listen: String,
        keys: Keys,
    }

    fn fresh() -> Config {
        Config {
            listen: "127.0.0.1:0".into(),
            keys: Keys {
                old: "new-old".into(),
                added: "generated".into(),
            },
        }
    }

    #[test]
    fn a_configuration_from_an_earlier_version_gains_new_settings_and_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7702\"\n[keys]\nold = \"kept\"\n",
        )
        .unwrap();
        let loaded: Config = load_or_create(&path, fresh).unwrap();
        assert_eq!(loaded.listen, "127.0.0.1:7702");
        assert_eq!(loaded.keys.old, "kept", "an existing key is never replaced");
        assert_eq!(loaded.keys.added, "generated");
        // Written back: the next start reads the same key.
        let again: Config = load_or_create(&path, || panic!("not created again")).unwrap();
        assert_eq!(again, loaded);
    }

    #[test]
    fn a_broken_configuration_is_still_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "listen = 7\n[keys]\nold = \"a\"\nadded = \"b\"\n").unwrap();
        let err = load_or_create::<Config>(&path, fresh)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.toml") && err.contains("正しくありません"),
            "{err}"
        );
    }
}
