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
    Basic4Query, Candidate, CurrentResident, ItemMatches, LookupAnswer, LookupRequest, RelayLookup,
    RelaySearch, SearchAnswer, SearchRequest, DEFAULT_PURPOSE, PURPOSES,
};
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
    client: Client,
    insurer_number: String,
}

impl JlisClient {
    pub fn new(tls: &TlsFiles, url: &str, insurer: &InsurerNumber) -> Result<JlisClient, CliError> {
        let config = tls.client_config().map_err(|e| CliError(e.to_string()))?;
        Ok(JlisClient {
            client: Client::new(config, url),
            insurer_number: insurer.as_str().to_owned(),
        })
    }

    pub async fn lookup(
        &self,
        purpose: &str,
        numbers: Vec<MyNumber>,
    ) -> Result<LookupAnswer, CallError> {
        self.client
            .call::<RelayLookup>(&LookupRequest {
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
            .call::<RelaySearch>(&SearchRequest {
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

/// Counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSummary {
    pub rows: u64,
    pub found: u64,
    pub not_found: u64,
    pub errors: u64,
}

/// A row of the query file, read.
enum Asked {
    Number(MyNumber),
    Basic4(Basic4Query),
}

struct QueryRow {
    reference: String,
    asked: Result<Asked, String>,
}

fn read_query(line: u64, fields: &[String]) -> QueryRow {
    let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
    let reference = field(0).to_owned();
    if fields.len() != QUERY_COLUMNS.len() {
        return QueryRow {
            reference,
            asked: Err(format!(
                "{line}行目: 項目数が正しくありません（{}項目のところ{}項目）",
                QUERY_COLUMNS.len(),
                fields.len()
            )),
        };
    }
    let asked = if !field(1).is_empty() {
        MyNumber::parse(field(1))
            .map(Asked::Number)
            .map_err(|e| format!("{line}行目 個人番号: {e}"))
    } else if field(4).is_empty() {
        Err(format!(
            "{line}行目 生年月日: 個人番号がない行は基本4情報での検索になり、生年月日が必要です"
        ))
    } else {
        query_of(
            Some(field(2)),
            Some(field(3)),
            field(4),
            Some(field(5)),
            Some(field(6)),
        )
        .map(Asked::Basic4)
        .map_err(|(item, e)| {
            let column = match item {
                "name" => "氏名",
                "birth" => "生年月日",
                _ => "性別",
            };
            format!("{line}行目 {column}: {e}")
        })
    };
    QueryRow { reference, asked }
}

/// Answers every row of the query file `file` into `out`, sending [`BATCH_REQUEST`] rows per
/// request, with progress on stderr. A bad row gets an error line in the answer file and does
/// not stop the others.
pub async fn batch(
    client: &JlisClient,
    file: &Path,
    out: &Path,
    purpose: &str,
    limit: u32,
    encoding: EncodingChoice,
) -> Result<BatchSummary, CliError> {
    let io = |e: std::io::Error| CliError(format!("{}: {e}", file.display()));
    let encoding = resolve(file, encoding).map_err(io)?;
    let (header, mut rows) = Rows::open(file, encoding).map_err(io)?;
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    if header != QUERY_COLUMNS {
        return Err(CliError(format!(
            "{}: 見出し行が正しくありません。次の見出しが必要です: {}",
            file.display(),
            QUERY_COLUMNS.join(",")
        )));
    }
    let mut queries = Vec::new();
    while let Some(row) = rows.next_row().map_err(io)? {
        if row.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        queries.push(read_query(row.line, &row.fields));
    }

    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(out).map_err(|e| CliError(format!("{}: {e}", out.display())))?,
    ));
    let write_err = |e: csv::Error| CliError(format!("{}: {e}", out.display()));
    // Excel opens a UTF-8 CSV correctly only with a BOM.
    let mut first = ANSWER_COLUMNS.map(str::to_owned);
    first[0] = format!("\u{feff}{}", first[0]);
    writer.write_record(&first).map_err(write_err)?;

    let mut summary = BatchSummary::default();
    let total = queries.len() as u64;
    let tty = std::io::stderr().is_terminal();
    for chunk in queries.chunks(BATCH_REQUEST) {
        let numbers: Vec<MyNumber> = chunk
            .iter()
            .filter_map(|q| match &q.asked {
                Ok(Asked::Number(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let searches: Vec<Basic4Query> = chunk
            .iter()
            .filter_map(|q| match &q.asked {
                Ok(Asked::Basic4(b)) => Some(b.clone()),
                _ => None,
            })
            .collect();
        let mut looked_up = if numbers.is_empty() {
            Vec::new()
        } else {
            client
                .lookup(purpose, numbers)
                .await
                .map_err(call_error)?
                .residents
        }
        .into_iter();
        let mut searched = if searches.is_empty() {
            Vec::new()
        } else {
            client
                .search(purpose, limit, searches)
                .await
                .map_err(call_error)?
                .results
        }
        .into_iter();
        for q in chunk {
            summary.rows += 1;
            let lines = match &q.asked {
                Err(e) => {
                    summary.errors += 1;
                    vec![answer_line(&q.reference, "", "エラー", None, purpose, e)]
                }
                Ok(Asked::Number(n)) => match looked_up.next().flatten() {
                    Some(r) => {
                        summary.found += 1;
                        vec![resident_line(&q.reference, n, &r, purpose)]
                    }
                    None => {
                        summary.not_found += 1;
                        vec![answer_line(
                            &q.reference,
                            "個人番号",
                            "該当なし",
                            None,
                            purpose,
                            "",
                        )]
                    }
                },
                Ok(Asked::Basic4(_)) => {
                    let found = searched.next().unwrap_or_default();
                    if found.is_empty() {
                        summary.not_found += 1;
                        vec![answer_line(
                            &q.reference,
                            "基本4情報",
                            "該当なし",
                            None,
                            purpose,
                            "",
                        )]
                    } else {
                        summary.found += 1;
                        found
                            .iter()
                            .enumerate()
                            .map(|(rank, c)| candidate_line(&q.reference, rank + 1, c, purpose))
                            .collect()
                    }
                }
            };
            for line in lines {
                writer.write_record(&line).map_err(write_err)?;
            }
        }
        let line = format!(
            "照会中 {} / {} 件 ({}%)",
            group(summary.rows),
            group(total),
            (summary.rows * 100).checked_div(total).unwrap_or(100)
        );
        if tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }
    if tty {
        eprintln!();
    }
    writer
        .flush()
        .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
    Ok(summary)
}

fn answer_line(
    reference: &str,
    kind: &str,
    result: &str,
    rank: Option<usize>,
    purpose: &str,
    error: &str,
) -> Vec<String> {
    let mut line = vec![String::new(); ANSWER_COLUMNS.len()];
    line[0] = reference.to_owned();
    line[1] = kind.to_owned();
    line[2] = result.to_owned();
    line[3] = rank.map(|r| r.to_string()).unwrap_or_default();
    line[17] = purpose.to_owned();
    line[18] = error.to_owned();
    line
}

fn fill_resident(line: &mut [String], r: &CurrentResident) {
    line[6] = r.name.clone();
    line[7] = r.kana.clone();
    line[8] = r.birth.to_string();
    line[9] = r.sex.code().to_string();
    line[10] = r.address.clone();
    line[11] = r.removal.as_ref().map(removal_text).unwrap_or_default();
}

fn resident_line(reference: &str, n: &MyNumber, r: &CurrentResident, purpose: &str) -> Vec<String> {
    let mut line = answer_line(reference, "個人番号", "該当あり", None, purpose, "");
    line[4] = n.expose().to_owned();
    fill_resident(&mut line, r);
    line
}

fn candidate_line(reference: &str, rank: usize, c: &Candidate, purpose: &str) -> Vec<String> {
    let mut line = answer_line(reference, "基本4情報", "候補", Some(rank), purpose, "");
    line[4] = c.my_number.expose().to_owned();
    line[5] = c.score.to_string();
    fill_resident(&mut line, &c.resident);
    line[12] = c.items.name.label();
    line[13] = c.items.kana.label();
    line[14] = c.items.birth.label();
    line[15] = c.items.sex.label();
    line[16] = c.items.address.label();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &[&str]) -> Vec<String> {
        s.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn a_query_row_is_a_number_or_a_search_and_errors_name_line_and_column() {
        let by_number = read_query(2, &fields(&["A1", "621498320257", "", "", "", "", ""]));
        assert!(matches!(by_number.asked, Ok(Asked::Number(_))));
        let search = read_query(
            3,
            &fields(&[
                "A2",
                "",
                "山田太郎",
                "ヤマダタロウ",
                "昭和20年4月1日",
                "1",
                "東京都",
            ]),
        );
        match search.asked {
            Ok(Asked::Basic4(q)) => {
                assert_eq!(q.birth, Some(time::macros::date!(1945 - 04 - 01)));
                assert_eq!(q.sex, Some(Sex::Male));
            }
            _ => panic!("a search"),
        }
        let bad = read_query(4, &fields(&["A3", "123", "", "", "", "", ""]));
        let e = bad.asked.err().unwrap();
        assert!(e.starts_with("4行目 個人番号"), "{e}");
        assert!(!e.contains("123"), "{e}");
        let no_birth = read_query(5, &fields(&["A4", "", "山田太郎", "", "", "", ""]));
        assert!(no_birth.asked.err().unwrap().starts_with("5行目 生年月日"));
        let no_name = read_query(6, &fields(&["A5", "", "", "", "1945-04-01", "", ""]));
        assert!(no_name.asked.err().unwrap().starts_with("6行目 氏名"));
        let short = read_query(7, &fields(&["A6", ""]));
        assert!(short.asked.err().unwrap().contains("項目数"));
    }

    #[test]
    fn purposes_are_checked_before_sending() {
        assert!(check_purpose("subscriber").is_ok());
        assert!(check_purpose("nosy").unwrap_err().0.contains("subscriber"));
    }
}
