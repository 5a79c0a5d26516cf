//! `renkei agency … report-changes CHANGES.csv --out RESULT.csv`: a municipality's staff
//! report their residents' 転居・氏名変更・消除 to J-LIS (住基ネット) from a CSV file (UTF-8
//! or CP932, header [`CHANGE_COLUMNS`]), in requests of at most [`MAX_CHANGES`] records, and
//! get a result file (UTF-8 with BOM, one row per data row: 行番号,変更ID,結果,理由コード,理由).
//! The file is read twice (once to count, once to send), so its size is not bounded by memory.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use renkei_terminal::input::{resolve, EncodingChoice, Rows};
use renkei_wire::msg::resident_changes::{
    ChangeOutcome, ReportedChange, CHANGE_COLUMNS, CHANGE_RESULT_COLUMNS, MAX_CHANGES,
};
use renkei_wire::peer::RegistryClient;

/// Counts of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub applied: u64,
    pub already: u64,
    pub refused: u64,
}

/// One data row: its line and either the change to send or why it cannot be sent.
struct Row {
    line: u64,
    change_id: String,
    change: Result<ReportedChange, (String, String)>,
}

fn read_row(line: u64, fields: Vec<String>) -> Row {
    let change_id = fields
        .first()
        .map(|f| f.trim().to_owned())
        .unwrap_or_default();
    if fields.len() != CHANGE_COLUMNS.len() {
        let reason = format!(
            "{line}行目 行: 項目数が正しくありません（{}項目のところ{}項目）",
            CHANGE_COLUMNS.len(),
            fields.len()
        );
        return Row {
            line,
            change_id,
            change: Err(("invalid_row".into(), reason)),
        };
    }
    let mut f = fields.into_iter();
    let mut next = || f.next().unwrap_or_default();
    let change = ReportedChange {
        line: Some(line),
        change_id: next(),
        kind: next(),
        my_number: next(),
        effective_on: next(),
        name: next(),
        kana: next(),
        address: next(),
        municipality_code: next(),
        reason: next(),
    };
    Row {
        line,
        change_id,
        change: Ok(change),
    }
}

/// The result file, written beside the target as `*.part` and renamed when complete.
struct ResultFile {
    writer: csv::Writer<BufWriter<File>>,
    partial: PathBuf,
    target: PathBuf,
}

impl ResultFile {
    fn create(target: &Path) -> anyhow::Result<ResultFile> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".part");
        let partial = target.with_file_name(name);
        let mut file = BufWriter::new(
            File::create(&partial).with_context(|| format!("{}", partial.display()))?,
        );
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(CHANGE_RESULT_COLUMNS)?;
        Ok(ResultFile {
            writer,
            partial,
            target: target.to_owned(),
        })
    }

    fn write(
        &mut self,
        line: u64,
        change_id: &str,
        result: &str,
        code: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        self.writer
            .write_record([&line.to_string(), change_id, result, code, reason])?;
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.partial.display()))?;
        file.flush()?;
        drop(file);
        std::fs::rename(&self.partial, &self.target)?;
        Ok(())
    }
}

/// Reports every row of `file` through `registry`, writing the result file `out`.
pub async fn report(
    registry: &RegistryClient,
    file: &Path,
    out: &Path,
    encoding: EncodingChoice,
) -> anyhow::Result<Summary> {
    let io = |e: std::io::Error| anyhow::anyhow!("{}: {e}", file.display());
    let encoding = resolve(file, encoding).map_err(io)?;
    let (header, mut rows) = Rows::open(file, encoding).map_err(io)?;
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    if header != CHANGE_COLUMNS {
        anyhow::bail!(
            "{}: 見出し行が正しくありません。次の見出しが必要です: {}",
            file.display(),
            CHANGE_COLUMNS.join(",")
        );
    }
    let mut total = 0u64;
    while let Some(row) = rows.next_row().map_err(io)? {
        total += u64::from(!row.fields.iter().all(|f| f.trim().is_empty()));
    }
    let (_, mut rows) = Rows::open(file, encoding).map_err(io)?;
    let mut result = ResultFile::create(out)?;
    let mut summary = Summary::default();
    let tty = std::io::stderr().is_terminal();
    loop {
        let mut chunk = Vec::with_capacity(MAX_CHANGES);
        while chunk.len() < MAX_CHANGES {
            let Some(row) = rows.next_row().map_err(io)? else {
                break;
            };
            if !row.fields.iter().all(|f| f.trim().is_empty()) {
                chunk.push(read_row(row.line, row.fields));
            }
        }
        if chunk.is_empty() {
            break;
        }
        let sendable: Vec<ReportedChange> = chunk
            .iter()
            .filter_map(|r| r.change.as_ref().ok().cloned())
            .collect();
        let mut answers = registry
            .report_changes(&sendable)
            .await
            .map_err(|e| anyhow::anyhow!("住基ネットへの異動の届出に失敗しました: {e}（同じファイルを再送しても二重には反映されません）"))?
            .into_iter();
        for row in &chunk {
            summary.rows += 1;
            let outcome = match &row.change {
                Err((code, reason)) => ChangeOutcome::Refused {
                    code: code.clone(),
                    reason: reason.clone(),
                },
                Ok(_) => {
                    answers
                        .next()
                        .context("住基ネットの応答の件数が届出と一致しません")?
                        .outcome
                }
            };
            match outcome {
                ChangeOutcome::Applied => {
                    summary.applied += 1;
                    result.write(row.line, &row.change_id, "反映", "", "")?;
                }
                ChangeOutcome::AlreadyApplied => {
                    summary.already += 1;
                    result.write(
                        row.line,
                        &row.change_id,
                        "反映済み",
                        "already_applied",
                        "同じ変更IDの異動は反映済みです（再送）",
                    )?;
                }
                ChangeOutcome::Refused { code, reason } => {
                    summary.refused += 1;
                    result.write(row.line, &row.change_id, "不受理", &code, &reason)?;
                }
            }
        }
        let line = format!(
            "届出中 {} / {} 件 ({}%)",
            summary.rows,
            total,
            (summary.rows * 100).checked_div(total).unwrap_or(100)
        );
        if tty {
            eprint!("\r{line}   ");
        } else {
            eprintln!("{line}");
        }
    }
    if tty {
        eprintln!();
    }
    result.finish()?;
    Ok(summary)
}

/// One change given on the command line (the same items as a row of the file).
#[derive(clap::Args)]
pub struct OneChange {
    /// 変更ID（再送するときは前回と同じID）
    #[arg(long, value_name = "変更ID")]
    id: String,
    /// 異動区分: 転居・氏名変更・消除
    #[arg(long, value_name = "異動区分")]
    kind: String,
    /// 住民の個人番号
    #[arg(long, value_name = "個人番号")]
    number: String,
    /// 異動年月日（西暦または和暦）
    #[arg(long, value_name = "日付")]
    date: String,
    /// 新しい氏名（氏名変更）
    #[arg(long, default_value = "")]
    name: String,
    /// 新しい氏名カナ（氏名変更）
    #[arg(long, default_value = "")]
    kana: String,
    /// 新しい住所（転居）
    #[arg(long, default_value = "")]
    address: String,
    /// 転居先の市区町村コード（転居）
    #[arg(long, value_name = "コード", default_value = "")]
    municipality_code: String,
    /// 消除事由: 死亡・転出（消除）
    #[arg(long, value_name = "事由", default_value = "")]
    reason: String,
}

/// Reports one change and says what became of it; a refusal is an error (exit status 1).
pub async fn report_one(registry: &RegistryClient, one: OneChange) -> anyhow::Result<()> {
    let change = ReportedChange {
        line: None,
        change_id: one.id,
        kind: one.kind,
        my_number: one.number,
        effective_on: one.date,
        name: one.name,
        kana: one.kana,
        address: one.address,
        municipality_code: one.municipality_code,
        reason: one.reason,
    };
    let result = registry
        .report_changes(std::slice::from_ref(&change))
        .await
        .map_err(|e| anyhow::anyhow!("住基ネットへの異動の届出に失敗しました: {e}（同じ変更IDで再送しても二重には反映されません）"))?
        .pop()
        .context("住基ネットの応答が空です")?;
    match result.outcome {
        ChangeOutcome::Applied => println!("変更ID {}: 反映しました", result.change_id),
        ChangeOutcome::AlreadyApplied => {
            println!("変更ID {}: 反映済みです（再送）", result.change_id)
        }
        ChangeOutcome::Refused { code, reason } => {
            anyhow::bail!("変更ID {}: 不受理 {reason}（{code}）", result.change_id)
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &[&str]) -> Vec<String> {
        s.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn a_row_is_a_change_or_names_its_line() {
        let row = read_row(
            3,
            fields(&[
                "C1",
                "転居",
                "621498320257",
                "2024-04-01",
                "",
                "",
                "東京都",
                "131121",
                "",
            ]),
        );
        let change = row.change.unwrap();
        assert_eq!((change.line, change.kind.as_str()), (Some(3), "転居"));
        assert_eq!(change.municipality_code, "131121");
        let short = read_row(4, fields(&["C2", "転居", "621498320257"]));
        let (code, reason) = short.change.err().unwrap();
        assert_eq!(code, "invalid_row");
        assert!(reason.starts_with("4行目 行: 項目数"), "{reason}");
        assert!(!reason.contains("621498320257"));
        assert_eq!(short.change_id, "C2");
    }
}
