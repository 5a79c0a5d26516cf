//! `renkei bench fuhon`: 副本作成 at the size of the largest 広域連合, through the real servers.
//!
//! It starts every system as the sandbox does and seeds `intermediate` with N subscribers
//! through the registration store's own path (plan and writes, one transaction per 10,000
//! rows; the J-LIS and hub cross-checks that `renkei bench register` measures are left out, so
//! that the setup takes seconds, not minutes). Then, through the terminal's own client code:
//!
//! 1. the first full 資格情報 副本 (version 1, N records added);
//! 2. the next full 副本 (round 1): uploaded, diffed against version 1 by the server and applied
//!    as version 2 — the figure the issue sets at under 60 s for 2,000,000;
//! 3. a delta of `--delta-rows` 変更 rows (round 2), under 2 s for 20,000;
//! 4. a drift check of the round-1 extract against the 副本.
//!
//! It reports each step's time and the process's peak memory (servers and client together).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use renkei_core::InsurerNumber;
use renkei_intermediate::domain::plan::{Item, Ready};
use renkei_intermediate::domain::record::{parse_row, Header};
use renkei_intermediate::store::{Applied, ChunkContext, NewJob, Store};
use renkei_synth::{DateStyle, Encoding, FuhonFileSpec, PopulationSpec, SubscriberFileSpec};
use renkei_terminal::cli::group;
use renkei_terminal::fuhon::{send, Outcome, Sent, CHUNK_ROWS};
use renkei_terminal::input::{EncodingChoice, Rows};
use renkei_wire::msg::fuhon::{FuhonDriftRequest, FuhonKind, UploadMode, VersionInfo};
use renkei_wire::peer::FuhonClient;
use renkei_wire::Client;

use crate::bench::{peak_memory_kib, reset_peak_memory};
use crate::sandbox::{Sandbox, SandboxArgs};

const INSURER: &str = "39131156";
const SEED: u64 = 7;

#[derive(clap::Args)]
pub struct FuhonBenchArgs {
    /// 加入者（資格情報の副本の件数）
    #[arg(long, default_value_t = 2_000_000)]
    records: u64,
    /// 差分ファイルの行数
    #[arg(long, default_value_t = 20_000)]
    delta_rows: u64,
    /// PostgreSQL で測る場合の接続 URL（既定は SQLite）
    #[arg(long)]
    store: Option<String>,
    /// 作業ディレクトリ（既定は一時ディレクトリ、終了時に削除）
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: FuhonBenchArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let sandbox = Sandbox::start(&SandboxArgs {
        data_dir: dir.join("sandbox"),
        residents_file: None,
        population: 0,
        subscribers: 0,
        seed: SEED,
        store: args.store.clone(),
        port_base: 0,
    })
    .await?;
    let population = PopulationSpec {
        seed: SEED,
        count: args.records,
        prefecture: None,
        min_age: None,
    };

    let started = Instant::now();
    let subscribers = dir.join("subscribers.csv");
    renkei_synth::write_subscriber_file(
        std::io::BufWriter::new(std::fs::File::create(&subscribers)?),
        &SubscriberFileSpec {
            seed: SEED,
            encoding: Encoding::Utf8,
            date_style: DateStyle::Iso,
            error_rate: 0.0,
            notation_noise: false,
        },
        renkei_synth::residents(&population),
    )?;
    let seeded = seed_subscribers(sandbox.intermediate.store(), &subscribers).await?;
    eprintln!(
        "加入者 {} 人を投入: {:.1} 秒",
        group(seeded),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let file = |name: &str, round: u32, delta: bool| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        let spec = FuhonFileSpec {
            kind: FuhonKind::Shikaku,
            seed: SEED,
            subscriber_error_rate: 0.0,
            insurer_number: INSURER.into(),
            round,
            delta,
            encoding: Encoding::Utf8,
            error_rate: 0.0,
        };
        renkei_synth::write_fuhon_file(
            std::fs::File::create(&path)?,
            &spec,
            renkei_synth::residents(&population),
        )?;
        Ok(path)
    };
    let full0 = file("shikaku_r0.csv", 0, false)?;
    let full1 = file("shikaku_r1.csv", 1, false)?;
    let delta2 = head(
        &file("shikaku_r2_delta_all.csv", 2, true)?,
        &dir.join("shikaku_r2_delta.csv"),
        args.delta_rows,
    )?;
    eprintln!(
        "副本ファイルを作成: {:.1} 秒",
        started.elapsed().as_secs_f64()
    );

    let insurer = sandbox.profile.insurer(INSURER)?.clone();
    let tls = sandbox.profile.tls(&insurer);
    let client = FuhonClient::new(Client::new(
        tls.client_config()?,
        &sandbox.profile.intermediate_url,
    ));
    let number = InsurerNumber::parse(INSURER)?;
    let upload = |path: PathBuf, mode: UploadMode| {
        let (client, number) = (client.clone(), number.clone());
        async move {
            let started = Instant::now();
            let sent = send(
                &client,
                &number,
                FuhonKind::Shikaku,
                mode,
                &path,
                EncodingChoice::Utf8,
                None,
                CHUNK_ROWS,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let elapsed = started.elapsed().as_secs_f64();
            match sent {
                Sent::Done(Outcome::Committed(v), session) => {
                    Ok::<(VersionInfo, f64, String), anyhow::Error>((v, elapsed, session))
                }
                Sent::Done(Outcome::Refused(errors, total), _) => {
                    anyhow::bail!("refused: {total} errors, first {:?}", errors.first())
                }
                Sent::Already(_) => anyhow::bail!("unexpectedly already uploaded"),
            }
        }
    };

    reset_peak_memory();
    let (v1, first, _) = upload(full0, UploadMode::Full).await?;
    let (v2, full, _) = upload(full1.clone(), UploadMode::Full).await?;
    let (v3, delta, _) = upload(delta2, UploadMode::Delta).await?;
    let started = Instant::now();
    let (_, _, session) = upload(full1, UploadMode::Check).await?;
    let mut after = None;
    let mut drift_rows = 0u64;
    loop {
        let page = client
            .drift(&FuhonDriftRequest {
                insurer_number: number.clone(),
                session: session.clone(),
                after: after.clone(),
            })
            .await?;
        drift_rows += page.rows.len() as u64;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let drift = started.elapsed().as_secs_f64();
    let peak = peak_memory_kib();
    sandbox.stop().await;

    println!(
        "renkei bench fuhon ({}, 資格情報 {} records)",
        args.store
            .as_deref()
            .map(|_| "postgres")
            .unwrap_or("sqlite"),
        group(args.records)
    );
    println!(
        "  machine                         : {}",
        crate::bench::machine()
    );
    println!(
        "  first full upload (v1)          : {first:8.2} s  added {}",
        group(v1.added)
    );
    println!(
        "  full upload, diff, apply (v2)   : {full:8.2} s  added {} changed {} deleted {} unchanged {}",
        group(v2.added),
        group(v2.changed),
        group(v2.deleted),
        group(v2.unchanged)
    );
    println!(
        "  delta of {} rows (v3)       : {delta:8.2} s  changed {}",
        group(v3.changed + v3.added + v3.deleted + v3.unchanged),
        group(v3.changed)
    );
    println!(
        "  drift check (v3 vs round 1)     : {drift:8.2} s  {} differing fields",
        group(drift_rows)
    );
    println!(
        "  peak memory (process)           : {:8} MiB",
        peak.map(|k| (k / 1024).to_string())
            .unwrap_or_else(|| "n/a".into())
    );
    Ok(())
}

/// The first `rows` data rows of `from` (with its header) into `to`.
fn head(from: &Path, to: &Path, rows: u64) -> anyhow::Result<PathBuf> {
    let reader = std::io::BufReader::new(std::fs::File::open(from)?);
    let mut out = std::io::BufWriter::new(std::fs::File::create(to)?);
    for line in reader.lines().take(rows as usize + 1) {
        writeln!(out, "{}", line?)?;
    }
    out.flush()?;
    Ok(to.to_owned())
}

/// Registers every row of a 加入者情報 file through the registration store (plan and writes),
/// with a person key and 符号 derived from the row instead of J-LIS and the hub.
async fn seed_subscribers(store: &Store, file: &Path) -> anyhow::Result<u64> {
    let tenant = store
        .tenant_by_insurer_number(INSURER)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant of {INSURER} missing"))?;
    let (header, mut rows) = Rows::open(file, renkei_terminal::input::Encoding::Utf8)?;
    let header = Header::parse(&header)?;
    let job = NewJob {
        job_id: "bench-fuhon-seed".into(),
        insurer_number: INSURER.into(),
        file_name: "subscribers.csv".into(),
        header: vec![],
        chunk_rows: 10_000,
    };
    store.start_job(&tenant.code, &job).await?;
    let ctx = ChunkContext {
        job_id: job.job_id.clone(),
        insurer_number: INSURER.into(),
        verified: "ベンチマーク（照合省略）".into(),
    };
    let (mut seq, mut total) = (0u32, 0u64);
    loop {
        let mut items = Vec::with_capacity(10_000);
        while items.len() < 10_000 {
            let Some(raw) = rows.next_row()? else { break };
            let record = parse_row(&header, &raw)
                .map_err(|h| anyhow::anyhow!("line {}: {h:?}", raw.line))?;
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&raw.line.to_be_bytes());
            items.push(Item::Ready(Box::new(Ready {
                record,
                person_key: key,
                number_sealed: vec![0],
                fugo: format!("B{}", raw.line),
            })));
        }
        if items.is_empty() {
            break;
        }
        total += items.len() as u64;
        match store.apply_chunk(&tenant.code, seq, &ctx, items).await? {
            Applied::Done(_) => {}
            Applied::PreviousPending(_) => anyhow::bail!("chunk {seq} out of order"),
        }
        seq += 1;
    }
    Ok(total)
}
