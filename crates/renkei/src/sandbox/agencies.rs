//! The sandbox's information holders: two 東京都 municipalities where many of the synthetic
//! subscribers live, each an `agency` server with its own store, its residents registered at
//! the hub under its own 符号, and synthetic 地方税・住民票・介護 data. Also the hub's directory
//! (every 広域連合 answered by `intermediate`, every municipality by its agency) and
//! `agencies.toml`, the profile `renkei agency` reads.

use std::path::{Path, PathBuf};

use renkei_agency::app::ResidentToRegister;
use renkei_agency::store::Residents;
use renkei_agency::{holdings, AgencyConfig};
use renkei_hub::DirectoryEntry;
use renkei_synth::KoikiUnion;
use renkei_wire::pki::Pki;
use renkei_wire::{Identity, Role};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::SandboxArgs;

/// (institution code, name, 全国地方公共団体コード) of the sandbox's municipalities.
pub const MUNICIPALITIES: &[(&str, &str, &str)] = &[
    ("city-131121", "世田谷区", "131121"),
    ("city-131202", "練馬区", "131202"),
];

pub const PROFILE_FILE: &str = "agencies.toml";

/// What `renkei agency` needs to act as one of the sandbox's agencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgenciesProfile {
    pub ca: PathBuf,
    pub agencies: Vec<AgencyProfile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyProfile {
    pub code: String,
    pub name: String,
    pub url: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl AgenciesProfile {
    pub fn load(data_dir: &Path) -> anyhow::Result<AgenciesProfile> {
        let path = data_dir.join(PROFILE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            anyhow::anyhow!(
                "{}: 情報保有機関の設定が見つかりません。先に `renkei sandbox --data-dir {}` を起動してください",
                path.display(),
                data_dir.display()
            )
        })?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: 設定を読めません: {}", path.display(), e.message()))
    }
}

/// Each agency's configuration, created on the first run (certificate included).
pub fn prepare(args: &SandboxArgs) -> anyhow::Result<Vec<AgencyConfig>> {
    let dir = args.data_dir.canonicalize()?;
    let pki = Pki::open_or_create(&dir.join("pki"))?;
    let mut out = Vec::new();
    for &(code, name, _) in MUNICIPALITIES {
        let tls = pki.issue(&Identity::new(code, Role::Agency, name))?;
        let store = match &args.store {
            Some(url) => url.clone(),
            None => format!(
                "sqlite:{}",
                dir.join("agencies").join(code).join("agency.db").display()
            ),
        };
        out.push(AgencyConfig {
            code: code.parse()?,
            name: name.into(),
            listen: "127.0.0.1:0".into(),
            store,
            hub_url: String::new(),
            tls,
        });
    }
    Ok(out)
}

/// The hub's directory: the 広域連合 (at `intermediate`) and the municipalities.
pub fn directory(
    unions: &[KoikiUnion],
    intermediate_url: &str,
    agencies: &[(AgencyConfig, String)],
) -> Vec<DirectoryEntry> {
    let mut out: Vec<DirectoryEntry> = unions
        .iter()
        .map(|u| DirectoryEntry {
            code: u.code.clone(),
            kind: "koiki".into(),
            url: intermediate_url.into(),
            signer: "intermediate".into(),
        })
        .collect();
    out.extend(agencies.iter().map(|(c, url)| DirectoryEntry {
        code: c.code.to_string(),
        kind: "municipality".into(),
        url: url.clone(),
        signer: c.code.to_string(),
    }));
    out
}

/// Starts every agency (listening where the hub's directory says).
pub async fn start(
    agencies: Vec<(AgencyConfig, String)>,
    hub_url: &str,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<renkei_agency::Application>> {
    let mut apps = Vec::new();
    for (mut config, url) in agencies {
        config.listen = url.trim_start_matches("https://").to_owned();
        config.hub_url = hub_url.to_owned();
        apps.push(renkei_agency::Application::build(config, shutdown.clone()).await?);
    }
    Ok(apps)
}

/// On the first run, registers each municipality's synthetic elderly residents (the people
/// `renkei synth subscribers` writes files for) at the hub and stores their data. The 宛名番号
/// is the resident's position in the synthetic population, zero-padded to 10 digits.
pub async fn seed(apps: &[renkei_agency::Application], args: &SandboxArgs) -> anyhow::Result<()> {
    for (app, &(code, name, municipality)) in apps.iter().zip(MUNICIPALITIES) {
        if app.store().count().await? > 0 {
            continue;
        }
        let residents: Vec<ResidentToRegister> =
            renkei_synth::residents(&super::seed::tokyo_elderly(args))
                .enumerate()
                .filter(|(_, r)| r.municipality_code == municipality)
                .map(|(i, r)| ResidentToRegister {
                    atena: atena(i as u64),
                    number: r.my_number,
                    holdings: holdings::synthetic(i as u64)
                        .into_iter()
                        .map(|(c, items)| (c.to_owned(), items))
                        .collect(),
                })
                .collect();
        let n = app.register_residents(residents).await?;
        eprintln!("{name}（{code}）に住民 {n} 人と地方税・住民票・介護の合成データを登録しました");
    }
    Ok(())
}

/// The 宛名番号 of the synthetic elderly resident at position `i`.
pub fn atena(i: u64) -> String {
    format!("{i:010}")
}

pub fn save_profile(
    data_dir: &Path,
    ca: &Path,
    apps: &[renkei_agency::Application],
) -> anyhow::Result<()> {
    let dir = data_dir.canonicalize()?;
    let pki = Pki::open_or_create(&dir.join("pki"))?;
    let profile = AgenciesProfile {
        ca: ca.to_owned(),
        agencies: apps
            .iter()
            .zip(MUNICIPALITIES)
            .map(|(app, &(code, name, _))| {
                let files = pki.files(code);
                AgencyProfile {
                    code: code.into(),
                    name: name.into(),
                    url: app.url(),
                    cert: files.cert,
                    key: files.key,
                }
            })
            .collect(),
    };
    std::fs::write(dir.join(PROFILE_FILE), toml::to_string_pretty(&profile)?)?;
    Ok(())
}

/// A loopback port free right now (for systems the hub's directory must name before they
/// start, when the sandbox runs on free ports).
/// A free port, held by the returned listener until it is dropped: the hub names the
/// intermediate's and the agencies' addresses before they start, and the ports must not be
/// handed to the registry or the hub (which bind port 0) in between.
pub fn reserve_port() -> std::io::Result<(std::net::TcpListener, u16)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}
