//! 加入者情報作成, the service: authorizes the tenant, reads each row, cross-checks it with
//! J-LIS, obtains the tenant's 機関別符号 from `hub`, and has the store apply the chunk.
//!
//! A chunk already applied is answered from the store before anything else is done, so
//! re-sending costs neither J-LIS nor the hub anything. If J-LIS or the hub cannot be reached
//! the chunk is refused as unavailable (retryable) and nothing of it is written.

use renkei_core::crypto::{KeyedHasher, Sealer};
use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::intermediate::{
    FinishRegistrationRequest, JobStatus, RegisterChunkRequest, RowResult, StartRegistrationRequest,
};
use renkei_wire::peer::{HubClient, RegistryClient};
use renkei_wire::{CallError, Identity, Role};

use crate::domain::hold::code;
use crate::domain::plan::{Item, Ready};
use crate::domain::record::{parse_row, HeaderError};
use crate::domain::verify::{cross_check, CHECKED_ITEMS};
use crate::domain::{Header, Hold, SubscriberRecord};
use crate::store::{Applied, ChunkContext, NewJob, Store, Tenant};

/// How long a chunk waits for the one before it to be applied.
const ORDER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Most rows accepted in one chunk. A chunk is one transaction here and at the hub, and a
/// transaction writes each page of a random-keyed index it touches once whatever the number of
/// rows on it, so larger chunks write fewer pages per row: at 1,000,000 subscribers 50,000-row
/// chunks cost ~36 µs of CPU per record against ~53 µs for 10,000 (docs/PERFORMANCE.md).
/// A chunk of 50,000 typical rows is a request of ~17 MiB.
pub const MAX_CHUNK_ROWS: usize = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0}")]
    Forbidden(String),
    #[error("保険者番号 {0} は中間サーバに登録されていません")]
    UnknownInsurer(String),
    #[error("登録処理（ジョブ）が見つかりません。ファイルの送信を最初からやり直してください")]
    UnknownJob,
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    BadRequest(String),
    #[error("住基ネット（J-LIS）に接続できません。しばらくしてから同じファイルを再送してください")]
    RegistryUnavailable,
    #[error("情報提供ネットワークシステムに接続できません。しばらくしてから同じファイルを再送してください")]
    HubUnavailable,
    #[error("{0}番目のまとまりより前の行がまだ届いていません。同じファイルを再送してください")]
    PreviousChunkMissing(u32),
    #[error("{0}が要求を拒否しました（{1}）。運用担当者に連絡してください")]
    PeerRefused(&'static str, String),
    #[error("保存先でエラーが発生しました")]
    Store(#[from] StoreError),
}

pub struct Registrar {
    store: Store,
    registry: RegistryClient,
    hub: HubClient,
    hasher: KeyedHasher,
    sealer: Sealer,
    registered: Counter,
    held: Counter,
}

impl Registrar {
    pub fn new(
        store: Store,
        registry: RegistryClient,
        hub: HubClient,
        hasher: KeyedHasher,
        sealer: Sealer,
        metrics: &Metrics,
    ) -> Self {
        let rows = |result| {
            metrics.counter(
                "renkei_registration_rows_total",
                &[("result", result)],
                "加入者情報 rows processed, by result (registered or held).",
            )
        };
        Registrar {
            registered: rows("registered"),
            held: rows("held"),
            store,
            registry,
            hub,
            hasher,
            sealer,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The tenant holding `insurer_number`, if `caller` is that tenant.
    async fn tenant(
        &self,
        caller: &Identity,
        insurer_number: &str,
    ) -> Result<Tenant, RegistrationError> {
        if caller.role != Role::Insurer {
            return Err(RegistrationError::Forbidden(
                "加入者情報の登録は医療保険者の統合専用端末からのみ行えます".into(),
            ));
        }
        let tenant = self
            .store
            .tenant_by_insurer_number(insurer_number)
            .await?
            .ok_or_else(|| RegistrationError::UnknownInsurer(insurer_number.to_owned()))?;
        if tenant.code != caller.code {
            return Err(RegistrationError::Forbidden(format!(
                "保険者番号 {insurer_number} は貴機関（{}）の保険者番号ではありません",
                caller.code
            )));
        }
        Ok(tenant)
    }

    pub async fn start(
        &self,
        caller: &Identity,
        req: StartRegistrationRequest,
    ) -> Result<JobStatus, RegistrationError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        Header::parse(&req.header)?;
        if req.job_id.len() != 64 || !req.job_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RegistrationError::BadRequest(
                "job_id は64桁の16進数で指定してください".into(),
            ));
        }
        if req.chunk_rows == 0 || req.chunk_rows as usize > MAX_CHUNK_ROWS {
            return Err(RegistrationError::BadRequest(format!(
                "chunk_rows は1〜{MAX_CHUNK_ROWS}で指定してください"
            )));
        }
        let job = NewJob {
            job_id: req.job_id,
            insurer_number: req.insurer_number.to_string(),
            file_name: req.file_name,
            header: req.header,
            chunk_rows: req.chunk_rows,
        };
        let status = self.store.start_job(&tenant.code, &job).await?;
        tracing::info!(tenant = %tenant.code, job = %short(&job.job_id), chunks_done = status.chunks_done, "registration job opened");
        Ok(status)
    }

    pub async fn chunk(
        &self,
        caller: &Identity,
        req: RegisterChunkRequest,
    ) -> Result<Vec<RowResult>, RegistrationError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        if req.rows.len() > MAX_CHUNK_ROWS {
            return Err(RegistrationError::BadRequest(format!(
                "1回に送れる行は{MAX_CHUNK_ROWS}行までです"
            )));
        }
        let job = self
            .store
            .job(&tenant.code, &req.job_id)
            .await?
            .ok_or(RegistrationError::UnknownJob)?;
        if job.insurer_number != req.insurer_number.as_str() {
            return Err(RegistrationError::BadRequest(
                "登録処理を開始したときと保険者番号が異なります".into(),
            ));
        }
        if let Some(done) = self
            .store
            .chunk_results(&tenant.code, &job.job_id, req.seq)
            .await?
        {
            return Ok(done);
        }
        let header = Header::parse(&job.header)?;
        let started = std::time::Instant::now();
        // The rows are consumed: their text is not kept through the calls and the write.
        let parsed: Vec<Result<SubscriberRecord, (u64, String, Hold)>> = req
            .rows
            .into_iter()
            .map(|raw| {
                parse_row(&header, &raw)
                    .map_err(|hold| (raw.line, header.insured_number_of(&raw).to_owned(), hold))
            })
            .collect();
        let parse_ms = started.elapsed().as_millis();
        let items = self.check_and_pseudonymize(&tenant, parsed).await?;
        let check_ms = started.elapsed().as_millis() - parse_ms;
        let ctx = ChunkContext {
            job_id: job.job_id.clone(),
            insurer_number: job.insurer_number.clone(),
            verified: format!("一致:{CHECKED_ITEMS}@{}", now()),
        };
        let results = self
            .apply_in_order(&tenant.code, req.seq, &ctx, items)
            .await?;
        let registered = results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    renkei_wire::msg::intermediate::RowOutcome::Registered { .. }
                )
            })
            .count();
        self.registered.add(registered as u64);
        self.held.add((results.len() - registered) as u64);
        let store_ms = started.elapsed().as_millis() - parse_ms - check_ms;
        tracing::debug!(tenant = %tenant.code, job = %short(&job.job_id), seq = req.seq, rows = results.len(), registered, parse_ms, check_ms, store_ms, "chunk applied");
        Ok(results)
    }

    /// Applies the chunk once the previous one is applied. The terminal sends a few chunks at
    /// once so that checking overlaps; applying in file order keeps the outcome of a file (which
    /// row of a duplicate is held, whether a 変更 finds its 新規) independent of timing.
    async fn apply_in_order(
        &self,
        tenant: &str,
        seq: u32,
        ctx: &ChunkContext,
        mut items: Vec<Item>,
    ) -> Result<Vec<RowResult>, RegistrationError> {
        let deadline = std::time::Instant::now() + ORDER_WAIT;
        loop {
            match self.store.apply_chunk(tenant, seq, ctx, items).await? {
                Applied::Done(results) => return Ok(results),
                Applied::PreviousPending(back) if std::time::Instant::now() < deadline => {
                    items = back;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Applied::PreviousPending(_) => {
                    return Err(RegistrationError::PreviousChunkMissing(seq))
                }
            }
        }
    }

    /// 本人確認 at J-LIS, then 符号 from the hub for the rows that passed.
    async fn check_and_pseudonymize(
        &self,
        tenant: &Tenant,
        parsed: Vec<Result<SubscriberRecord, (u64, String, Hold)>>,
    ) -> Result<Vec<Item>, RegistrationError> {
        let numbers = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|r| r.my_number.clone())
            .collect::<Vec<_>>();
        let residents = if numbers.is_empty() {
            Vec::new()
        } else {
            self.registry
                .verify(numbers)
                .await
                .map_err(|e| unavailable(e, RegistrationError::RegistryUnavailable))?
        };
        let registry_done = std::time::Instant::now();
        let mut residents = residents.into_iter();
        let mut checked = Vec::with_capacity(parsed.len());
        for p in parsed {
            checked.push(match p {
                Ok(record) => {
                    let resident = residents.next().flatten();
                    match cross_check(&record, resident.as_ref()) {
                        Ok(()) => Ok(record),
                        Err(hold) => Err((record.line, record.insured_number.to_string(), hold)),
                    }
                }
                Err(e) => Err(e),
            });
        }
        let numbers = checked
            .iter()
            .filter_map(|c| c.as_ref().ok())
            .map(|r| r.my_number.clone())
            .collect::<Vec<_>>();
        let fugo = if numbers.is_empty() {
            Vec::new()
        } else {
            self.hub
                .issue_fugo(&tenant.code, numbers)
                .await
                .map_err(|e| unavailable(e, RegistrationError::HubUnavailable))?
        };
        let hub_done = std::time::Instant::now();
        let mut fugo = fugo.into_iter();
        let items = checked
            .into_iter()
            .map(|c| match c {
                Ok(record) => match fugo.next().flatten() {
                    Some(f) => Item::Ready(Box::new(Ready {
                        person_key: self.hasher.hash_number(&record.my_number),
                        number_sealed: self.sealer.seal_number(&record.my_number),
                        fugo: f.0,
                        record,
                    })),
                    None => Item::Held {
                        line: record.line,
                        insured_number: record.insured_number.to_string(),
                        hold: Hold::field(
                            code::UNKNOWN_MY_NUMBER,
                            "個人番号",
                            "機関別符号を取得できませんでした",
                        ),
                    },
                },
                Err((line, insured_number, hold)) => Item::Held {
                    line,
                    insured_number,
                    hold,
                },
            })
            .collect();
        tracing::debug!(
            cross_check_and_hub_ms = (hub_done - registry_done).as_millis(),
            seal_ms = hub_done.elapsed().as_millis(),
            "checked and pseudonymized"
        );
        Ok(items)
    }

    pub async fn finish(
        &self,
        caller: &Identity,
        req: FinishRegistrationRequest,
    ) -> Result<JobStatus, RegistrationError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        let status = self
            .store
            .job_status(&tenant.code, &req.job_id)
            .await?
            .ok_or(RegistrationError::UnknownJob)?;
        if status.chunks_done < req.chunks || status.rows_done != req.rows {
            return Err(RegistrationError::BadRequest(format!(
                "まだ処理されていない行があります（{}行中{}行処理済み）。同じファイルを再送してください",
                req.rows, status.rows_done
            )));
        }
        let status = self
            .store
            .finish_job(&tenant.code, &req.job_id, req.rows)
            .await?
            .ok_or(RegistrationError::UnknownJob)?;
        tracing::info!(tenant = %tenant.code, job = %short(&req.job_id), rows = status.rows_done, registered = status.registered, held = status.held, "registration job finished");
        Ok(status)
    }
}

/// A peer that cannot be reached is unavailable (retryable); one that refuses is a
/// configuration problem that retrying will not fix.
fn unavailable(e: CallError, as_error: RegistrationError) -> RegistrationError {
    tracing::warn!(error = %e, "peer call failed");
    let peer = match as_error {
        RegistrationError::HubUnavailable => "情報提供ネットワークシステム",
        _ => "住基ネット（J-LIS）",
    };
    match e {
        CallError::Api(api) if api.status < 500 => RegistrationError::PeerRefused(peer, api.code),
        CallError::Decode(reason) => RegistrationError::PeerRefused(peer, reason),
        _ => as_error,
    }
}

fn short(job_id: &str) -> &str {
    job_id.get(..12).unwrap_or(job_id)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
