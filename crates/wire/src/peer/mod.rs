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

/// What a batch call takes: a vector is moved into the requests as it is; a borrowed slice
/// is copied (for callers that keep their items).
pub trait Batch<I> {
    fn into_items(self) -> Vec<I>;
}

impl<I> Batch<I> for Vec<I> {
    fn into_items(self) -> Vec<I> {
        self
    }
}

impl<I: Clone> Batch<I> for &Vec<I> {
    fn into_items(self) -> Vec<I> {
        self.clone()
    }
}

impl<I: Clone> Batch<I> for &[I] {
    fn into_items(self) -> Vec<I> {
        self.to_vec()
    }
}

impl<I: Clone, const N: usize> Batch<I> for &[I; N] {
    fn into_items(self) -> Vec<I> {
        self.to_vec()
    }
}

/// Sends `items` in requests of at most `max`, each made by `request` from its part; each
/// answer's entries (taken by `entries`) must be one per item, and come back in order. The
/// items are moved into the requests, not copied: a registration chunk's 個人番号 go out as
/// they are.
async fn batched<E: Endpoint, I, T>(
    client: &Client,
    items: Vec<I>,
    max: usize,
    request: impl Fn(Vec<I>) -> E::Request,
    entries: impl Fn(E::Response) -> Vec<T>,
) -> Result<Vec<T>, CallError> {
    let mut out = Vec::with_capacity(items.len());
    let mut rest = items;
    while !rest.is_empty() {
        let tail = if rest.len() > max {
            rest.split_off(max)
        } else {
            Vec::new()
        };
        let part = std::mem::replace(&mut rest, tail);
        let asked = part.len();
        let answer = client.call::<E>(&request(part)).await?;
        out.extend(same_length(asked, entries(answer))?);
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
