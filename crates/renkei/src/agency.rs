//! `renkei agency --sandbox D --agency <機関コード> inquire …`: the staff of one of the
//! sandbox's agencies (市町村) ask an insurer about one of their residents, by 宛名番号,
//! through their agency server and the hub; and `report-changes`: the staff of a
//! municipality report their residents' 転居・氏名変更・消除 to J-LIS (住基ネット) directly,
//! with the municipality's certificate.

use std::path::PathBuf;

use renkei_core::{AgencyCode, InfoCode, TaskCode};
use renkei_terminal::input::EncodingChoice;
use renkei_terminal::inquire::{call_error, new_request_id, print_answer};
use renkei_terminal::profile::SandboxProfile;
use renkei_wire::msg::agency::AgencyInquireRequest;
use renkei_wire::peer::AgencyClient;
use renkei_wire::peer::RegistryClient;
use renkei_wire::tls::TlsFiles;
use renkei_wire::Client;

use crate::sandbox::agencies::AgenciesProfile;

#[path = "agency_changes.rs"]
mod changes;

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
        task: TaskCode,
        /// 特定個人情報コード（例: J04 資格情報）
        #[arg(long, value_name = "特定個人情報コード")]
        info: InfoCode,
        /// 照会先の機関コード（例: koiki-13）
        #[arg(long, value_name = "機関コード")]
        to: AgencyCode,
        /// 照会番号（再送するときは前回と同じ番号）
        #[arg(long)]
        request_id: Option<String>,
        /// 応答を JSON で出力します
        #[arg(long)]
        json: bool,
    },
    /// 住民の異動（転居・氏名変更・消除）をファイルから住基ネットに届け出ます（市区町村のみ）
    ReportChanges {
        /// 異動届出ファイル（CSV。見出し: 変更ID,異動区分,個人番号,異動年月日,氏名,氏名カナ,住所,市区町村コード,消除事由）
        file: PathBuf,
        /// 結果ファイル（CSV、UTF-8 BOM 付き）
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 文字コード
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingChoice,
    },
    /// 住民の異動を1件、住基ネットに届け出ます（市区町村のみ）
    ReportChange(changes::OneChange),
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
        AgencyCommand::ReportChanges {
            file,
            out,
            encoding,
        } => {
            let sandbox = SandboxProfile::load(&args.sandbox)?;
            let registry = RegistryClient::new(tls.client_config()?, &sandbox.registry_url);
            let s = changes::report(&registry, &file, &out, encoding).await?;
            eprintln!(
                "反映 {} 件、反映済み（再送） {} 件、不受理 {} 件（結果: {}）",
                s.applied,
                s.already,
                s.refused,
                out.display()
            );
            Ok(())
        }
        AgencyCommand::ReportChange(one) => {
            let sandbox = SandboxProfile::load(&args.sandbox)?;
            let registry = RegistryClient::new(tls.client_config()?, &sandbox.registry_url);
            changes::report_one(&registry, one).await
        }
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
            let answer = AgencyClient::from_client(client)
                .inquire(&request)
                .await
                .map_err(|e| call_error(&request.request_id, e))?;
            print_answer(&answer, json)?;
            Ok(())
        }
    }
}
