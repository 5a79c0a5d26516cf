//! 副本作成, the service: authorizes the tenant, reads and checks each chunk's rows (format,
//! the tenant's 保険者番号, its subscribers), stages them, and has the store commit the upload
//! as one version or nothing; serves drift pages and the version list.

use std::collections::HashMap;

use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{
    CommitFuhonRequest, CommitFuhonResponse, FuhonChunkRequest, FuhonChunkResponse,
    FuhonDriftRequest, FuhonDriftResponse, FuhonVersionsRequest, FuhonVersionsResponse, RowError,
    StartFuhonRequest, StartFuhonResponse, UploadMode,
};
use renkei_wire::{Identity, Role};

use super::delta::Staged;
use super::drift::compare;
use super::record::{join_fields, parse_row, Layout};
use super::store::{Committed, FuhonStore, Session, SessionState, Started};
use crate::store::Store;

/// Most rows accepted in one chunk.
pub const MAX_CHUNK_ROWS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum FuhonError {
    #[error("{0}")]
    Forbidden(String),
    #[error("保険者番号 {0} は中間サーバに登録されていません")]
    UnknownInsurer(String),
    #[error("副本の登録処理が見つかりません（完了済みか期限切れです）。ファイルの送信を最初からやり直してください")]
    UnknownSession,
    #[error("{0}")]
    BadRequest(String),
    #[error("まだ届いていない行があります（届いたのは {chunks} 回分・{rows} 行）。同じファイルを再送してください")]
    Incomplete { chunks: u32, rows: u64 },
    #[error("保存先でエラーが発生しました")]
    Store(#[from] StoreError),
}

pub struct FuhonService {
    store: FuhonStore,
}

struct Tenant {
    code: String,
    numbers: Vec<String>,
}

impl FuhonService {
    pub fn new(store: &Store) -> FuhonService {
        FuhonService {
            store: FuhonStore::new(store),
        }
    }

    /// The store, for reads (the inquiry engine) and tests.
    pub fn store(&self) -> &FuhonStore {
        &self.store
    }

    /// The tenant holding `insurer_number`, if `caller` is that tenant.
    async fn tenant(&self, caller: &Identity, insurer_number: &str) -> Result<Tenant, FuhonError> {
        if caller.role != Role::Insurer {
            return Err(FuhonError::Forbidden(
                "副本の登録と照合は医療保険者の統合専用端末からのみ行えます".into(),
            ));
        }
        let (code, numbers) = self
            .store
            .tenant_numbers(insurer_number)
            .await?
            .ok_or_else(|| FuhonError::UnknownInsurer(insurer_number.to_owned()))?;
        if code != caller.code {
            return Err(FuhonError::Forbidden(format!(
                "保険者番号 {insurer_number} は貴機関（{}）の保険者番号ではありません",
                caller.code
            )));
        }
        Ok(Tenant { code, numbers })
    }

    async fn open_session(&self, tenant: &Tenant, id: &str) -> Result<Session, FuhonError> {
        self.store
            .session(&tenant.code, id)
            .await?
            .ok_or(FuhonError::UnknownSession)
    }

    pub async fn start(
        &self,
        caller: &Identity,
        req: StartFuhonRequest,
    ) -> Result<StartFuhonResponse, FuhonError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        Layout::new(req.kind, req.mode, &req.header).map_err(FuhonError::BadRequest)?;
        if req.digest.len() != 64 || !req.digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FuhonError::BadRequest(
                "ファイルの要約値（digest）が正しくありません".into(),
            ));
        }
        let as_of = match &req.as_of {
            Some(d) => renkei_core::parse_date(d)
                .map_err(|e| FuhonError::BadRequest(format!("基準日が正しくありません（{e}）")))?,
            None => today_jst(),
        };
        let session = Session {
            id: renkei_core::crypto::Key32::generate().to_hex()[..32].to_owned(),
            kind: req.kind,
            mode: req.mode,
            digest: req.digest,
            insurer_number: req.insurer_number.as_str().to_owned(),
            file_name: req.file_name,
            header: req.header,
            as_of: renkei_core::date::to_iso(as_of),
            state: SessionState::Open,
        };
        let started = self.store.start(&tenant.code, &session).await?;
        tracing::info!(tenant = %tenant.code, kind = session.kind.code(), mode = session.mode.code(), session = %session.id, ?started, "fuhon upload started");
        match started {
            Started::Open => Ok(StartFuhonResponse {
                session: session.id,
                already: None,
            }),
            Started::Already(version) => Ok(StartFuhonResponse {
                session: String::new(),
                already: Some(version),
            }),
            Started::AsOfBeforeLatest(latest) => Err(FuhonError::BadRequest(format!(
                "基準日 {} が現在の版の基準日 {latest} より前です",
                session.as_of
            ))),
        }
    }

    pub async fn chunk(
        &self,
        caller: &Identity,
        req: FuhonChunkRequest,
    ) -> Result<FuhonChunkResponse, FuhonError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        if req.rows.len() > MAX_CHUNK_ROWS {
            return Err(FuhonError::BadRequest(format!(
                "1回に送れるのは {MAX_CHUNK_ROWS} 行までです"
            )));
        }
        let session = self.open_session(&tenant, &req.session).await?;
        if session.state != SessionState::Open {
            return Err(FuhonError::UnknownSession);
        }
        let layout = Layout::new(session.kind, session.mode, &session.header)
            .map_err(FuhonError::BadRequest)?;
        let t0 = std::time::Instant::now();
        let mut errors: Vec<RowError> = Vec::new();
        let mut parsed = Vec::with_capacity(req.rows.len());
        for raw in &req.rows {
            match parse_row(&layout, raw, &tenant.numbers) {
                Ok(row) => parsed.push(row),
                Err(e) => errors.extend(e),
            }
        }
        let branches: HashMap<String, String> = self
            .store
            .branches(
                &tenant.code,
                parsed.iter().map(|r| r.insured.clone()).collect(),
            )
            .await?;
        let t1 = std::time::Instant::now();
        let checking = session.mode == UploadMode::Check;
        let mut staged = Vec::with_capacity(parsed.len());
        for row in parsed {
            let branch = match (branches.get(&row.insured), &row.branch) {
                (None, _) if checking => String::new(),
                (None, _) => {
                    errors.push(RowError {
                        line: row.line,
                        field: "被保険者番号".into(),
                        code: "UNKNOWN_SUBSCRIBER".into(),
                        message: format!(
                            "被保険者番号 {} は貴機関の加入者として中間サーバに登録されていません（先に加入者情報を登録してください）",
                            row.insured
                        ),
                    });
                    continue;
                }
                (Some(actual), Some(given)) if actual != given => {
                    errors.push(RowError {
                        line: row.line,
                        field: "被保険者枝番".into(),
                        code: "BRANCH_MISMATCH".into(),
                        message: format!(
                            "被保険者枝番 {given} は被保険者番号 {} の枝番ではありません",
                            row.insured
                        ),
                    });
                    continue;
                }
                (Some(actual), _) => actual.clone(),
            };
            staged.push(Staged {
                line: row.line,
                op: row.op,
                key: row.key,
                insured: row.insured,
                branch,
                fields: join_fields(&row.fields),
            });
        }
        errors.sort_by_key(|e| e.line);
        let errors = self
            .store
            .stage(&tenant.code, &session.id, req.seq, staged, errors)
            .await?;
        tracing::debug!(tenant = %tenant.code, seq = req.seq, rows = req.rows.len(), check_ms = (t1 - t0).as_millis() as u64, stage_ms = t1.elapsed().as_millis() as u64, "fuhon chunk staged");
        Ok(FuhonChunkResponse { errors })
    }

    pub async fn commit(
        &self,
        caller: &Identity,
        req: CommitFuhonRequest,
    ) -> Result<CommitFuhonResponse, FuhonError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        let session = self.open_session(&tenant, &req.session).await?;
        let started = std::time::Instant::now();
        let outcome = self
            .store
            .commit(&tenant.code, &session, req.chunks, req.rows)
            .await?;
        let ms = started.elapsed().as_millis() as u64;
        match outcome {
            Committed::Version(version) => {
                tracing::info!(tenant = %tenant.code, kind = session.kind.code(), version = version.version, added = version.added, changed = version.changed, deleted = version.deleted, ms, "fuhon version committed");
                Ok(CommitFuhonResponse::Committed { version })
            }
            Committed::Checked(version) => Ok(CommitFuhonResponse::Checked { version }),
            Committed::Refused { errors, total } => {
                tracing::info!(tenant = %tenant.code, kind = session.kind.code(), errors = total, "fuhon upload refused");
                self.store.discard(&tenant.code, &session.id).await?;
                Ok(CommitFuhonResponse::Refused {
                    errors,
                    total_errors: total,
                })
            }
            Committed::Incomplete { chunks, rows } => Err(FuhonError::Incomplete { chunks, rows }),
            Committed::NotOpen => Err(FuhonError::UnknownSession),
        }
    }

    pub async fn drift(
        &self,
        caller: &Identity,
        req: FuhonDriftRequest,
    ) -> Result<FuhonDriftResponse, FuhonError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        let session = self.open_session(&tenant, &req.session).await?;
        if session.mode != UploadMode::Check || session.state != SessionState::Done {
            return Err(FuhonError::BadRequest(
                "照合は正本の抽出ファイルをすべて送り終えてから行えます".into(),
            ));
        }
        let input = self
            .store
            .drift_input(&tenant.code, &session, req.after.as_deref().unwrap_or(""))
            .await?;
        let rows = compare(session.kind, &input.master, &input.fuhon);
        if input.next.is_none() {
            self.store.discard(&tenant.code, &session.id).await?;
        }
        Ok(FuhonDriftResponse {
            version: input.version,
            rows,
            next: input.next,
        })
    }

    pub async fn versions(
        &self,
        caller: &Identity,
        req: FuhonVersionsRequest,
    ) -> Result<FuhonVersionsResponse, FuhonError> {
        let tenant = self.tenant(caller, req.insurer_number.as_str()).await?;
        Ok(FuhonVersionsResponse {
            versions: self.store.versions(&tenant.code, req.kind).await?,
        })
    }
}

/// Today in Japan: the default 基準日.
pub(crate) fn today_jst() -> renkei_core::Date {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(9)).date()
}
