//! `renkei synth fuhon`: 副本 files for the synthetic subscribers.

use std::path::PathBuf;

use renkei_wire::msg::fuhon::FuhonKind;

use crate::cli::{output, with_commas, EncodingArg};
use crate::{residents, write_fuhon_file, Encoding, FuhonFileSpec, PopulationSpec};

#[derive(Debug, clap::Args)]
pub struct FuhonArgs {
    /// 副本の種類: 資格、高額介護合算、葬祭費（または 資格情報 など正式名）。
    #[arg(long, value_parser = parse_kind)]
    kind: FuhonKind,
    /// 全件（full）か差分（delta）か。
    #[arg(long, default_value = "full", value_parser = ["full", "delta"])]
    mode: String,
    /// 更新の回（0 が最初の全件）。差分は前の回からの変更です。
    #[arg(long, default_value_t = 0)]
    round: u32,
    /// 加入者情報ファイルと同じ乱数の種。
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 加入者情報ファイルの行数。
    #[arg(long)]
    count: u64,
    /// 都道府県コード（01〜47）、または全国なら all。
    #[arg(long, default_value = "13")]
    prefecture: String,
    /// 最低年齢（2026年4月1日時点）。
    #[arg(long, default_value_t = 75)]
    min_age: u32,
    /// 加入者情報ファイルの --error-rate（保留になった行の加入者は除きます）。
    #[arg(long, default_value_t = 0.0)]
    subscriber_error_rate: f64,
    /// 各行の保険者番号（加入者情報を登録した保険者番号）。
    #[arg(long, default_value = "39131156")]
    insurer: String,
    /// 文字コード。
    #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
    encoding: EncodingArg,
    /// 誤りを1つ含む行の割合（0.0〜1.0）。
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// 出力先ファイル（省略すると標準出力）。
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// 仕込んだ誤りの一覧（CSV: line,error）の出力先。
    #[arg(long, value_name = "FILE")]
    planted: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<FuhonKind, String> {
    FuhonKind::parse(s)
        .ok_or_else(|| format!("副本の種類「{s}」は 資格・高額介護合算・葬祭費 のいずれかです"))
}

pub fn run(args: FuhonArgs) -> anyhow::Result<()> {
    let population = PopulationSpec {
        seed: args.seed,
        count: args.count,
        prefecture: (args.prefecture != "all").then_some(args.prefecture),
        min_age: Some(args.min_age),
    };
    population.validate()?;
    let spec = FuhonFileSpec {
        kind: args.kind,
        seed: args.seed,
        subscriber_error_rate: args.subscriber_error_rate,
        insurer_number: args.insurer,
        round: args.round,
        delta: args.mode == "delta",
        encoding: match args.encoding {
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Cp932 => Encoding::Cp932,
        },
        error_rate: args.error_rate,
    };
    let summary = write_fuhon_file(output(args.out.as_deref())?, &spec, residents(&population))?;
    eprintln!(
        "{}の副本ファイル（{}）を作成しました: {} 行（うち誤りを含む行 {}）",
        args.kind.label(),
        if spec.delta { "差分" } else { "全件" },
        with_commas(summary.rows),
        with_commas(summary.planted.len() as u64)
    );
    if let Some(path) = args.planted {
        let mut csv = csv::Writer::from_writer(output(Some(&path))?);
        csv.write_record(["line", "error"])?;
        for (line, error) in &summary.planted {
            csv.write_record([line.to_string().as_str(), error.code()])?;
        }
        csv.flush()?;
    }
    Ok(())
}
