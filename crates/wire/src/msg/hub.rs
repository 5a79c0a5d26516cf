//! Served by `hub` (情報提供ネットワークシステム).

use std::fmt;

use renkei_core::{AgencyCode, MyNumber};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// The most 個人番号 one request may carry: as many as the intermediate's largest
/// registration chunk, so that a chunk is one call (and at the hub one transaction).
pub const MAX_BATCH: usize = 50_000;

/// 機関別符号: an opaque per-(person, agency) pseudonym. Only `hub` can link two agencies'
/// 符号 for one person.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fugo(pub String);

impl fmt::Debug for Fugo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fugo({}…)", self.0.get(..4).unwrap_or(""))
    }
}

/// Issue (or re-issue: the same person and agency always get the same 符号) 機関別符号 for a
/// batch of 個人番号. `intermediate` asks on behalf of an insurer tenant; an agency asks for
/// itself.
pub struct IssueFugo;

#[derive(Serialize, Deserialize)]
pub struct IssueFugoRequest {
    /// Institution code of the agency the 符号 are for (e.g. `koiki-13`).
    pub agency: AgencyCode,
    pub numbers: Vec<MyNumber>,
}

#[derive(Serialize, Deserialize)]
pub struct IssueFugoResponse {
    /// One entry per number, in order; `None` when J-LIS knows no such number.
    pub fugo: Vec<Option<Fugo>>,
}

impl Endpoint for IssueFugo {
    const PATH: &'static str = "/v1/fugo/issue";
    type Request = IssueFugoRequest;
    type Response = IssueFugoResponse;
}
