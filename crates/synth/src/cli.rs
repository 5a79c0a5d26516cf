//! `renkei synth`: writes synthetic residents, 加入者情報 files and the 広域連合 list. The
//! `renkei` binary embeds [`SynthArgs`] in its own command enum and calls [`run`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::{
    koiki_unions, residents, write_residents_csv, write_subscriber_file, DateStyle, Encoding,
    PopulationSpec, SubscriberFileSpec,
};

/// `renkei synth …`
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: SynthCommand,
}

/// The kinds of synthetic data.
#[derive(Debug, clap::Subcommand)]
pub enum SynthCommand {
    /// 住民（J-LISの本人確認情報）のCSVを作ります。registry に読み込ませるためのものです。
    ///
    /// 全国の住民（--prefecture なし）と都道府県ごとの住民（--prefecture あり）は別の人で、
    /// 番号が重ならないので、同じ seed なら一緒に読み込めます。--min-age はその中から
    /// 2026年4月1日時点でその年齢以上の人だけを残します。
    Residents {
        /// 乱数の種。同じ種からは常に同じ住民ができます。
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 人数。
        #[arg(long)]
        count: u64,
        /// 都道府県コード（01〜47）。指定するとその都道府県の住民を作ります。
        #[arg(long)]
        prefecture: Option<String>,
        /// 最低年齢（2026年4月1日時点）。
        #[arg(long)]
        min_age: Option<u32>,
        /// 出力先ファイル（省略すると標準出力）。
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// 広域連合が中間サーバに送る加入者情報ファイルを作ります。
    ///
    /// 行の住民は `residents --seed S --count N --prefecture P --min-age A` と同じ住民
    /// （renkei_synth::residents(&PopulationSpec { seed, count, prefecture, min_age })）です。
    /// 既定では東京都（13）の住民ブロックのうち75歳以上の最初の N 人で、registry にも同じ
    /// 指定の住民を読み込んでおく必要があります。--prefecture all で全国の住民から選びます。
    Subscribers {
        /// 乱数の種（住民と、被保険者番号・表記・誤りの両方に使います）。
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 行数（住民の人数）。
        #[arg(long)]
        count: u64,
        /// 都道府県コード（01〜47）、または全国なら all。
        #[arg(long, default_value = "13")]
        prefecture: String,
        /// 最低年齢（2026年4月1日時点）。
        #[arg(long, default_value_t = 75)]
        min_age: u32,
        /// 文字コード。
        #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
        encoding: EncodingArg,
        /// 日付の書き方: iso（1945-04-01）、kanji（昭和20年4月1日）、letter（S200401）、
        /// digit（3200401）、mixed（行ごとに混在）。
        #[arg(long, value_enum, default_value_t = DatesArg::Iso)]
        dates: DatesArg,
        /// 誤りを1つ含む行の割合（0.0〜1.0）。
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// 意味を変えない表記ゆれ（半角カナ、ひらがな、半角スペース、和暦）を混ぜます。
        #[arg(long)]
        noise: bool,
        /// 出力先ファイル（省略すると標準出力）。
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// 仕込んだ誤りの一覧（CSV: line,error）の出力先。
        #[arg(long, value_name = "FILE")]
        planted: Option<PathBuf>,
    },
    /// 広域連合が中間サーバに送る副本ファイル（資格情報・高額介護合算療養費情報・葬祭費情報）を作ります。
    ///
    /// 対象は `subscribers` の同じ --seed --count --prefecture --min-age の加入者（その
    /// --error-rate で保留になる行を除く）で、同じ被保険者番号・資格取得年月日を使います。
    /// --round は更新の回数（0 が最初の全件）で、--mode delta は前の回からの差分です。
    Fuhon(crate::fuhon_cli::FuhonArgs),
    /// 47の後期高齢者医療広域連合と保険者番号のCSVを作ります
    /// （機関コード,名称,都道府県コード,保険者番号,市区町村コード）。
    Insurers {
        /// 出力先ファイル（省略すると標準出力）。
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `--encoding`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingArg {
    /// UTF-8
    Utf8,
    /// Shift_JIS（CP932）
    Cp932,
}

/// `--dates`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DatesArg {
    /// 1945-04-01
    Iso,
    /// 昭和20年4月1日
    Kanji,
    /// S200401
    Letter,
    /// 3200401
    Digit,
    /// 行ごとに混在
    Mixed,
}

/// Runs `renkei synth`.
pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    match args.what {
        SynthCommand::Residents {
            seed,
            count,
            prefecture,
            min_age,
            out,
        } => {
            let spec = PopulationSpec {
                seed,
                count,
                prefecture,
                min_age,
            };
            spec.validate()?;
            let rows = write_residents_csv(output(out.as_deref())?, residents(&spec))?;
            eprintln!("住民ファイルを作成しました: {} 人", with_commas(rows));
        }
        SynthCommand::Subscribers {
            seed,
            count,
            prefecture,
            min_age,
            encoding,
            dates,
            error_rate,
            noise,
            out,
            planted,
        } => {
            let prefecture = (prefecture != "all").then_some(prefecture);
            let population = PopulationSpec {
                seed,
                count,
                prefecture,
                min_age: Some(min_age),
            };
            population.validate()?;
            let spec = SubscriberFileSpec {
                seed,
                encoding: match encoding {
                    EncodingArg::Utf8 => Encoding::Utf8,
                    EncodingArg::Cp932 => Encoding::Cp932,
                },
                date_style: match dates {
                    DatesArg::Iso => DateStyle::Iso,
                    DatesArg::Kanji => DateStyle::WarekiKanji,
                    DatesArg::Letter => DateStyle::WarekiLetter,
                    DatesArg::Digit => DateStyle::WarekiDigit,
                    DatesArg::Mixed => DateStyle::Mixed,
                },
                error_rate,
                notation_noise: noise,
            };
            let summary =
                write_subscriber_file(output(out.as_deref())?, &spec, residents(&population))?;
            eprintln!(
                "加入者情報ファイルを作成しました: {} 行（うち誤りを含む行 {}）",
                with_commas(summary.rows),
                with_commas(summary.planted.len() as u64)
            );
            if let Some(path) = planted {
                let mut csv = csv::Writer::from_writer(output(Some(&path))?);
                csv.write_record(["line", "error"])?;
                for p in &summary.planted {
                    csv.write_record([p.line.to_string().as_str(), p.error.code()])?;
                }
                csv.flush()?;
                eprintln!("仕込んだ誤りの一覧を書き出しました: {}", path.display());
            }
        }
        SynthCommand::Fuhon(args) => crate::fuhon_cli::run(args)?,
        SynthCommand::Insurers { out } => {
            let mut csv = csv::Writer::from_writer(output(out.as_deref())?);
            csv.write_record([
                "機関コード",
                "名称",
                "都道府県コード",
                "保険者番号",
                "市区町村コード",
            ])?;
            let unions = koiki_unions();
            let mut numbers = 0u64;
            for union in &unions {
                for (number, municipality) in &union.insurers {
                    csv.write_record([
                        union.code.as_str(),
                        &union.name,
                        &union.prefecture_code,
                        number.as_str(),
                        municipality,
                    ])?;
                    numbers += 1;
                }
            }
            csv.flush()?;
            eprintln!(
                "広域連合ファイルを作成しました: {} 団体、保険者番号 {} 件",
                unions.len(),
                with_commas(numbers)
            );
        }
    }
    Ok(())
}

/// The file at `path`, or standard output.
pub(crate) fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("ファイルを作成できません: {}", path.display())
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// `10000` → `"10,000"`.
pub(crate) fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(10_000), "10,000");
        assert_eq!(with_commas(1_234_567), "1,234,567");
    }
}
