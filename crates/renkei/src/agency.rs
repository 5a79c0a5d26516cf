//! `renkei agency --sandbox D --agency <機関コード> inquire …`: the staff of one of the
//! sandbox's agencies (市町村) ask an insurer about one of their residents, by 宛名番号,
//! through their agency server and the hub.

use std::path::PathBuf;

use renkei_terminal::inquire::{call_error, new_request_id, print_answer};
use renkei_wire::msg::agency::{AgencyInquire, AgencyInquireRequest};
use renkei_wire::tls::TlsFiles;
use renkei_wire::Client;

use crate::sandbox::agencies::AgenciesProfile;

#[derive(clap::Args)]
pub struct AgencyArgs {
    /// `renkei sandbox` のデータディレクトリ
    #[arg(long, value_name = "DIR")]
    pub sandbox: PathBuf,
    /// 機関コード（例: city-131121）
    #[arg(long, value_name = "機関コード")]
    pub agency: String,
    #[command(subcommand)]
    pub command: AgencyCommand,
}

#[derive(clap::Subcommand)]
pub enum AgencyCommand {
    /// 住民について医療保険者に情報照会します（情報提供ネットワークシステム経由）
    Inquire {
        /// 照会する住民の宛名番号
        #[arg(long, value_name = "宛名番号")]
        atena: String,
        /// 事務コード（例: M02 介護保険の資格の確認）
        #[arg(long, value_name = "事務コード")]
        task: String,
        /// 特定個人情報コード（例: J04 資格情報）
        #[arg(long, value_name = "特定個人情報コード")]
        info: String,
        /// 照会先の機関コード（例: koiki-13）
        #[arg(long, value_name = "機関コード")]
        to: String,
        /// 照会番号（再送するときは前回と同じ番号）
        #[arg(long)]
        request_id: Option<String>,
        /// 応答を JSON で出力します
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(args: AgencyArgs) -> anyhow::Result<()> {
    let profile = AgenciesProfile::load(&args.sandbox)?;
    let me = profile
        .agencies
        .iter()
        .find(|a| a.code == args.agency)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "機関コード {} の情報保有機関はサンドボックスにありません（{}）",
                args.agency,
                profile
                    .agencies
                    .iter()
                    .map(|a| format!("{} {}", a.code, a.name))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })?;
    let tls = TlsFiles {
        ca: profile.ca.clone(),
        cert: me.cert.clone(),
        key: me.key.clone(),
    };
    let client = Client::new(tls.client_config()?, &me.url);
    match args.command {
        AgencyCommand::Inquire {
            atena,
            task,
            info,
            to,
            request_id,
            json,
        } => {
            let request = AgencyInquireRequest {
                request_id: request_id.unwrap_or_else(|| new_request_id("A")),
                atena,
                task,
                info,
                provider: to,
            };
            let answer = client
                .call::<AgencyInquire>(&request)
                .await
                .map_err(|e| call_error(&request.request_id, e))?;
            print_answer(&answer, json)?;
            Ok(())
        }
    }
}
