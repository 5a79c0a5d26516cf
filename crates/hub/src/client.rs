//! What other systems use to call the hub: typed calls that split any number of 個人番号
//! into batches of at most [`MAX_BATCH`] and answer in the asked order.

use std::sync::Arc;

use renkei_core::MyNumber;
use renkei_wire::msg::hub::{Fugo, IssueFugo, IssueFugoRequest};
use renkei_wire::{CallError, Client};
use rustls::ClientConfig;

use crate::domain::MAX_BATCH;

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
        agency: &str,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<Fugo>>, CallError> {
        let mut out = Vec::with_capacity(numbers.len());
        for chunk in numbers.chunks(MAX_BATCH) {
            let request = IssueFugoRequest {
                agency: agency.to_owned(),
                numbers: chunk.to_vec(),
            };
            let answer = self.client.call::<IssueFugo>(&request).await?;
            if answer.fugo.len() != chunk.len() {
                return Err(CallError::Decode(format!(
                    "応答の件数が一致しません（{}件の照会に{}件）",
                    chunk.len(),
                    answer.fugo.len()
                )));
            }
            out.extend(answer.fugo);
        }
        Ok(out)
    }
}
