//! Issuing 機関別符号 for a batch: known links are answered from the store; for the rest the
//! hub asks J-LIS for the 住民票コード, derives person key and 符号, and records the links.
//!
//! Nothing here needs a transaction across steps: 符号 are derived deterministically and links
//! are inserted idempotently, so a crash or a J-LIS outage half-way leaves nothing that a
//! resend would not produce the same way.

use std::sync::Arc;
use std::time::Instant;

use renkei_core::MyNumber;
use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::hub::Fugo;
use renkei_wire::peer::RegistryClient;
use renkei_wire::CallError;

use crate::domain::{AgencyCode, Derivation};
use crate::store::{NewLink, Store};

/// Why a batch could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// J-LIS could not be reached or was overloaded; resending later will work.
    #[error("住基ネットに接続できません: {0}")]
    RegistryUnavailable(CallError),
    /// J-LIS answered with an error that resending will not cure (e.g. the hub's certificate).
    #[error("住基ネットが照会を受け付けません: {0}")]
    RegistryRefused(CallError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Counters of 符号 answered, by how they were found.
#[derive(Clone)]
struct Issued {
    existing: Counter,
    new: Counter,
    unknown: Counter,
}

/// The issuing flow, shared by the handlers.
#[derive(Clone)]
pub struct Issuer {
    store: Store,
    registry: RegistryClient,
    derivation: Arc<Derivation>,
    issued: Issued,
}

impl Issuer {
    pub fn new(
        store: Store,
        registry: RegistryClient,
        derivation: Arc<Derivation>,
        metrics: &Metrics,
    ) -> Issuer {
        let help = "機関別符号 answered by the hub, by how they were found.";
        let counter =
            |result| metrics.counter("renkei_hub_fugo_total", &[("result", result)], help);
        let issued = Issued {
            existing: counter("existing"),
            new: counter("issued"),
            unknown: counter("unknown"),
        };
        Issuer {
            store,
            registry,
            derivation,
            issued,
        }
    }

    /// The 符号 of each number for `agency`, in order; `None` where J-LIS knows no such number.
    pub async fn issue(
        &self,
        agency: &AgencyCode,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<Fugo>>, IssueError> {
        let started = Instant::now();
        let keys: Vec<[u8; 32]> = numbers
            .iter()
            .map(|n| self.derivation.number_key(n))
            .collect();
        let mut answers = self.store.find_links(agency, &keys).await?;
        let missing: Vec<usize> = (0..answers.len())
            .filter(|&i| answers[i].is_none())
            .collect();
        self.issued
            .existing
            .add((numbers.len() - missing.len()) as u64);
        if missing.is_empty() {
            return Ok(answers);
        }

        let asked: Vec<MyNumber> = missing.iter().map(|&i| numbers[i].clone()).collect();
        let codes = self.registry.resident_codes(asked).await.map_err(|e| {
            if e.is_retryable() {
                IssueError::RegistryUnavailable(e)
            } else {
                IssueError::RegistryRefused(e)
            }
        })?;
        let mut links = Vec::with_capacity(missing.len());
        for (&i, code) in missing.iter().zip(codes) {
            let Some(code) = code else { continue };
            let person_key = self.derivation.person_key(&code);
            let fugo = self.derivation.fugo(&person_key, agency);
            links.push(NewLink {
                number_key: keys[i],
                person_key,
                fugo: fugo.clone(),
            });
            answers[i] = Some(fugo);
        }
        let resolved = links.len() as u64;
        let inserted = self.store.insert_links(agency, links).await?;
        self.issued.new.add(resolved);
        self.issued.unknown.add(missing.len() as u64 - resolved);
        tracing::info!(
            agency = agency.as_str(),
            batch = numbers.len(),
            existing = numbers.len() - missing.len(),
            resolved,
            inserted,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "機関別符号 issued"
        );
        Ok(answers)
    }
}
