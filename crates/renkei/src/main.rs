//! `renkei`: one binary for every system of the network, the sandbox that runs them all, and
//! the tools around them. This file only dispatches.

use clap::{Parser, Subcommand};

mod agency;
mod audit;
mod audit_reconcile;
mod bench;
mod bench_fuhon;
mod bench_inquire;
mod bench_jlis;
mod fds;
mod logging;
mod pki;
mod sandbox;
mod serve;
mod web;

/// The servers allocate and free many short-lived strings and vectors per request across
/// threads; glibc's allocator spent ~12 % of registration's CPU on that (see PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "医療保険者向け情報連携ネットワーク（中間サーバ・情報提供ネットワークシステム・住基ネット・統合専用端末）"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 全システムを1台で起動し、合成データを投入します（Ctrl-C で停止）
    Sandbox(sandbox::SandboxArgs),
    /// 1つのシステムを設定ファイルで起動します
    Serve(serve::ServeArgs),
    /// ネットワーク CA と機関の証明書を作成します
    Pki(pki::PkiArgs),
    /// 合成データ（住民・加入者情報ファイル・広域連合）を作成します
    Synth(renkei_synth::cli::SynthArgs),
    /// 統合専用端末（保険者の職員が使うクライアント）
    Terminal(renkei_terminal::cli::TerminalArgs),
    /// 性能を測定します
    Bench(bench::BenchArgs),
    /// 統合専用端末の Web 画面を設定ファイルで起動します（サンドボックスでは自動で起動します）
    Web(renkei_terminal::web::cli::WebArgs),
    /// 情報保有機関（市町村など）の職員としての操作（サンドボックス）
    Agency(agency::AgencyArgs),
    /// 監査: 情報提供等記録の検証
    Audit(audit::AuditArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    renkei_wire::tls::install_crypto_provider();
    logging::init();
    fds::presize_descriptor_table();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Sandbox(args) => runtime.block_on(sandbox::run(args)),
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Pki(args) => pki::run(args),
        Command::Synth(args) => renkei_synth::cli::run(args),
        Command::Terminal(args) => Ok(runtime.block_on(renkei_terminal::cli::run(args))?),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Web(args) => runtime.block_on(web::run(args)),
        Command::Agency(args) => runtime.block_on(agency::run(args)),
        Command::Audit(args) => runtime.block_on(audit::run(args)),
    }
}
