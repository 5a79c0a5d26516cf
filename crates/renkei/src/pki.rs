//! `renkei pki`: a private CA and institution certificates for local use.

use std::path::PathBuf;

use renkei_wire::pki::Pki;
use renkei_wire::{Identity, Role};

#[derive(clap::Args)]
pub struct PkiArgs {
    /// 証明書を置くディレクトリ（CA がなければ作成します）
    #[arg(long, default_value = "pki")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Option<PkiCommand>,
}

#[derive(clap::Subcommand)]
enum PkiCommand {
    /// 機関の証明書を発行します
    Issue {
        /// 機関コード（証明書の CN）例: koiki-13
        #[arg(long)]
        code: String,
        /// 機関の種別
        #[arg(long, value_parser = ["registry", "hub", "intermediate", "insurer", "agency", "operator"])]
        role: String,
        /// 機関名 例: 東京都後期高齢者医療広域連合
        #[arg(long)]
        name: String,
    },
}

pub fn run(args: PkiArgs) -> anyhow::Result<()> {
    let pki = Pki::open_or_create(&args.dir)?;
    println!("CA: {}", pki.ca_cert_path().display());
    if let Some(PkiCommand::Issue { code, role, name }) = args.command {
        let role = Role::parse(&role).expect("clap restricts the values");
        let files = pki.issue(&Identity::new(code, role, name))?;
        println!(
            "証明書: {}\n秘密鍵: {}",
            files.cert.display(),
            files.key.display()
        );
    }
    Ok(())
}
