//! What the 副本 suite works with: tenants' certificates, subscribers registered through the
//! registration store, 資格情報 rows, and uploads driven through the service.

use renkei_core::InsurerNumber;
use renkei_wire::msg::fuhon::{
    CommitFuhonRequest, CommitFuhonResponse, FuhonChunkRequest, FuhonKind, FuhonVersionsRequest,
    StartFuhonRequest, UploadMode, CHANGE_COLUMN,
};
use renkei_wire::msg::intermediate::RawRow;
use renkei_wire::{Identity, Role};

use crate::domain::plan::{Item, Ready};
use crate::domain::record::{parse_row as parse_subscriber, Header, COLUMNS};
use crate::fuhon::service::{FuhonError, FuhonService};
use crate::store::{Applied, ChunkContext, NewJob, Store};

pub(super) const TOKYO: &str = "39131156";
pub(super) const HOKKAIDO: &str = "39011002";

pub(super) fn koiki(code: &str) -> Identity {
    Identity::new(code, Role::Insurer, code)
}

/// Registers subscribers `insured` for `tenant` (one chunk).
pub(super) async fn register(
    store: &Store,
    tenant: &str,
    insurer: &str,
    job: &str,
    insured: &[String],
    salt: u8,
) {
    let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let items = insured
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let fields = [
                "1",
                "621498320257",
                n,
                "山田　太郎",
                "ヤマダ　タロウ",
                "1945-04-01",
                "1",
                "東京都",
                "2020-04-01",
                "",
            ];
            let record = parse_subscriber(
                &header,
                &RawRow {
                    line: i as u64 + 2,
                    fields: fields.iter().map(|s| s.to_string()).collect(),
                },
            )
            .unwrap();
            let mut key = [salt; 32];
            key[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Item::Ready(Box::new(Ready {
                record,
                person_key: key,
                number_sealed: vec![1],
                fugo: format!("F{i}"),
            }))
        })
        .collect();
    store
        .start_job(
            tenant,
            &NewJob {
                job_id: job.into(),
                insurer_number: insurer.into(),
                file_name: "s.csv".into(),
                header: vec![],
                chunk_rows: 1000,
            },
        )
        .await
        .unwrap();
    let ctx = ChunkContext {
        job_id: job.into(),
        insurer_number: insurer.into(),
        verified: "一致".into(),
    };
    assert!(matches!(
        store.apply_chunk(tenant, 0, &ctx, items).await.unwrap(),
        Applied::Done(_)
    ));
}

pub(super) fn insured(i: u32) -> String {
    format!("{:08}", 10_000_000 + i)
}

/// A 資格情報 row for subscriber `i`.
pub(super) fn shikaku(i: u32, rate: &str, category: &str, lost: &str) -> Vec<String> {
    [TOKYO, &insured(i), "", "2020-04-01", lost, rate, category]
        .map(String::from)
        .to_vec()
}

pub(super) struct Upload {
    pub(super) chunk_errors: Vec<renkei_wire::msg::fuhon::RowError>,
    pub(super) outcome: Result<CommitFuhonResponse, FuhonError>,
    pub(super) session: String,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn upload(
    svc: &FuhonService,
    who: &str,
    insurer: &str,
    kind: FuhonKind,
    mode: UploadMode,
    rows: &[Vec<String>],
    as_of: &str,
    digest: &str,
) -> Result<Upload, FuhonError> {
    let caller = koiki(who);
    let mut header: Vec<String> = kind.columns().iter().map(|c| c.to_string()).collect();
    if mode == UploadMode::Delta {
        header.insert(0, CHANGE_COLUMN.into());
    }
    let start = svc
        .start(
            &caller,
            StartFuhonRequest {
                insurer_number: InsurerNumber::parse(insurer).unwrap(),
                kind,
                mode,
                digest: format!(
                    "{:0>64}",
                    digest
                        .bytes()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ),
                file_name: "f.csv".into(),
                header,
                as_of: Some(as_of.into()),
            },
        )
        .await?;
    if let Some(version) = start.already {
        return Ok(Upload {
            chunk_errors: vec![],
            outcome: Ok(CommitFuhonResponse::Committed { version }),
            session: String::new(),
        });
    }
    let mut chunk_errors = Vec::new();
    let chunks: Vec<&[Vec<String>]> = rows.chunks(3).collect();
    for (seq, chunk) in chunks.iter().enumerate() {
        let raw = chunk
            .iter()
            .enumerate()
            .map(|(i, f)| RawRow {
                line: (seq * 3 + i) as u64 + 2,
                fields: f.clone(),
            })
            .collect();
        let req = FuhonChunkRequest {
            insurer_number: InsurerNumber::parse(insurer).unwrap(),
            session: start.session.clone(),
            seq: seq as u32,
            rows: raw,
        };
        chunk_errors.extend(svc.chunk(&caller, req.clone()).await?.errors);
        // A chunk sent twice is staged once.
        svc.chunk(&caller, req).await?;
    }
    let outcome = svc
        .commit(
            &caller,
            CommitFuhonRequest {
                insurer_number: InsurerNumber::parse(insurer).unwrap(),
                session: start.session.clone(),
                chunks: chunks.len() as u32,
                rows: rows.len() as u64,
            },
        )
        .await;
    Ok(Upload {
        chunk_errors,
        outcome,
        session: start.session,
    })
}

pub(super) fn committed(u: &Upload) -> &renkei_wire::msg::fuhon::VersionInfo {
    match &u.outcome {
        Ok(CommitFuhonResponse::Committed { version }) => version,
        other => panic!(
            "not committed: {other:?} (chunk errors {:?})",
            u.chunk_errors
        ),
    }
}

pub(super) fn refused(u: &Upload) -> Vec<(u64, String, String)> {
    let mut all: Vec<(u64, String, String)> = u
        .chunk_errors
        .iter()
        .map(|e| (e.line, e.field.clone(), e.code.clone()))
        .collect();
    match &u.outcome {
        Ok(CommitFuhonResponse::Refused {
            errors,
            total_errors,
        }) => {
            assert_eq!(*total_errors as usize, errors.len());
            for e in errors {
                let item = (e.line, e.field.clone(), e.code.clone());
                if !all.contains(&item) {
                    all.push(item);
                }
            }
        }
        other => panic!("not refused: {other:?}"),
    }
    all.sort();
    all
}

pub(super) async fn versions(
    svc: &FuhonService,
    who: &str,
    insurer: &str,
    kind: FuhonKind,
) -> Vec<u64> {
    svc.versions(
        &koiki(who),
        FuhonVersionsRequest {
            insurer_number: InsurerNumber::parse(insurer).unwrap(),
            kind,
        },
    )
    .await
    .unwrap()
    .versions
    .iter()
    .map(|v| v.version)
    .collect()
}
