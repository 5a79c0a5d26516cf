//! `renkei bench jlis`: 個人番号入手 through the real registry server (mutual TLS on loopback,
//! SQLite or PostgreSQL store, the in-memory search index, the look-up log).
//!
//! It starts the systems as the sandbox does, loads N synthetic residents into J-LIS (once:
//! with `--dir` an existing data directory is reused and the index is rebuilt from the store
//! at start-up, which is timed too), then, as the insurer 39131156, sends look-ups by
//! 個人番号 and searches by 基本4情報 (written with notation differences) from
//! `--concurrency` tasks, and reports throughput, latency percentiles and memory.
//!
//! `--accuracy` instead loads the population with planted look-alikes and checks, through the
//! server, that searches with all four items find the right person first (≥ 99%) and never
//! return another 生年月日.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use renkei_core::MyNumber;
use renkei_synth::{look_alike, resident, search_items, LookAlikeKind, PopulationSpec};
use renkei_terminal::cli::group;
use renkei_wire::msg::registry::{Basic4Query, LookupRequest, SearchRequest};
use renkei_wire::peer::RegistryClient;

use crate::sandbox::{self, Sandbox, SandboxArgs};

#[derive(clap::Args)]
pub struct JlisBenchArgs {
    /// 住民の人数
    #[arg(long, default_value_t = 10_000_000)]
    residents: u64,
    /// 個人番号による照会の回数
    #[arg(long, default_value_t = 200_000)]
    lookups: u64,
    /// 基本4情報による検索の回数
    #[arg(long, default_value_t = 50_000)]
    searches: u64,
    /// 1回の要求に入れる件数
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// 同時に送る要求の数
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// PostgreSQL で測る場合の接続 URL（既定は SQLite）
    #[arg(long)]
    store: Option<String>,
    /// 作業ディレクトリ（既存なら住民を再投入せず使います。既定は一時ディレクトリ）
    #[arg(long)]
    dir: Option<PathBuf>,
    /// 精度の測定（なりすまし候補を仕込んだ住民で、4情報検索の1位が本人か）
    #[arg(long)]
    accuracy: bool,
}

const SEED: u64 = 5;
const INSURER: &str = "39131156";

pub async fn run(args: JlisBenchArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let sandbox_args = SandboxArgs {
        data_dir: dir.join("sandbox"),
        residents_file: None,
        population: 0,
        subscribers: 0,
        seed: SEED,
        store: args.store.clone(),
        port_base: 0,
    };
    let started = Instant::now();
    let sandbox = Sandbox::start(&sandbox_args).await?;
    let store = sandbox.registry.store().clone();
    let held = store.count().await?;
    eprintln!(
        "起動（住民 {} 人の索引を構築）: {:.1} 秒",
        group(held),
        started.elapsed().as_secs_f64()
    );
    let population = PopulationSpec {
        seed: SEED,
        count: args.residents,
        prefecture: None,
        min_age: None,
    };
    if held < args.residents {
        let started = Instant::now();
        let loaded = sandbox::seed::load(
            &store,
            renkei_synth::residents(&population).skip(held as usize),
        )
        .await?;
        eprintln!(
            "住民 {} 人を投入: {:.1} 秒",
            group(loaded),
            started.elapsed().as_secs_f64()
        );
    }
    let insurer = sandbox.profile.insurer(INSURER)?.clone();
    let client = RegistryClient::new(
        sandbox.profile.tls(&insurer).client_config()?,
        &sandbox.profile.registry_url,
    );
    if args.accuracy {
        let result = accuracy(&sandbox, &client, &args).await;
        sandbox.stop().await;
        return result;
    }
    let stats = store.index().stats();
    let rss_loaded = rss_kib();

    let n = args.residents;
    let batch = args.batch.max(1);
    // Look-ups: residents spread over the population (a tenth of them unknown numbers).
    let lookups: Vec<Vec<MyNumber>> = (0..args.lookups.div_ceil(batch as u64))
        .map(|r| {
            (0..batch as u64)
                .map(|k| {
                    let i = r * batch as u64 + k;
                    let pick = mix(i) % n.max(1);
                    if i % 10 == 9 {
                        renkei_synth::unknown_my_number(SEED, i)
                    } else {
                        resident(SEED, pick).my_number
                    }
                })
                .collect()
        })
        .collect();
    let searches: Vec<Vec<Basic4Query>> = (0..args.searches.div_ceil(batch as u64))
        .map(|r| {
            (0..batch as u64)
                .map(|k| {
                    let i = r * batch as u64 + k;
                    let pick = mix(i ^ 0x5eed) % n.max(1);
                    let w = search_items(&resident(SEED, pick), i);
                    Basic4Query {
                        name: Some(w.name),
                        kana: Some(w.kana),
                        birth: Some(w.birth),
                        sex: Some(w.sex),
                        address: Some(w.address),
                    }
                })
                .collect()
        })
        .collect();

    let purpose = "subscriber".to_owned();
    let lookup_run = drive(args.concurrency, lookups, {
        let client = client.clone();
        let purpose = purpose.clone();
        move |numbers| {
            let client = client.clone();
            let purpose = purpose.clone();
            async move {
                let answer = client
                    .lookup(&LookupRequest {
                        purpose,
                        insurer_number: Some(INSURER.parse().expect("a valid 保険者番号")),
                        on_behalf_of: None,
                        numbers,
                    })
                    .await?;
                Ok(answer.residents.iter().filter(|r| r.is_some()).count() as u64)
            }
        }
    })
    .await?;
    let search_run = drive(args.concurrency, searches, {
        let client = client.clone();
        move |queries| {
            let client = client.clone();
            let purpose = purpose.clone();
            async move {
                let answer = client
                    .search(&SearchRequest {
                        purpose,
                        insurer_number: Some(INSURER.parse().expect("a valid 保険者番号")),
                        on_behalf_of: None,
                        limit: Some(5),
                        queries,
                    })
                    .await?;
                Ok(answer.results.iter().filter(|r| !r.is_empty()).count() as u64)
            }
        }
    })
    .await?;
    let rss_after = rss_kib();
    let peak = peak_kib();
    let logged = store.recent_log(1).await?.len();
    sandbox.stop().await;

    println!(
        "renkei bench jlis ({}, {} residents, batch {batch}, concurrency {})",
        args.store
            .as_deref()
            .map(|_| "postgres")
            .unwrap_or("sqlite"),
        group(n),
        args.concurrency
    );
    println!("  machine                 : {}", crate::bench::machine());
    lookup_run.print("look-ups by 個人番号     ", batch);
    search_run.print("searches by 基本4情報    ", batch);
    println!(
        "  search index            : {:>8} MiB estimated ({} residents, keys {} MiB)",
        stats.estimated_bytes >> 20,
        group(stats.residents),
        stats.text_bytes >> 20
    );
    println!(
        "  process memory (RSS)    : {:>8} MiB after loading, {} MiB after the run, peak {} MiB",
        rss_loaded.map_or(0, |k| k >> 10),
        rss_after.map_or(0, |k| k >> 10),
        peak.map_or(0, |k| k >> 10)
    );
    anyhow::ensure!(logged == 1, "look-up log is empty");
    Ok(())
}

/// Throughput and latency of one kind of request.
struct Run {
    requests: u64,
    answered: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn print(&self, label: &str, batch: usize) {
        let mut l = self.latencies.clone();
        l.sort();
        let at = |q: f64| l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)));
        let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let items = self.requests * batch as u64;
        println!(
            "  {label}: {:>8} /s ({} in {:.1} s, {} answered)  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            group((items as f64 / self.elapsed.as_secs_f64()) as u64),
            group(items),
            self.elapsed.as_secs_f64(),
            group(self.answered),
            ms(at(0.50)),
            ms(at(0.99)),
            ms(l.last())
        );
    }
}

/// Sends every request with `concurrency` tasks, timing each.
async fn drive<T, F, Fut>(concurrency: usize, requests: Vec<T>, call: F) -> anyhow::Result<Run>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<u64, renkei_wire::CallError>> + Send,
{
    let count = requests.len() as u64;
    let queue = Arc::new(std::sync::Mutex::new(requests.into_iter()));
    let call = Arc::new(call);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let queue = queue.clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut answered = 0;
            loop {
                let next = queue.lock().expect("queue").next();
                let Some(request) = next else { break };
                let t = Instant::now();
                answered += call(request).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, renkei_wire::CallError>((latencies, answered))
        }));
    }
    let mut run = Run {
        requests: count,
        answered: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(count as usize),
    };
    for t in tasks {
        let (latencies, answered) = t.await??;
        run.latencies.extend(latencies);
        run.answered += answered;
    }
    run.elapsed = started.elapsed();
    Ok(run)
}

/// Accuracy through the server: look-alikes for every 10th resident, searches for every 5th.
async fn accuracy(
    sandbox: &Sandbox,
    client: &RegistryClient,
    args: &JlisBenchArgs,
) -> anyhow::Result<()> {
    let store = sandbox.registry.store();
    let n = args.residents;
    let planted: Vec<_> = (0..n.div_ceil(10))
        .map(|k| {
            let original = resident(SEED, k * 10);
            look_alike(SEED, k, &original, LookAlikeKind::ALL[(k % 3) as usize]).resident
        })
        .collect();
    let started = Instant::now();
    let loaded = sandbox::seed::load(store, planted.into_iter()).await?;
    eprintln!(
        "なりすまし候補 {} 人を投入: {:.1} 秒",
        group(loaded),
        started.elapsed().as_secs_f64()
    );
    let mut searches = 0u64;
    let mut first = 0u64;
    let mut other_birth = 0u64;
    let started = Instant::now();
    let picks: Vec<u64> = (0..n).step_by(5).collect();
    for chunk in picks.chunks(100) {
        let people: Vec<_> = chunk.iter().map(|&i| resident(SEED, i)).collect();
        let queries: Vec<Basic4Query> = people
            .iter()
            .zip(chunk)
            .map(|(r, &i)| {
                let w = search_items(r, i);
                Basic4Query {
                    name: Some(w.name),
                    kana: Some(w.kana),
                    birth: Some(w.birth),
                    sex: Some(w.sex),
                    address: Some(w.address),
                }
            })
            .collect();
        let answer = client
            .search(&SearchRequest {
                purpose: "subscriber".into(),
                insurer_number: Some(INSURER.parse()?),
                on_behalf_of: None,
                limit: Some(10),
                queries,
            })
            .await?;
        for (person, found) in people.iter().zip(&answer.results) {
            searches += 1;
            if found
                .first()
                .is_some_and(|c| c.my_number == person.my_number)
            {
                first += 1;
            }
            other_birth += found
                .iter()
                .filter(|c| c.resident.birth != person.birth)
                .count() as u64;
        }
    }
    let rate = first as f64 / searches.max(1) as f64;
    println!(
        "renkei bench jlis --accuracy ({} residents + {} look-alikes)",
        group(n),
        group(loaded)
    );
    println!("  machine                 : {}", crate::bench::machine());
    println!(
        "  right person first      : {} / {} ({:.3}%)  in {:.1} s",
        group(first),
        group(searches),
        rate * 100.0,
        started.elapsed().as_secs_f64()
    );
    println!("  other 生年月日 returned : {other_birth}");
    anyhow::ensure!(other_birth == 0, "another 生年月日 was returned");
    anyhow::ensure!(
        rate >= 0.99,
        "right person first in only {:.3}%",
        rate * 100.0
    );
    Ok(())
}

/// SplitMix64's finalizer: spreads the picked residents over the population.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

fn peak_kib() -> Option<u64> {
    status_kib("VmHWM:")
}
