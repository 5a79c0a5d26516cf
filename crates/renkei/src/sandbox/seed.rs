//! Synthetic data for the sandbox: residents at J-LIS, the 47 広域連合 as tenants of the
//! intermediate server, and sample 加入者情報 files drawn from the same residents.

use std::path::PathBuf;

use renkei_intermediate::store::Tenant;
use renkei_registry::ResidentRecord;
use renkei_synth::{DateStyle, Encoding, KoikiUnion, PopulationSpec, Resident, SubscriberFileSpec};

use super::SandboxArgs;

const BATCH: usize = 10_000;

pub fn record(r: Resident) -> ResidentRecord {
    ResidentRecord {
        my_number: r.my_number,
        resident_code: r.resident_code,
        name: r.name,
        kana: r.kana,
        birth: r.birth,
        sex: r.sex,
        address: r.address,
        municipality_code: r.municipality_code,
    }
}

/// The nation-wide synthetic population.
pub fn population(args: &SandboxArgs) -> PopulationSpec {
    PopulationSpec {
        seed: args.seed,
        count: args.population,
        prefecture: None,
        min_age: None,
    }
}

/// 東京都's residents aged 75 and over: the people `renkei synth subscribers` (whose defaults
/// are this spec) writes 加入者情報 files for, so such files register against the sandbox.
pub fn tokyo_elderly(args: &SandboxArgs) -> PopulationSpec {
    PopulationSpec {
        seed: args.seed,
        count: args.subscribers,
        prefecture: Some("13".into()),
        min_age: Some(75),
    }
}

/// Loads the synthetic population once (on an empty registry), then the residents file if given.
pub async fn registry(store: &renkei_registry::Store, args: &SandboxArgs) -> anyhow::Result<()> {
    if store.count().await? == 0 {
        let started = std::time::Instant::now();
        let mut loaded = load(store, renkei_synth::residents(&population(args))).await?;
        loaded += load(store, renkei_synth::residents(&tokyo_elderly(args))).await?;
        eprintln!(
            "住基ネットに合成住民 {loaded} 人を投入しました（{:.1} 秒）",
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = &args.residents_file {
        let summary = renkei_registry::load_residents_csv(store, path).await?;
        eprintln!(
            "住民ファイル {}: {} 行中 {} 行を投入、{} 行は誤りのため投入しませんでした",
            path.display(),
            summary.rows,
            summary.loaded,
            summary.rejected
        );
        for e in &summary.errors {
            eprintln!("  {e}");
        }
    }
    Ok(())
}

/// Upserts residents in batches (one transaction or COPY each).
pub async fn load(
    store: &renkei_registry::Store,
    residents: impl Iterator<Item = Resident>,
) -> anyhow::Result<u64> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut loaded = 0u64;
    for r in residents {
        batch.push(record(r));
        if batch.len() == BATCH {
            loaded += store.upsert_owned(std::mem::take(&mut batch)).await?;
        }
    }
    loaded += store.upsert_owned(batch).await?;
    store.release_memory().await?;
    Ok(loaded)
}

pub async fn tenants(
    store: &renkei_intermediate::store::Store,
    unions: &[KoikiUnion],
) -> anyhow::Result<()> {
    for u in unions {
        let tenant = Tenant {
            code: u.code.parse()?,
            name: u.name.clone(),
            insurer_numbers: u.insurers.iter().map(|(n, _)| n.to_string()).collect(),
        };
        store.upsert_tenant(&tenant).await?;
    }
    Ok(())
}

/// Sample 加入者情報 files of 東京都's residents aged 75 and over, written once.
pub fn samples(args: &SandboxArgs) -> anyhow::Result<Vec<PathBuf>> {
    let dir = args.data_dir.join("samples");
    std::fs::create_dir_all(&dir)?;
    let sample_spec = PopulationSpec {
        count: args.subscribers.min(1000),
        ..tokyo_elderly(args)
    };
    let files = [
        (
            "加入者情報_東京都.csv",
            Encoding::Utf8,
            DateStyle::Iso,
            0.0,
            false,
        ),
        (
            "加入者情報_東京都_誤りあり_sjis.csv",
            Encoding::Cp932,
            DateStyle::Mixed,
            0.05,
            true,
        ),
    ];
    let mut written = Vec::new();
    for (name, encoding, date_style, error_rate, notation_noise) in files {
        let path = dir.join(name);
        if !path.exists() {
            let spec = SubscriberFileSpec {
                seed: args.seed,
                encoding,
                date_style,
                error_rate,
                notation_noise,
            };
            let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
            renkei_synth::write_subscriber_file(
                file,
                &spec,
                renkei_synth::residents(&sample_spec),
            )?;
        }
        written.push(path);
    }
    Ok(written)
}
