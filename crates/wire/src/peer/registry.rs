//! What other systems use to call the registry: typed calls that split any number of
//! 個人番号 into batches of at most [`MAX_BATCH`] and answer in the asked order.

use std::sync::Arc;

use super::{batched, check_count, Batch};
use crate::msg::registry::{
    IdentityQuery, LookupAnswer, LookupRequest, LookupResidents, ResidentCodeQuery,
    ResidentIdentity, ResolveResidentCodes, SearchAnswer, SearchRequest, SearchResidents,
    VerifyIdentities,
};
use crate::msg::resident_changes::{
    ChangeReport, ChangeResult, ReportResidentChanges, ReportedChange, MAX_CHANGES,
};
use crate::{CallError, Client};
use renkei_core::{MyNumber, ResidentCode};
use rustls::ClientConfig;

use crate::msg::registry::MAX_BATCH;

#[derive(Clone)]
pub struct RegistryClient {
    client: Client,
}

impl RegistryClient {
    /// A client for the registry at `base_url`, presenting the caller's certificate in `tls`.
    pub fn new(tls: Arc<ClientConfig>, base_url: &str) -> RegistryClient {
        RegistryClient {
            client: Client::new(tls, base_url),
        }
    }

    /// Wraps a configured client (e.g. one with a shorter timeout).
    pub fn from_client(client: Client) -> RegistryClient {
        RegistryClient { client }
    }

    /// 本人確認情報 for each number, in order; `None` when J-LIS knows no such number.
    /// Allowed to `intermediate` only.
    pub async fn verify(
        &self,
        numbers: impl Batch<MyNumber>,
    ) -> Result<Vec<Option<ResidentIdentity>>, CallError> {
        batched::<VerifyIdentities, _, _>(
            &self.client,
            numbers.into_items(),
            MAX_BATCH,
            |numbers| IdentityQuery { numbers },
            |answer| answer.residents,
        )
        .await
    }

    /// 住民票コード for each number, in order; `None` when unknown. Allowed to `hub` only.
    pub async fn resident_codes(
        &self,
        numbers: impl Batch<MyNumber>,
    ) -> Result<Vec<Option<ResidentCode>>, CallError> {
        batched::<ResolveResidentCodes, _, _>(
            &self.client,
            numbers.into_items(),
            MAX_BATCH,
            |numbers| ResidentCodeQuery { numbers },
            |answer| answer.codes,
        )
        .await
    }
}

impl RegistryClient {
    /// 個人番号 → current 基本4情報 (at most 1,000 numbers).
    pub async fn lookup(&self, request: &LookupRequest) -> Result<LookupAnswer, CallError> {
        let answer = self.client.call::<LookupResidents>(request).await?;
        check_count(request.numbers.len(), answer.residents.len())?;
        Ok(answer)
    }

    /// 基本4情報 → ranked candidates, one list per query.
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchAnswer, CallError> {
        let answer = self.client.call::<SearchResidents>(request).await?;
        check_count(request.queries.len(), answer.results.len())?;
        Ok(answer)
    }
}

impl RegistryClient {
    /// A municipality's 転居・氏名変更・消除, sent in batches of at most [`MAX_CHANGES`]; one
    /// result per change, in order. Re-sending the same changes (same 変更ID) is harmless.
    pub async fn report_changes(
        &self,
        changes: impl Batch<ReportedChange>,
    ) -> Result<Vec<ChangeResult>, CallError> {
        batched::<ReportResidentChanges, _, _>(
            &self.client,
            changes.into_items(),
            MAX_CHANGES,
            |changes| ChangeReport { changes },
            |answer| answer.results,
        )
        .await
    }
}
