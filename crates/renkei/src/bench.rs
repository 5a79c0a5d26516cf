//! `renkei bench`: end-to-end measurements on this machine, through the real servers.
//!
//! `register` starts every system as the sandbox does (mutual TLS on loopback, a real store),
//! loads N synthetic residents into J-LIS, writes a 加入者情報 file for all of them, and
//! registers it through the terminal's own client code: cross-check, 符号 and 枝番 included.
//! It reports records/s and the process's peak memory during registration (servers and
//! client together), and — as the yardstick — how fast plain SQLite inserts the same rows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use renkei_core::InsurerNumber;
use renkei_synth::{DateStyle, Encoding, PopulationSpec, SubscriberFileSpec};
use renkei_terminal::cli::group;
use renkei_terminal::register::{register_file, RegisterOptions};
use renkei_wire::peer::IntermediateClient;

use crate::sandbox::{self, Sandbox, SandboxArgs};

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(clap::Subcommand)]
enum BenchCommand {
    /// 加入者情報作成（ファイル → 結果ファイル）を全システム経由で測定します
    Register {
        /// 加入者の件数
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        /// PostgreSQL で測る場合の接続 URL（既定は SQLite）
        #[arg(long)]
        store: Option<String>,
        #[arg(long, default_value_t = renkei_terminal::register::DEFAULT_CHUNK_ROWS)]
        chunk_rows: u32,
        #[arg(long, default_value_t = renkei_terminal::register::DEFAULT_PARALLEL)]
        parallel: usize,
        /// 作業ディレクトリ（既定は一時ディレクトリ、終了時に削除）
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// 情報照会（端末 → 中間サーバ → hub → 市町村）を素の mTLS エコーと比べて測定します
    Inquire(crate::bench_inquire::InquireBenchArgs),
    /// 個人番号入手（個人番号・基本4情報による照会）を住基ネット経由で測定します
    Jlis(crate::bench_jlis::JlisBenchArgs),
    /// 副本作成（資格情報の全件・差分・照合）を全システム経由で測定します
    Fuhon(crate::bench_fuhon::FuhonBenchArgs),
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (records, store, chunk_rows, parallel, dir) = match args.what {
        BenchCommand::Inquire(a) => return crate::bench_inquire::run(a).await,
        BenchCommand::Fuhon(args) => return crate::bench_fuhon::run(args).await,
        BenchCommand::Register {
            records,
            store,
            chunk_rows,
            parallel,
            dir,
        } => (records, store, chunk_rows, parallel, dir),
        BenchCommand::Jlis(args) => return crate::bench_jlis::run(args).await,
    };
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temp.path().to_owned());
    let sandbox_args = SandboxArgs {
        data_dir: dir.join("sandbox"),
        residents_file: None,
        population: 0,
        subscribers: 0,
        seed: 7,
        store: store.clone(),
        port_base: 0,
    };
    let sandbox = Sandbox::start(&sandbox_args).await?;
    let population = PopulationSpec {
        seed: 7,
        count: records,
        prefecture: None,
        min_age: None,
    };

    let started = Instant::now();
    let loaded = sandbox::seed::load(
        sandbox.registry.store(),
        renkei_synth::residents(&population),
    )
    .await?;
    eprintln!(
        "住民 {} 人を投入: {:.1} 秒",
        group(loaded),
        started.elapsed().as_secs_f64()
    );

    let file = dir.join("bench.csv");
    let spec = SubscriberFileSpec {
        seed: 7,
        encoding: Encoding::Utf8,
        date_style: DateStyle::Iso,
        error_rate: 0.0,
        notation_noise: false,
    };
    renkei_synth::write_subscriber_file(
        std::io::BufWriter::new(std::fs::File::create(&file)?),
        &spec,
        renkei_synth::residents(&population),
    )?;

    let insurer = sandbox.profile.insurer("39131156")?.clone();
    let client = IntermediateClient::new(
        &sandbox.profile.tls(&insurer),
        &sandbox.profile.intermediate_url,
    )?;
    let options = RegisterOptions {
        chunk_rows,
        parallel,
        ..RegisterOptions::default()
    };
    reset_peak_memory();
    sqlite_heap_peak(true);
    let times_before = process_times();
    let started = Instant::now();
    let summary = register_file(
        &client,
        &InsurerNumber::parse("39131156")?,
        &file,
        &dir.join("result.csv"),
        &options,
        |_| {},
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let times = times_before.zip(process_times()).map(|(a, b)| b.since(&a));
    let peak = peak_memory_kib();
    let sqlite_peak = sqlite_heap_peak(false);
    anyhow::ensure!(
        summary.progress.registered == records,
        "登録 {} 件（期待 {records} 件）: 保留があります",
        summary.progress.registered
    );
    sandbox.stop().await;

    let (baseline_rows, baseline) = plain_sqlite_insert(&file, &dir.join("plain.db"))?;
    let rate = records as f64 / elapsed;
    let baseline_rate = baseline_rows as f64 / baseline;
    println!(
        "renkei bench register ({}, {} records, chunk {chunk_rows}, parallel {parallel})",
        store.as_deref().map(|_| "postgres").unwrap_or("sqlite"),
        group(records)
    );
    println!("  machine                 : {}", machine());
    println!(
        "  registration end to end : {elapsed:8.2} s  {:>10} records/s",
        group(rate as u64)
    );
    println!(
        "  peak memory (process)   : {:8} MiB",
        peak.map(|k| (k / 1024).to_string())
            .unwrap_or_else(|| "n/a".into())
    );
    println!(
        "    of which SQLite heap  : {:8} MiB at its peak (page caches, statements; all stores)",
        sqlite_peak >> 20
    );
    if let Some(t) = times {
        let cpu = t.user + t.sys;
        println!(
            "  CPU user+sys (process)  : {cpu:8.2} s  {:>10.1} µs/record  (load average {})",
            cpu * 1e6 / records as f64,
            load_average()
        );
        println!(
            "    of which              : user {:.2} s, sys {:.2} s, {} minor page faults",
            t.user,
            t.sys,
            group(t.minor_faults)
        );
    }
    println!(
        "  plain SQLite insert     : {baseline:8.2} s  {:>10} rows/s",
        group(baseline_rate as u64)
    );
    println!("  ratio (plain / renkei)  : {:8.1}x", baseline_rate / rate);
    Ok(())
}

/// The yardstick: the same rows, parsed from the same file, inserted into one SQLite table in
/// one transaction with one prepared statement.
fn plain_sqlite_insert(file: &Path, db: &Path) -> anyhow::Result<(u64, f64)> {
    let _ = std::fs::remove_file(db);
    let started = Instant::now();
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE subscribers (change_type TEXT, my_number TEXT, insured_number TEXT PRIMARY KEY, name TEXT,
           kana TEXT, birth TEXT, sex TEXT, address TEXT, acquired TEXT, lost TEXT);",
    )?;
    let tx = conn.transaction()?;
    let mut rows = 0u64;
    {
        let mut insert =
            tx.prepare("INSERT INTO subscribers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
        let mut reader = csv::Reader::from_path(file)?;
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record)? {
            insert.execute(rusqlite::params_from_iter(record.iter()))?;
            rows += 1;
        }
    }
    tx.commit()?;
    Ok((rows, started.elapsed().as_secs_f64()))
}

/// This process's CPU time (all threads: servers and client) split into user and system, with its
/// minor page faults: a high system share points at the kernel (page faults from fresh
/// allocations, loopback TCP, the WAL). Unlike wall-clock rates, CPU time is hardly changed by
/// other work on a shared machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProcessTimes {
    pub user: f64,
    pub sys: f64,
    pub minor_faults: u64,
}

impl ProcessTimes {
    pub fn since(&self, earlier: &ProcessTimes) -> ProcessTimes {
        ProcessTimes {
            user: self.user - earlier.user,
            sys: self.sys - earlier.sys,
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

pub(crate) fn process_times() -> Option<ProcessTimes> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn parse_stat(stat: &str) -> Option<ProcessTimes> {
    // Fields after the command name (which is in parentheses and may hold spaces); `minflt` is
    // field 10 of proc(5), `utime` 14 and `stime` 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(ProcessTimes {
        minor_faults: fields.get(7)?.parse().ok()?,
        user: fields.get(11)?.parse::<f64>().ok()? / 100.0,
        sys: fields.get(12)?.parse::<f64>().ok()? / 100.0,
    })
}

/// The 1-minute load average, to read wall-clock rates against.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".into())
}

/// Resets the kernel's peak-RSS mark (VmHWM) so that only what follows is measured.
pub(crate) fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The most memory SQLite's allocator held at once since the last reset (`reset` resets it and
/// returns the figure before): every store's page caches and statements in this process, the
/// part of the peak that the SQLite cache sizes decide.
pub(crate) fn sqlite_heap_peak(reset: bool) -> u64 {
    // SAFETY: a thread-safe SQLite call that takes a flag and reads SQLite's own counters.
    let bytes = unsafe { rusqlite::ffi::sqlite3_memory_highwater(i32::from(reset)) };
    u64::try_from(bytes).unwrap_or(0)
}

/// The processor the figures were taken on, e.g. "AMD EPYC (family 23, model 49), 2 CPUs":
/// hosts of one machine kind differ by up to 2× in speed, and the model name alone often does
/// not tell them apart (docs/PERFORMANCE.md, session 8).
pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    describe_cpu(&cpuinfo, cpus)
}

fn describe_cpu(cpuinfo: &str, cpus: usize) -> String {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    let model_name = field("model name").unwrap_or_else(|| "unknown processor".into());
    let detail = match (field("cpu family"), field("model")) {
        (Some(family), Some(model)) => format!(" (family {family}, model {model})"),
        _ => String::new(),
    };
    format!("{model_name}{detail}, {cpus} CPUs")
}

#[cfg(test)]
mod tests {
    use super::{describe_cpu, parse_stat, sqlite_heap_peak, ProcessTimes};

    #[test]
    fn the_sqlite_heap_peak_counts_what_sqlite_allocates() {
        sqlite_heap_peak(true);
        // An in-memory database keeps its ~8 MB of pages in SQLite's page cache.
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (v BLOB);
             WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 1000)
             INSERT INTO t SELECT randomblob(8000) FROM n;",
        )
        .unwrap();
        assert!(sqlite_heap_peak(false) >= 8_000_000);
    }

    #[test]
    fn process_times_come_from_the_fields_after_the_command_name() {
        // The command name may hold spaces and parentheses; clock ticks are 1/100 s.
        let stat = "4242 (renkei (x) y) S 1 4242 4242 0 -1 4194560 123456 0 7 0 2500 730 0 0 20 0";
        assert_eq!(
            parse_stat(stat),
            Some(ProcessTimes {
                user: 25.0,
                sys: 7.3,
                minor_faults: 123456
            })
        );
        assert_eq!(parse_stat("4242 (renkei) S 1"), None);
    }

    #[test]
    fn the_machine_line_names_model_family_and_cpus() {
        let cpuinfo =
            "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 49\n\
                       model name\t: AMD EPYC\nstepping\t: 0\n\nprocessor\t: 1\ncpu family\t: 23\n";
        assert_eq!(
            describe_cpu(cpuinfo, 2),
            "AMD EPYC (family 23, model 49), 2 CPUs"
        );
        assert_eq!(describe_cpu("", 4), "unknown processor, 4 CPUs");
    }
}
