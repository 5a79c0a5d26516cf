//! Served by `agency` (市町村 and other information holders) for its own staff: an inquiry
//! about one of its residents, named by its own 宛名番号, to an insurer through the hub. The
//! hub's forwarded inquiries arrive at [`crate::msg::inquiry::Provide`].

use renkei_core::{AgencyCode, InfoCode, TaskCode};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
pub use crate::msg::inquiry::{InquireResponse, InquiryAnswer};

pub struct AgencyInquire;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyInquireRequest {
    /// The staff's id of this inquiry: re-sending it returns the recorded outcome.
    pub request_id: String,
    /// 宛名番号: the agency's own number of the resident.
    pub atena: String,
    /// 事務コード, 特定個人情報コード and the provider's institution code.
    pub task: TaskCode,
    pub info: InfoCode,
    pub provider: AgencyCode,
}

impl Endpoint for AgencyInquire {
    const PATH: &'static str = "/v1/agency/inquiry";
    type Request = AgencyInquireRequest;
    type Response = InquireResponse;
}
