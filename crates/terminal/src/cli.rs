//! `renkei terminal …`: the terminal's command line, in Japanese.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use renkei_core::InsurerNumber;
use renkei_wire::peer::IntermediateClient;
use renkei_wire::tls::TlsFiles;

use crate::input::EncodingChoice;
use crate::profile::SandboxProfile;
use crate::register::{register_file, Progress, RegisterOptions};

#[derive(Debug, clap::Args)]
pub struct TerminalArgs {
    /// `renkei sandbox` のデータディレクトリ（接続先と証明書をここから読みます）
    #[arg(long, value_name = "DIR")]
    pub sandbox: Option<PathBuf>,
    /// 保険者番号（8桁、または国保の6桁）
    #[arg(long, value_name = "保険者番号")]
    pub insurer: String,
    /// 中間サーバの URL（--sandbox を使わないとき）
    #[arg(long, value_name = "URL", requires_all = ["ca", "cert", "key"], conflicts_with = "sandbox")]
    pub intermediate: Option<String>,
    /// ネットワーク CA の証明書（--sandbox を使わないとき）
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// 保険者のクライアント証明書（--sandbox を使わないとき）
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// 保険者の秘密鍵（--sandbox を使わないとき）
    #[arg(long)]
    pub key: Option<PathBuf>,
    #[command(subcommand)]
    pub command: TerminalCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TerminalCommand {
    /// 加入者情報ファイルを中間サーバに登録し、結果ファイル（Excel で開ける CSV）を作成します
    Register {
        /// 加入者情報ファイル（CSV、UTF-8 または Shift_JIS）
        file: PathBuf,
        /// 結果ファイルの出力先
        #[arg(long)]
        out: PathBuf,
        /// 文字コード
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingChoice,
        /// 1回に送る行数
        #[arg(long, default_value_t = crate::register::DEFAULT_CHUNK_ROWS)]
        chunk_rows: u32,
        /// 同時に送る回数
        #[arg(long, default_value_t = crate::register::DEFAULT_PARALLEL)]
        parallel: usize,
    },
    /// 加入者について他の機関に情報照会します（情報提供ネットワークシステム経由）
    Inquire(crate::inquire::InquireArgs),
    /// J-LIS（住基ネット）への照会: 個人番号 ⇔ 基本4情報（個人番号入手）
    #[command(subcommand)]
    Jlis(crate::jlis::JlisCommand),
    /// 副本（資格情報・高額介護合算療養費情報・葬祭費情報）を登録・照合します
    Fuhon {
        #[command(subcommand)]
        command: crate::fuhon::FuhonCommand,
    },
}

/// A failure to show the user (already in Japanese).
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

pub async fn run(args: TerminalArgs) -> Result<(), CliError> {
    let insurer_number =
        InsurerNumber::parse(&args.insurer).map_err(|e| CliError(format!("保険者番号: {e}")))?;
    let (tls, url, who) = match (&args.sandbox, &args.intermediate) {
        (Some(dir), _) => {
            let profile = SandboxProfile::load(dir).map_err(fail)?;
            let insurer = profile.insurer(insurer_number.as_str()).map_err(fail)?;
            (
                profile.tls(insurer),
                profile.intermediate_url.clone(),
                insurer.name.clone(),
            )
        }
        (None, Some(url)) => {
            let tls = TlsFiles {
                ca: args.ca.clone().unwrap_or_default(),
                cert: args.cert.clone().unwrap_or_default(),
                key: args.key.clone().unwrap_or_default(),
            };
            (tls, url.clone(), "証明書の機関".to_owned())
        }
        (None, None) => {
            return Err(CliError(
                "--sandbox DIR または --intermediate URL を指定してください".into(),
            ))
        }
    };
    let client = IntermediateClient::new(&tls, &url).map_err(fail)?;
    match args.command {
        TerminalCommand::Inquire(a) => crate::inquire::run(&tls, &url, &insurer_number, a).await,
        TerminalCommand::Fuhon { command } => {
            crate::fuhon::run(command, &tls, &url, &insurer_number, &who).await
        }
        TerminalCommand::Register {
            file,
            out,
            encoding,
            chunk_rows,
            parallel,
        } => {
            let options = RegisterOptions {
                chunk_rows,
                parallel,
                encoding,
                ..RegisterOptions::default()
            };
            eprintln!(
                "{who}（保険者番号 {insurer_number}）として {} を登録します",
                file.display()
            );
            let started = Instant::now();
            let mut meter = ProgressMeter::new(started);
            let summary = register_file(&client, &insurer_number, &file, &out, &options, |p| {
                meter.show(p)
            })
            .await
            .map_err(fail)?;
            meter.done();
            let p = &summary.progress;
            eprintln!(
                "完了: {} 行（登録 {} 件、保留 {} 件）、文字コード {}、{:.1} 秒",
                group(p.rows_done),
                group(p.registered),
                group(p.held),
                summary.encoding,
                started.elapsed().as_secs_f64()
            );
            eprintln!("結果ファイル: {}", out.display());
            if p.held > 0 {
                eprintln!("保留の行は結果ファイルの理由を確認し、修正して再送してください。");
            }
            Ok(())
        }
        TerminalCommand::Jlis(command) => {
            crate::jlis::run(command, &tls, &url, &insurer_number, &who).await
        }
    }
}

/// Progress on stderr: one self-overwriting line on a terminal, a line per 10% otherwise.
struct ProgressMeter {
    started: Instant,
    tty: bool,
    last_decile: u64,
}

impl ProgressMeter {
    fn new(started: Instant) -> Self {
        ProgressMeter {
            started,
            tty: std::io::stderr().is_terminal(),
            last_decile: 0,
        }
    }

    fn show(&mut self, p: &Progress) {
        let percent = (p.rows_done * 100).checked_div(p.rows_total).unwrap_or(100);
        let rate = p.rows_done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "登録中 {} / {} 行 ({percent}%)  登録 {}  保留 {}  {} 行/秒",
            group(p.rows_done),
            group(p.rows_total),
            group(p.registered),
            group(p.held),
            group(rate as u64)
        );
        if self.tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else if percent / 10 > self.last_decile || p.rows_done == p.rows_total {
            self.last_decile = percent / 10;
            eprintln!("{line}");
        }
    }

    fn done(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
