//! `renkei bench inquire`: 情報照会 through the whole path — terminal client → intermediate →
//! hub → agency and back, mutual TLS on every hop, the asker's and the provider's signatures
//! checked, a durable 情報提供等記録 entry per inquiry — against a bare mutual-TLS echo
//! through the same three hops (same server skeleton and client, JSON bodies of the same
//! size), measured in the same run.
//!
//! The systems start as the sandbox starts them; the bench registers the synthetic 東京都
//! elderly with 東京都's 広域連合 and asks 世田谷区 about those living there (K01/J01, each
//! inquiry a new request id). Closed loop with `--concurrency` callers, or paced at `--rate`
//! inquiries/s; it reports throughput and latency percentiles.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use renkei_core::InsurerNumber;
use renkei_synth::{DateStyle, Encoding, SubscriberFileSpec};
use renkei_terminal::cli::group;
use renkei_terminal::register::{register_file, RegisterOptions};
use renkei_wire::metrics::Metrics;
use renkei_wire::msg::inquiry::{InquiryAnswer, InsurerInquire, InsurerInquireRequest};
use renkei_wire::peer::IntermediateClient;
use renkei_wire::pki::Pki;
use renkei_wire::{Client, Endpoint, Identity, Role};
use tokio::sync::watch;

use crate::sandbox::{self, Sandbox, SandboxArgs};

#[derive(clap::Args)]
pub struct InquireBenchArgs {
    /// 照会の件数（各方式）
    #[arg(long, default_value_t = 20_000)]
    pub inquiries: u64,
    /// 同時に照会する数（閉ループ）
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// 一定の到着率（件/秒）で照会する場合の率（同時実行は --concurrency まで。省略時は閉ループ）
    #[arg(long)]
    pub rate: Option<u64>,
    /// 合成の東京都75歳以上の人数（世田谷区の住民が照会対象）
    #[arg(long, default_value_t = 5_000)]
    pub subscribers: u64,
    /// PostgreSQL で測る場合の接続 URL（既定は SQLite）
    #[arg(long)]
    pub store: Option<String>,
    /// 作業ディレクトリ（既定は一時ディレクトリ、終了時に削除）
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// 照会1件ごとの開始時刻と応答時間（ミリ秒）を書き出す CSV ファイル
    #[arg(long)]
    pub latencies: Option<PathBuf>,
}

/// Throughput, latencies and CPU time of one run.
struct Run {
    count: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// (when the call was due or started, since the run began; its latency), in call order.
    timeline: Vec<(Duration, Duration)>,
    /// When the run began (wall clock), to line the timeline up with other records.
    started_at: std::time::SystemTime,
    /// User + system CPU time of the whole process (all systems and the client) during the
    /// run: on a shared machine a steadier yardstick than the wall-clock rate.
    cpu: Duration,
}

/// User + system CPU time this process has used so far (`/proc/self/stat`, in clock ticks
/// of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

impl Run {
    fn line(&mut self, name: &str) -> String {
        self.latencies.sort_unstable();
        let p = |q: f64| {
            let i = ((self.latencies.len() as f64 * q) as usize).min(self.latencies.len() - 1);
            self.latencies[i].as_secs_f64() * 1000.0
        };
        format!(
            "  {name:<28}: {:>8} /s   p50 {:6.2} ms   p99 {:6.2} ms   max {:7.2} ms   CPU {:5.0} µs/call",
            group((self.count as f64 / self.elapsed.as_secs_f64()) as u64),
            p(0.50),
            p(0.99),
            p(1.0),
            self.cpu.as_secs_f64() * 1e6 / self.count.max(1) as f64
        )
    }
}

/// Writes every dirty page of the machine to disk (`sync(1)`), so that writeback of earlier
/// work does not fall into a measurement.
pub async fn sync_disks() {
    let done = tokio::process::Command::new("sync").status().await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "sync failed");
    }
}

/// Runs `total` calls of `call(i)`, closed loop with `concurrency` tasks or paced at `rate`/s.
async fn drive<F, Fut>(
    total: u64,
    concurrency: usize,
    rate: Option<u64>,
    call: F,
) -> anyhow::Result<Run>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let call = Arc::new(call);
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let cpu = cpu_time();
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let mut tasks = Vec::new();
    match rate {
        None => {
            for _ in 0..concurrency {
                let (call, next) = (call.clone(), next.clone());
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let t = Instant::now();
                        call(i).await?;
                        lat.push((i, t - started, t.elapsed()));
                    }
                    anyhow::Ok(lat)
                }));
            }
        }
        Some(rate) => {
            // Paced: each call is due at its scheduled time and its latency counts from then,
            // so queueing shows; at most `concurrency` calls are in flight (like a client with
            // a bounded connection pool), later ones wait for a slot.
            // Each call's task ends as soon as it has sent its timing: holding tens of
            // thousands of finished tasks (with their futures' memory) until the end would
            // make the bench itself grow and stall.
            let gap = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
            let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
            let (done, mut timings) = tokio::sync::mpsc::unbounded_channel();
            for i in 0..total {
                let due = started + gap.mul_f64(i as f64);
                tokio::time::sleep_until(due.into()).await;
                let slot = slots.clone().acquire_owned().await?;
                let (call, done) = (call.clone(), done.clone());
                tokio::spawn(async move {
                    let result = call(i).await.map(|()| (i, due - started, due.elapsed()));
                    drop(slot);
                    let _ = done.send(result);
                });
            }
            drop(done);
            tasks.push(tokio::spawn(async move {
                let mut all = Vec::new();
                while let Some(result) = timings.recv().await {
                    all.push(result?);
                }
                anyhow::Ok(all)
            }));
        }
    }
    let mut calls = Vec::with_capacity(total as usize);
    for t in tasks {
        calls.extend(t.await??);
    }
    let elapsed = started.elapsed();
    calls.sort_unstable_by_key(|c| c.0);
    Ok(Run {
        count: total,
        elapsed,
        latencies: calls.iter().map(|c| c.2).collect(),
        timeline: calls.iter().map(|c| (c.1, c.2)).collect(),
        started_at,
        cpu: cpu_time().saturating_sub(cpu),
    })
}

/// The echo hop: forwards the body to the next server, or answers it.
struct Echo;

impl Endpoint for Echo {
    const PATH: &'static str = "/bench/echo";
    type Request = serde_json::Value;
    type Response = serde_json::Value;
}

async fn echo_chain(
    pki: &Pki,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<(Vec<renkei_wire::server::RunningServer>, String)> {
    let mut servers = Vec::new();
    let mut next: Option<Client> = None;
    for hop in (1..=3).rev() {
        let tls = pki.issue(&Identity::new(
            format!("echo-{hop}"),
            Role::Operator,
            "echo",
        ))?;
        let forward = next.clone();
        let router = Router::new().route(
            Echo::PATH,
            post(move |Json(body): Json<serde_json::Value>| {
                let forward = forward.clone();
                async move {
                    match forward {
                        Some(client) => {
                            client.call::<Echo>(&body).await.map(Json).map_err(|e| {
                                renkei_wire::ApiError::unavailable("echo", e.to_string())
                            })
                        }
                        None => Ok(Json(body)),
                    }
                }
            }),
        );
        let server = renkei_wire::server::start(
            "echo",
            "127.0.0.1:0",
            tls.server_config()?,
            router,
            Metrics::default(),
            shutdown.clone(),
        )
        .await?;
        next = Some(Client::new(tls.client_config()?, &server.url()));
        servers.push(server);
    }
    let url = servers.last().expect("three hops").url();
    Ok((servers, url))
}

pub async fn run(args: InquireBenchArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let sandbox_args = SandboxArgs {
        data_dir: dir.join("sandbox"),
        residents_file: None,
        population: 0,
        subscribers: args.subscribers,
        seed: 7,
        store: args.store.clone(),
        port_base: 0,
    };
    std::fs::create_dir_all(&sandbox_args.data_dir)?;
    let sandbox = Sandbox::start(&sandbox_args).await?;

    // Register the 東京都 elderly with 東京都's 広域連合; keep the 枝番 of those in 世田谷区.
    let file = dir.join("subscribers.csv");
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
        renkei_synth::residents(&sandbox::seed::tokyo_elderly(&sandbox_args)),
    )?;
    let insurer = sandbox.profile.insurer("39131156")?.clone();
    let tls = sandbox.profile.tls(&insurer);
    let number = InsurerNumber::parse("39131156")?;
    let result = dir.join("result.csv");
    register_file(
        &IntermediateClient::new(&tls, &sandbox.profile.intermediate_url)?,
        &number,
        &file,
        &result,
        &RegisterOptions::default(),
        |_| {},
    )
    .await?;
    let branches = setagaya_branches(&file, &result)?;
    anyhow::ensure!(!branches.is_empty(), "世田谷区の加入者がいません");
    eprintln!("世田谷区の加入者 {} 人に照会します", branches.len());

    let client = Client::new(tls.client_config()?, &sandbox.profile.intermediate_url);
    let branches = Arc::new(branches);
    let ask = {
        let (client, branches) = (client.clone(), branches.clone());
        let stamp = std::process::id();
        move |round: &'static str| {
            let (client, branches) = (client.clone(), branches.clone());
            move |i: u64| {
                let (client, branches) = (client.clone(), branches.clone());
                async move {
                    let request = InsurerInquireRequest {
                        request_id: format!("bench-{stamp}-{round}-{i}"),
                        insurer_number: "39131156".parse()?,
                        branch: branches[i as usize % branches.len()].clone(),
                        task: "K01".parse()?,
                        info: "J01".parse()?,
                        provider: "city-131121".parse()?,
                    };
                    let answer = client.call::<InsurerInquire>(&request).await?;
                    anyhow::ensure!(
                        matches!(answer.answer, InquiryAnswer::Data { .. }),
                        "照会 {i}: {:?}",
                        answer.answer.kind()
                    );
                    Ok(())
                }
            }
        }
    };
    // Warm-up: connections, caches.
    drive(
        2_000.min(args.inquiries),
        args.concurrency,
        None,
        ask("warm"),
    )
    .await?;
    // The set-up wrote hundreds of MiB (synthetic files, registration, agencies' data); left
    // to the kernel's writeback, they reach the disk in the middle of the run, and the file
    // system's commits then hold up the stores' WAL appends. Flushed first, they do not.
    sync_disks().await;
    let mut inquiry = drive(args.inquiries, args.concurrency, args.rate, ask("run")).await?;

    // The yardstick: a bare echo through three mutual-TLS hops, same client, similar body.
    let (stop, shutdown) = watch::channel(false);
    let pki = Pki::open_or_create(&sandbox_args.data_dir.join("pki"))?;
    let (_servers, echo_url) = echo_chain(&pki, &shutdown).await?;
    let echo_client = Client::new(
        pki.issue(&Identity::new("echo-client", Role::Operator, "echo"))?
            .client_config()?,
        &echo_url,
    );
    let body = serde_json::json!({
        "request_id": "bench-000000-run-000000",
        "insurer_number": "39131156",
        "branch": "0000000001",
        "task": "K01",
        "info": "J01",
        "provider": "city-131121",
        "items": {"住民税": "課税", "課税年度": "令和7年度", "課税所得": "1234000"},
    });
    let echo = move |_i: u64| {
        let (client, body) = (echo_client.clone(), body.clone());
        async move {
            client.call::<Echo>(&body).await?;
            anyhow::Ok(())
        }
    };
    drive(
        2_000.min(args.inquiries),
        args.concurrency,
        None,
        echo.clone(),
    )
    .await?;
    let mut bare = drive(args.inquiries, args.concurrency, args.rate, echo).await?;
    let _ = stop.send(true);

    let entries = sandbox.hub.store().read_log().await?.entries.len();
    sandbox.stop().await;
    println!(
        "renkei bench inquire ({}, {} inquiries, {})",
        args.store
            .as_deref()
            .map(|_| "postgres")
            .unwrap_or("sqlite"),
        group(args.inquiries),
        match args.rate {
            Some(r) => format!("open loop at {} /s", group(r)),
            None => format!("closed loop, concurrency {}", args.concurrency),
        }
    );
    println!(
        "  machine                     : {}",
        crate::bench::machine()
    );
    if let Some(path) = &args.latencies {
        let epoch = inquiry
            .started_at
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mut out = String::from("call,start_ms,latency_ms,unix_ms\n");
        for (i, (start, latency)) in inquiry.timeline.iter().enumerate() {
            out.push_str(&format!(
                "{i},{:.3},{:.3},{:.3}\n",
                start.as_secs_f64() * 1e3,
                latency.as_secs_f64() * 1e3,
                (epoch + *start).as_secs_f64() * 1e3
            ));
        }
        std::fs::write(path, out)?;
    }
    println!("{}", inquiry.line("inquiry (4 systems, 3 hops)"));
    println!("{}", bare.line("bare mTLS echo (3 hops)"));
    println!(
        "  log entries written         : {:>8}",
        group(entries as u64)
    );
    Ok(())
}

/// 枝番 of the registered subscribers whose address is in 世田谷区.
fn setagaya_branches(
    file: &std::path::Path,
    result: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    let mut lines = std::collections::HashSet::new();
    let mut reader = csv::Reader::from_path(file)?;
    for (i, r) in reader.records().enumerate() {
        if r?.get(7).is_some_and(|a| a.contains("世田谷区")) {
            lines.insert(i as u64 + 2);
        }
    }
    let bytes = std::fs::read(result)?;
    let mut reader =
        csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let mut out = Vec::new();
    for r in reader.records() {
        let r = r?;
        if lines.contains(&r[0].parse::<u64>()?) && !r[3].is_empty() {
            out.push(r[3].to_owned());
        }
    }
    Ok(out)
}
