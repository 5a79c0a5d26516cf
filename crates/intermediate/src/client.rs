//! What an insurer's terminal uses to call the intermediate server.

use renkei_wire::msg::intermediate::{
    FinishRegistration, FinishRegistrationRequest, JobStatus, RegisterChunk, RegisterChunkRequest,
    RowResult, StartRegistration, StartRegistrationRequest,
};
use renkei_wire::tls::{TlsError, TlsFiles};
use renkei_wire::{CallError, Client, Encoded};

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
}
