//! What other systems use to call the hub: typed calls that split any number of 個人番号
//! into batches of at most [`MAX_BATCH`] and answer in the asked order.

use std::sync::Arc;

use super::{batched, Batch};
use crate::msg::hub::{Fugo, IssueFugo, IssueFugoRequest};
use crate::msg::inquiry::{
    Inquire, InquireRequest, InquireResponse, RecordInternal, RecordInternalRequest,
    RecordInternalResponse,
};
use crate::{CallError, Client};
use renkei_core::{AgencyCode, MyNumber};
use rustls::ClientConfig;

use crate::msg::hub::MAX_BATCH;

#[derive(Clone)]
pub struct HubClient {
    client: Client,
}

impl HubClient {
    /// A client for the hub at `base_url`, presenting the caller's certificate in `tls`.
    pub fn new(tls: Arc<ClientConfig>, base_url: &str) -> HubClient {
        HubClient {
            client: Client::new(tls, base_url),
        }
    }

    /// Wraps a configured client (e.g. one with a shorter timeout).
    pub fn from_client(client: Client) -> HubClient {
        HubClient { client }
    }

    /// The 機関別符号 of each number for `agency`, in order; `None` when J-LIS knows no such
    /// number. Issuing is idempotent: asking again gives the same 符号.
    pub async fn issue_fugo(
        &self,
        agency: &AgencyCode,
        numbers: impl Batch<MyNumber>,
    ) -> Result<Vec<Option<Fugo>>, CallError> {
        batched::<IssueFugo, _, _>(
            &self.client,
            numbers.into_items(),
            MAX_BATCH,
            |numbers| IssueFugoRequest {
                agency: agency.clone(),
                numbers,
            },
            |answer| answer.fugo,
        )
        .await
    }

    /// An inquiry, signed by the asker, for the hub to authorize, convert and forward.
    pub async fn inquire(&self, req: &InquireRequest) -> Result<InquireResponse, CallError> {
        self.client.call::<Inquire>(req).await
    }

    /// An exchange between two insurer tenants of `intermediate`: authorized and recorded by
    /// the hub, answered inside `intermediate`.
    pub async fn record_internal(
        &self,
        req: &RecordInternalRequest,
    ) -> Result<RecordInternalResponse, CallError> {
        self.client.call::<RecordInternal>(req).await
    }
}
