//! One typed client per peer: what a system uses to call another. Each method sends one
//! kind of message ([`crate::msg`]), splits large batches where the peer has a limit, and
//! checks that the answer has one entry per item asked — a short or long answer is an error
//! ([`CallError::Decode`]), never a silent gap that a caller could mistake for "not found".

mod agency;
mod fuhon;
mod hub;
mod intermediate;
mod registry;

pub use agency::{AgencyClient, ProviderClient};
pub use fuhon::FuhonClient;
pub use hub::HubClient;
pub use intermediate::IntermediateClient;
pub use registry::RegistryClient;

use crate::{CallError, Client, Endpoint};

/// Sends `items` in requests of at most `max`, each made by `request` from its slice; each
/// answer's entries (taken by `entries`) must be one per item, and come back in order.
async fn batched<E: Endpoint, I: Clone, T>(
    client: &Client,
    items: &[I],
    max: usize,
    request: impl Fn(Vec<I>) -> E::Request,
    entries: impl Fn(E::Response) -> Vec<T>,
) -> Result<Vec<T>, CallError> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(max) {
        let answer = client.call::<E>(&request(chunk.to_vec())).await?;
        out.extend(same_length(chunk.len(), entries(answer))?);
    }
    Ok(out)
}

/// An answer must have one entry per item asked, or the order cannot be trusted.
fn same_length<T>(asked: usize, answers: Vec<T>) -> Result<Vec<T>, CallError> {
    check_count(asked, answers.len())?;
    Ok(answers)
}

fn check_count(asked: usize, answered: usize) -> Result<(), CallError> {
    if answered == asked {
        Ok(())
    } else {
        Err(CallError::Decode(format!(
            "応答の件数が一致しません（{asked}件の照会に{answered}件）"
        )))
    }
}
