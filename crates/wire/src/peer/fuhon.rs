//! What an insurer's terminal uses to call 副本作成.

use crate::msg::fuhon::{
    CommitFuhon, CommitFuhonRequest, CommitFuhonResponse, FuhonChunk, FuhonChunkRequest,
    FuhonChunkResponse, FuhonDrift, FuhonDriftRequest, FuhonDriftResponse, FuhonVersions,
    FuhonVersionsRequest, FuhonVersionsResponse, StartFuhonRequest, StartFuhonResponse,
    StartFuhonUpload,
};
use crate::{CallError, Client};

#[derive(Clone)]
pub struct FuhonClient {
    client: Client,
}

impl FuhonClient {
    /// A commit of a large file takes a while: the client waits up to 10 minutes for one.
    pub fn new(client: Client) -> FuhonClient {
        FuhonClient {
            client: client.with_timeout(std::time::Duration::from_secs(600)),
        }
    }

    pub async fn start(&self, req: &StartFuhonRequest) -> Result<StartFuhonResponse, CallError> {
        self.client.call::<StartFuhonUpload>(req).await
    }

    pub async fn chunk(&self, req: &FuhonChunkRequest) -> Result<FuhonChunkResponse, CallError> {
        self.client.call::<FuhonChunk>(req).await
    }

    pub async fn commit(&self, req: &CommitFuhonRequest) -> Result<CommitFuhonResponse, CallError> {
        self.client.call::<CommitFuhon>(req).await
    }

    pub async fn drift(&self, req: &FuhonDriftRequest) -> Result<FuhonDriftResponse, CallError> {
        self.client.call::<FuhonDrift>(req).await
    }

    pub async fn versions(
        &self,
        req: &FuhonVersionsRequest,
    ) -> Result<FuhonVersionsResponse, CallError> {
        self.client.call::<FuhonVersions>(req).await
    }
}
