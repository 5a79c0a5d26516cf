//! What an insurer's terminal uses to call the intermediate server.

use super::check_count;
use crate::msg::inquiry::{InquireResponse, InsurerInquire, InsurerInquireRequest};
use crate::msg::intermediate::{
    FinishRegistration, FinishRegistrationRequest, JobStatus, RegisterChunk, RegisterChunkRequest,
    RowResult, StartRegistration, StartRegistrationRequest,
};
use crate::msg::registry::{
    LookupAnswer, LookupRequest, RelayLookup, RelaySearch, SearchAnswer, SearchRequest,
};
use crate::tls::{TlsError, TlsFiles};
use crate::{CallError, Client, Encoded};

#[derive(Clone)]
pub struct IntermediateClient {
    client: Client,
}

impl IntermediateClient {
    /// A client speaking as the institution whose certificate `tls` names.
    pub fn new(tls: &TlsFiles, base_url: &str) -> Result<IntermediateClient, TlsError> {
        Ok(IntermediateClient {
            client: Client::new(tls.client_config()?, base_url),
        })
    }

    pub fn from_client(client: Client) -> IntermediateClient {
        IntermediateClient { client }
    }

    pub async fn start_registration(
        &self,
        req: &StartRegistrationRequest,
    ) -> Result<JobStatus, CallError> {
        self.client.call::<StartRegistration>(req).await
    }

    /// A chunk encoded once (see [`IntermediateClient::register_encoded_chunk`]).
    pub fn encode_chunk(req: &RegisterChunkRequest) -> Result<Encoded<RegisterChunk>, CallError> {
        Encoded::new(req)
    }

    /// Sends a chunk encoded by [`IntermediateClient::encode_chunk`]: a caller that retries
    /// keeps the body, not the rows.
    pub async fn register_encoded_chunk(
        &self,
        req: &Encoded<RegisterChunk>,
    ) -> Result<Vec<RowResult>, CallError> {
        Ok(self.client.call_encoded(req).await?.results)
    }

    pub async fn finish_registration(
        &self,
        req: &FinishRegistrationRequest,
    ) -> Result<JobStatus, CallError> {
        self.client.call::<FinishRegistration>(req).await
    }

    /// An inquiry about one of the insurer's subscribers, by 被保険者枝番.
    pub async fn inquire(&self, req: &InsurerInquireRequest) -> Result<InquireResponse, CallError> {
        self.client.call::<InsurerInquire>(req).await
    }

    /// 個人番号 → current 基本4情報 at J-LIS, relayed for the insurer.
    pub async fn lookup(&self, req: &LookupRequest) -> Result<LookupAnswer, CallError> {
        let answer = self.client.call::<RelayLookup>(req).await?;
        check_count(req.numbers.len(), answer.residents.len())?;
        Ok(answer)
    }

    /// 基本4情報 → ranked candidates at J-LIS, relayed for the insurer.
    pub async fn search(&self, req: &SearchRequest) -> Result<SearchAnswer, CallError> {
        let answer = self.client.call::<RelaySearch>(req).await?;
        check_count(req.queries.len(), answer.results.len())?;
        Ok(answer)
    }
}
