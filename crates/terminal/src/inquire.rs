//! `renkei terminal … inquire`: an insurer's 情報照会 about one of its subscribers, by 枝番.
//! The terminal sends it to `intermediate`, which asks the hub with the insurer's 符号; the
//! answer is printed in Japanese (or as JSON with `--json`). Exit status: 0 for data or no
//! record, non-zero for refused or unavailable (re-send with the same `--request-id`).

use std::sync::Arc;

use renkei_core::{AgencyCode, InfoCode, InsurerNumber, TaskCode};
use renkei_wire::msg::inquiry::{InquireResponse, InquiryAnswer, InsurerInquireRequest};
use renkei_wire::peer::IntermediateClient;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{CallError, Client};

use crate::cli::CliError;

#[derive(Debug, clap::Args)]
pub struct InquireArgs {
    /// 照会する加入者の被保険者枝番
    #[arg(long, value_name = "枝番")]
    pub branch: String,
    /// 事務コード（例: K01 後期高齢者医療の保険料の賦課）
    #[arg(long, value_name = "事務コード")]
    pub task: TaskCode,
    /// 特定個人情報コード（例: J01 地方税関係情報）
    #[arg(long, value_name = "特定個人情報コード")]
    pub info: InfoCode,
    /// 照会先の機関コード（例: city-131121）
    #[arg(long, value_name = "機関コード")]
    pub to: AgencyCode,
    /// 照会番号（再送するときは前回と同じ番号。省略時は新しく採番）
    #[arg(long)]
    pub request_id: Option<String>,
    /// 応答を JSON で出力します
    #[arg(long)]
    pub json: bool,
}

/// A new request id: time and process, unique enough for one terminal.
pub fn new_request_id(prefix: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{:x}{:08x}",
        std::process::id(),
        now.as_secs(),
        now.subsec_nanos()
    )
}

pub async fn run(
    tls: &TlsFiles,
    url: &str,
    insurer: &InsurerNumber,
    args: InquireArgs,
) -> Result<(), CliError> {
    let config = tls.client_config().map_err(|e| CliError(e.to_string()))?;
    let client = IntermediateClient::from_client(Client::new(Arc::clone(&config), url));
    let request = InsurerInquireRequest {
        request_id: args.request_id.unwrap_or_else(|| new_request_id("T")),
        insurer_number: insurer.clone(),
        branch: args.branch,
        task: args.task,
        info: args.info,
        provider: args.to,
    };
    let answer = client
        .inquire(&request)
        .await
        .map_err(|e| call_error(&request.request_id, e))?;
    print_answer(&answer, args.json)
}

pub fn call_error(request_id: &str, e: CallError) -> CliError {
    match e {
        CallError::Api(e) => CliError(format!("照会できませんでした: {}（{}）", e.message, e.code)),
        e => CliError(format!(
            "照会できませんでした（照会番号 {request_id}）: {e}。同じ照会番号で再送してください"
        )),
    }
}

/// Prints an answer; refused and unavailable become an error (non-zero exit).
pub fn print_answer(r: &InquireResponse, json: bool) -> Result<(), CliError> {
    if json {
        println!("{}", serde_json::to_string_pretty(r).expect("serializable"));
    } else {
        println!("照会番号: {}", r.request_id);
        println!(
            "情報提供等記録: 第{}号{}",
            r.record,
            if r.replayed {
                "（記録済みの照会への再送）"
            } else {
                ""
            }
        );
        match &r.answer {
            InquiryAnswer::Data { items } => {
                println!("回答: 情報あり");
                for (k, v) in items {
                    println!("  {k}: {}", if v.is_empty() { "—" } else { v });
                }
            }
            InquiryAnswer::NoRecord => println!("回答: 該当する情報はありません"),
            InquiryAnswer::Refused { code, message } => {
                println!("回答: 拒否（{code}）\n  {message}")
            }
            InquiryAnswer::Unavailable { message } => println!("回答: 応答なし\n  {message}"),
        }
    }
    match &r.answer {
        InquiryAnswer::Refused { .. } => Err(CliError("照会は許可表により拒否されました".into())),
        InquiryAnswer::Unavailable { .. } => Err(CliError(format!(
            "照会先が応答しませんでした。同じ照会番号（{}）で再送してください",
            r.request_id
        ))),
        _ => Ok(()),
    }
}
