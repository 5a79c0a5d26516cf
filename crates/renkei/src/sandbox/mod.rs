//! `renkei sandbox`: every system of the network on one machine, each its own server speaking
//! mutual TLS on loopback, seeded with synthetic residents, the 47 広域連合 and sample files.
//!
//! The data directory keeps everything between runs: the PKI, each system's configuration
//! (with its keys) and store, and `sandbox.toml`, the profile the terminal reads to connect as
//! an insurer. Starting again on the same directory continues where it stopped.

pub mod agencies;
pub mod seed;
mod setup;
mod web;

use std::path::PathBuf;

use renkei_terminal::profile::{InsurerProfile, OperatorProfile, SandboxProfile};
use tokio::sync::watch;

use crate::serve::wait_for_signal;

#[derive(clap::Args, Clone)]
pub struct SandboxArgs {
    /// データディレクトリ（証明書・設定・データベース・サンプルファイル）
    #[arg(long, default_value = "sandbox-data")]
    pub data_dir: PathBuf,
    /// 合成住民に加えて住基ネットに投入する住民ファイル（CSV）
    #[arg(long)]
    pub residents_file: Option<PathBuf>,
    /// 合成住民の人数（初回起動時のみ投入）
    #[arg(long, default_value_t = 100_000)]
    pub population: u64,
    /// 東京都の75歳以上の合成住民の人数（`renkei synth subscribers` の既定の対象。初回のみ投入）
    #[arg(long, default_value_t = 20_000)]
    pub subscribers: u64,
    /// 合成データの乱数シード
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// 保存先を PostgreSQL にする場合の接続 URL（各システムは別々のスキーマを使います）
    #[arg(long, value_name = "postgres://…")]
    pub store: Option<String>,
    /// 待ち受けポートの基準（registry +1、hub +2、intermediate +3、Web 端末 +8、市町村 +10〜）。0 なら空きポート
    #[arg(long, default_value_t = 7700)]
    pub port_base: u16,
}

/// The running systems.
pub struct Sandbox {
    pub registry: renkei_registry::Application,
    pub hub: renkei_hub::Application,
    pub intermediate: renkei_intermediate::Application,
    pub web: renkei_terminal::web::WebApp,
    pub agencies: Vec<renkei_agency::Application>,
    pub profile: SandboxProfile,
    stop: watch::Sender<bool>,
}

/// Addresses of the systems the hub's directory names before they start: `port_base +
/// offset`, or with `--port-base 0` a free port each, held until this is dropped so that the
/// registry and the hub (which bind port 0 themselves) cannot be handed one of them.
struct Reserved {
    base: u16,
    held: Vec<std::net::TcpListener>,
}

impl Reserved {
    fn new(base: u16) -> Reserved {
        Reserved {
            base,
            held: Vec::new(),
        }
    }

    fn addr(&mut self, offset: u16) -> anyhow::Result<String> {
        if self.base != 0 {
            return Ok(format!("127.0.0.1:{}", self.base + offset));
        }
        let (listener, port) = agencies::reserve_port()?;
        self.held.push(listener);
        Ok(format!("127.0.0.1:{port}"))
    }
}

impl Sandbox {
    pub async fn start(args: &SandboxArgs) -> anyhow::Result<Sandbox> {
        let prepared = setup::prepare(args)?;
        let (stop, shutdown) = watch::channel(false);
        let listen = |offset: u16| match args.port_base {
            0 => "127.0.0.1:0".to_owned(),
            base => format!("127.0.0.1:{}", base + offset),
        };
        let mut registry_config = prepared.registry;
        registry_config.listen = listen(1);
        let registry =
            renkei_registry::Application::build(registry_config, shutdown.clone()).await?;
        // The hub's directory names intermediate and the agencies before they start.
        let mut ports = Reserved::new(args.port_base);
        let intermediate_listen = ports.addr(3)?;
        let agency_configs = agencies::prepare(args)?
            .into_iter()
            .zip(10..)
            .map(|(c, offset)| Ok((c, format!("https://{}", ports.addr(offset)?))))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut hub_config = prepared.hub;
        hub_config.listen = listen(2);
        hub_config.registry_url = registry.url();
        hub_config.directory = agencies::directory(
            &prepared.unions,
            &format!("https://{intermediate_listen}"),
            &agency_configs,
        );
        let hub = renkei_hub::Application::build(hub_config, shutdown.clone()).await?;
        drop(ports);
        let mut intermediate_config = prepared.intermediate;
        intermediate_config.listen = intermediate_listen;
        intermediate_config.registry_url = registry.url();
        intermediate_config.hub_url = hub.url();
        let intermediate =
            renkei_intermediate::Application::build(intermediate_config, shutdown.clone()).await?;
        let agencies = agencies::start(agency_configs, &hub.url(), &shutdown).await?;

        seed::registry(registry.store(), args).await?;
        seed::tenants(intermediate.store(), &prepared.unions).await?;
        agencies::seed(&agencies, args).await?;
        agencies::save_profile(&args.data_dir, &prepared.ca, &agencies)?;
        let profile = SandboxProfile {
            ca: prepared.ca,
            registry_url: registry.url(),
            hub_url: hub.url(),
            intermediate_url: intermediate.url(),
            insurers: prepared
                .unions
                .iter()
                .map(|u| InsurerProfile {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    insurer_numbers: u.insurers.iter().map(|(n, _)| n.to_string()).collect(),
                    cert: prepared.insurer_tls[&u.code].cert.clone(),
                    key: prepared.insurer_tls[&u.code].key.clone(),
                })
                .collect(),
            operator: Some(OperatorProfile {
                cert: prepared.operator_tls.cert.clone(),
                key: prepared.operator_tls.key.clone(),
            }),
        };
        profile.save(&args.data_dir)?;
        let web = web::start(args, &profile, listen(8), stop.subscribe()).await?;
        Ok(Sandbox {
            registry,
            hub,
            intermediate,
            web,
            agencies,
            profile,
            stop,
        })
    }

    /// Stops every system over the shared channel and waits until all have drained.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::join!(
            self.registry.wait(),
            self.hub.wait(),
            self.intermediate.wait(),
            self.web.wait(),
            futures_util::future::join_all(self.agencies.into_iter().map(|a| a.wait())),
        );
    }
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    eprintln!(
        "サンドボックスを起動しています（データ: {}）…",
        args.data_dir.display()
    );
    let sandbox = Sandbox::start(&args).await?;
    let samples = seed::samples(&args)?;
    let dir = args.data_dir.display();
    eprintln!(
        "\n起動しました。\n  住基ネット (registry)            {}\n  情報提供ネットワークシステム (hub) {}\n  中間サーバ (intermediate)        {}\n  接続情報: {dir}/sandbox.toml（保険者 {} 団体）",
        sandbox.profile.registry_url,
        sandbox.profile.hub_url,
        sandbox.profile.intermediate_url,
        sandbox.profile.insurers.len()
    );
    eprintln!("\n加入者情報の登録を試すには（東京都後期高齢者医療広域連合 39131156 として）:");
    for sample in &samples {
        eprintln!(
            "  renkei terminal --sandbox {dir} --insurer 39131156 register {} --out result.csv",
            sample.display()
        );
    }
    web::print_logins(&sandbox);
    for a in &sandbox.agencies {
        eprintln!("  情報保有機関 (agency)            {}", a.url());
    }
    eprintln!(
        "\n登録後、加入者について世田谷区に情報照会するには（枝番は結果ファイルから）:\n  renkei terminal --sandbox {dir} --insurer 39131156 inquire --branch <枝番> --task K01 --info J01 --to city-131121\n情報提供等記録の検証: renkei audit verify --sandbox {dir}"
    );
    eprintln!("\nCtrl-C で停止します。");
    wait_for_signal().await;
    eprintln!("停止しています…");
    sandbox.stop().await;
    eprintln!("停止しました。");
    Ok(())
}
