//! `renkei audit verify`: checks the whole 情報提供等記録 offline — the sequence, the hash
//! chain, every checkpoint against the hub's public key, and every sender signature against
//! the network CA — and names the first bad entry. Exits non-zero on any tampering.
//!
//! `renkei audit reconcile`: checks the asker's and the provider's own records (intermediate
//! for its insurer tenants, each agency) against the hub's log and names the first
//! disagreement.

use std::path::PathBuf;

use anyhow::Context;
use renkei_hub::inquiry::evidence;
use renkei_hub::store::Store;
use renkei_hub::HubConfig;
use renkei_ledger::record_log::verify_with;
use renkei_store::StoreUrl;
use renkei_wire::signing::SignatureVerifier;

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// 情報提供等記録の全件（順序・ハッシュ連鎖・チェックポイント署名・送信者署名）を検証します
    Verify {
        /// `renkei sandbox` のデータディレクトリ
        #[arg(long, value_name = "DIR", required_unless_present_all = ["store", "public_key", "ca"])]
        sandbox: Option<PathBuf>,
        /// hub の保存先（サンドボックスを PostgreSQL で起動したときはその URL）
        #[arg(long)]
        store: Option<String>,
        /// hub のチェックポイント署名の公開鍵（Ed25519、16進数。--sandbox を使わないとき）
        #[arg(long)]
        public_key: Option<String>,
        /// ネットワーク CA の証明書（--sandbox を使わないとき）
        #[arg(long)]
        ca: Option<PathBuf>,
    },
    /// 照会者・提供者（中間サーバ、各情報保有機関）の記録を情報提供等記録と突き合わせます
    Reconcile {
        /// `renkei sandbox` のデータディレクトリ
        #[arg(long, value_name = "DIR")]
        sandbox: PathBuf,
        /// サンドボックスを PostgreSQL で起動したときの接続 URL（各システムは自分のスキーマ）
        #[arg(long)]
        store: Option<String>,
    },
}

pub async fn run(args: AuditArgs) -> anyhow::Result<()> {
    let (sandbox, store, public_key, ca) = match args.command {
        AuditCommand::Verify {
            sandbox,
            store,
            public_key,
            ca,
        } => (sandbox, store, public_key, ca),
        AuditCommand::Reconcile { sandbox, store } => {
            return crate::audit_reconcile::run(&sandbox, store.as_deref()).await
        }
    };
    let (store_url, public_key, ca) = match &sandbox {
        Some(dir) => {
            let config_path = dir.join("hub/config.toml");
            let config = HubConfig::load(&config_path)
                .with_context(|| format!("{}: hub の設定を読めません", config_path.display()))?;
            let store_url = match store {
                Some(url) => url,
                None => format!(
                    "sqlite:{}",
                    dir.canonicalize()?.join("hub/hub.db").display()
                ),
            };
            let public_key = match public_key {
                Some(hex) => hex::decode(hex).context("--public-key は16進数で指定してください")?,
                None => config.keys.log_public_key(),
            };
            (
                store_url,
                public_key,
                ca.unwrap_or_else(|| dir.join("pki/ca.pem")),
            )
        }
        None => (
            store.expect("required by clap"),
            hex::decode(public_key.expect("required by clap"))
                .context("--public-key は16進数で指定してください")?,
            ca.expect("required by clap"),
        ),
    };
    let url = StoreUrl::parse(&store_url, "hub")?;
    if let StoreUrl::Sqlite(path) = &url {
        anyhow::ensure!(
            path.exists(),
            "{}: 情報提供等記録がありません",
            path.display()
        );
    }
    let store = Store::open(&url).await?;
    // A row the store cannot read is named (by its entry number) like any other bad entry.
    let log = match store.read_log().await {
        Ok(log) => log,
        Err(e @ renkei_store::StoreError::Corrupt(_)) => anyhow::bail!("改ざんを検出しました: {e}"),
        Err(e) => return Err(e.into()),
    };
    let verifier = SignatureVerifier::new(&ca)?;
    match verify_with(&log.entries, &log.checkpoints, &public_key, |e| {
        evidence::verify_entry(e, &verifier)
    }) {
        Ok(summary) => {
            println!(
                "情報提供等記録を検証しました: {} 件、チェックポイント {} 件、署名済み 第{}号まで、未署名の末尾 {} 件、末尾のハッシュ {}",
                summary.entries,
                summary.checkpoints,
                summary.signed_through,
                summary.unsigned_tail,
                hex::encode(summary.head)
            );
            Ok(())
        }
        Err(e) => {
            anyhow::bail!(
                "改ざんを検出しました: 最初の不正な記録は第{}号です: {e}",
                e.first_bad_entry()
            )
        }
    }
}
