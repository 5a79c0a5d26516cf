//! `renkei terminal … jlis`: 個人番号入手 from the 統合専用端末 — look a person up by 個人番号,
//! search by 基本4情報, or answer a whole file of queries. Every request goes to the
//! intermediate server (which relays it to J-LIS) with the 保険者番号 and a purpose code; the
//! 個人番号 is always in the request body, never in a URL.
//!
//! The query and answer files are documented in `docs/formats.md` (個人番号入手).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use renkei_core::{parse_date, to_wareki, InsurerNumber, MyNumber, Sex};
use renkei_wire::msg::registry::{
    Basic4Query, Candidate, CurrentResident, ItemMatches, LookupAnswer, LookupRequest,
    SearchAnswer, SearchRequest, DEFAULT_PURPOSE, PURPOSES,
};
use renkei_wire::peer::IntermediateClient;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{CallError, Client};

use crate::cli::{group, CliError};
use crate::input::{resolve, EncodingChoice, Rows};

/// Queries sent per request by `jlis batch`.
pub const BATCH_REQUEST: usize = 100;

/// The columns of a query file, in order.
pub const QUERY_COLUMNS: [&str; 7] = [
    "整理番号",
    "個人番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
];

/// The columns of an answer file, in order.
pub const ANSWER_COLUMNS: [&str; 19] = [
    "整理番号",
    "照会種別",
    "結果",
    "順位",
    "個人番号",
    "スコア",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "消除",
    "氏名判定",
    "カナ判定",
    "生年月日判定",
    "性別判定",
    "住所判定",
    "利用目的",
    "エラー",
];

fn purpose_help() -> String {
    PURPOSES
        .iter()
        .map(|(c, d)| format!("{c}={d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, clap::Subcommand)]
pub enum JlisCommand {
    /// 個人番号から現在の基本4情報（消除の有無を含む）を照会します
    Lookup {
        /// 個人番号（12桁）
        #[arg(long)]
        number: String,
        /// 利用目的（subscriber, eligibility, benefit, premium, application）
        #[arg(long, default_value = DEFAULT_PURPOSE)]
        purpose: String,
    },
    /// 基本4情報から個人番号の候補を検索します（氏名またはカナと生年月日が必要）
    Search {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        kana: Option<String>,
        /// 生年月日（例: 昭和20年4月1日、1945-04-01、S200401）
        #[arg(long)]
        birth: String,
        /// 性別（1=男、2=女）
        #[arg(long)]
        sex: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// 利用目的（subscriber, eligibility, benefit, premium, application）
        #[arg(long, default_value = DEFAULT_PURPOSE)]
        purpose: String,
        /// 表示する候補の数
        #[arg(long, default_value_t = 5)]
        limit: u32,
    },
    /// 照会ファイル（CSV）をまとめて照会し、回答ファイル（CSV）を作成します
    Batch {
        /// 照会ファイル（見出し: 整理番号,個人番号,氏名,氏名カナ,生年月日,性別,住所）
        file: PathBuf,
        /// 回答ファイルの出力先
        #[arg(long)]
        out: PathBuf,
        /// 利用目的（subscriber, eligibility, benefit, premium, application）
        #[arg(long, default_value = DEFAULT_PURPOSE)]
        purpose: String,
        /// 1件の照会あたりの候補の数
        #[arg(long, default_value_t = 3)]
        limit: u32,
        /// 文字コード
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingChoice,
    },
}

/// The terminal's client for look-ups through the intermediate server.
#[derive(Clone)]
pub struct JlisClient {
    client: IntermediateClient,
    insurer_number: InsurerNumber,
}

impl JlisClient {
    /// A client over an existing connection to the intermediate server (the web terminal's).
    pub fn from_client(client: IntermediateClient, insurer: &InsurerNumber) -> JlisClient {
        JlisClient {
            client,
            insurer_number: insurer.clone(),
        }
    }

    pub fn new(tls: &TlsFiles, url: &str, insurer: &InsurerNumber) -> Result<JlisClient, CliError> {
        let config = tls.client_config().map_err(|e| CliError(e.to_string()))?;
        Ok(JlisClient {
            client: IntermediateClient::from_client(Client::new(config, url)),
            insurer_number: insurer.clone(),
        })
    }

    pub async fn lookup(
        &self,
        purpose: &str,
        numbers: Vec<MyNumber>,
    ) -> Result<LookupAnswer, CallError> {
        self.client
            .lookup(&LookupRequest {
                purpose: purpose.to_owned(),
                insurer_number: Some(self.insurer_number.clone()),
                on_behalf_of: None,
                numbers,
            })
            .await
    }

    pub async fn search(
        &self,
        purpose: &str,
        limit: u32,
        queries: Vec<Basic4Query>,
    ) -> Result<SearchAnswer, CallError> {
        self.client
            .search(&SearchRequest {
                purpose: purpose.to_owned(),
                insurer_number: Some(self.insurer_number.clone()),
                on_behalf_of: None,
                limit: Some(limit),
                queries,
            })
            .await
    }
}

fn check_purpose(purpose: &str) -> Result<(), CliError> {
    if PURPOSES.iter().any(|(c, _)| *c == purpose) {
        Ok(())
    } else {
        Err(CliError(format!(
            "--purpose: 利用目的「{purpose}」は定められていません（{}）",
            purpose_help()
        )))
    }
}

fn call_error(e: CallError) -> CliError {
    CliError(format!("照会できませんでした: {e}"))
}

/// Runs one `jlis` command as the insurer `insurer`.
pub async fn run(
    command: JlisCommand,
    tls: &TlsFiles,
    url: &str,
    insurer: &InsurerNumber,
    who: &str,
) -> Result<(), CliError> {
    let client = JlisClient::new(tls, url, insurer)?;
    match command {
        JlisCommand::Lookup { number, purpose } => {
            check_purpose(&purpose)?;
            let number =
                MyNumber::parse(number.trim()).map_err(|e| CliError(format!("--number: {e}")))?;
            let answer = client
                .lookup(&purpose, vec![number])
                .await
                .map_err(call_error)?;
            match answer.residents.into_iter().next().flatten() {
                Some(r) => {
                    println!("{}", describe(&r).join("\n"));
                    Ok(())
                }
                None => Err(CliError(
                    "該当する住民がいません（個人番号を確認してください）".into(),
                )),
            }
        }
        JlisCommand::Search {
            name,
            kana,
            birth,
            sex,
            address,
            purpose,
            limit,
        } => {
            check_purpose(&purpose)?;
            let query = query_of(
                name.as_deref(),
                kana.as_deref(),
                &birth,
                sex.as_deref(),
                address.as_deref(),
            )
            .map_err(|(field, e)| CliError(format!("--{field}: {e}")))?;
            let answer = client
                .search(&purpose, limit, vec![query])
                .await
                .map_err(call_error)?;
            let found = answer.results.into_iter().next().unwrap_or_default();
            if found.is_empty() {
                println!("該当する候補はありません");
            }
            for (rank, c) in found.iter().enumerate() {
                println!(
                    "候補{} 個人番号 {} スコア {}  判定: {}",
                    rank + 1,
                    c.my_number.expose(),
                    c.score,
                    judgement(&c.items)
                );
                for line in describe(&c.resident) {
                    println!("    {line}");
                }
            }
            Ok(())
        }
        JlisCommand::Batch {
            file,
            out,
            purpose,
            limit,
            encoding,
        } => {
            check_purpose(&purpose)?;
            eprintln!(
                "{who}（保険者番号 {insurer}）として {} を照会します（利用目的 {purpose}）",
                file.display()
            );
            let summary = batch(&client, &file, &out, &purpose, limit, encoding).await?;
            eprintln!(
                "完了: {} 件（該当あり {} 件、該当なし {} 件、エラー {} 件）",
                group(summary.rows),
                group(summary.found),
                group(summary.not_found),
                group(summary.errors)
            );
            eprintln!("回答ファイル: {}", out.display());
            Ok(())
        }
    }
}

/// A query from its items as typed; an error names the item (`name`, `birth`, …).
pub fn query_of(
    name: Option<&str>,
    kana: Option<&str>,
    birth: &str,
    sex: Option<&str>,
    address: Option<&str>,
) -> Result<Basic4Query, (&'static str, String)> {
    let given = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (name, kana, address) = (given(name), given(kana), given(address));
    if name.is_none() && kana.is_none() {
        return Err(("name", "氏名またはカナ氏名を指定してください".to_owned()));
    }
    let birth = parse_date(birth.trim()).map_err(|e| ("birth", e.to_string()))?;
    let sex = given(sex)
        .map(|s| Sex::parse(&s).map_err(|e| ("sex", e.to_string())))
        .transpose()?;
    Ok(Basic4Query {
        name,
        kana,
        birth: Some(birth),
        sex,
        address,
    })
}

fn describe(r: &CurrentResident) -> Vec<String> {
    let mut lines = vec![
        format!("氏名　　: {}", r.name),
        format!("カナ　　: {}", r.kana),
        format!("生年月日: {}（{}）", to_wareki(r.birth), r.birth),
        format!("性別　　: {}", r.sex.label_ja()),
        format!("住所　　: {}", r.address),
    ];
    lines.push(match &r.removal {
        Some(removal) => format!("消除　　: {}", removal_text(removal)),
        None => "消除　　: なし".to_owned(),
    });
    lines
}

fn removal_text(r: &renkei_wire::msg::registry::Removal) -> String {
    match r.reason {
        Some(reason) => format!("{}（{}）", to_wareki(r.on), reason.label()),
        None => to_wareki(r.on),
    }
}

fn judgement(items: &ItemMatches) -> String {
    format!(
        "氏名 {} / カナ {} / 生年月日 {} / 性別 {} / 住所 {}",
        items.name.label(),
        items.kana.label(),
        items.birth.label(),
        items.sex.label(),
        items.address.label()
    )
}

mod batch;
pub use batch::{batch, batch_with_progress, BatchSummary};
