//! Calls served by an agency: its staff's inquiries ([`AgencyClient`]) and, for every
//! provider (an agency, or `intermediate` for its insurer tenants), the hub's forwarded
//! inquiries ([`ProviderClient`]).

use crate::msg::agency::{AgencyInquire, AgencyInquireRequest};
use crate::msg::inquiry::{InquireResponse, Provide, ProvideRequest, ProvideResponse};
use crate::{CallError, Client};

/// What an agency's own staff (the `renkei agency` command) use to ask through their agency.
#[derive(Clone)]
pub struct AgencyClient {
    client: Client,
}

impl AgencyClient {
    pub fn from_client(client: Client) -> AgencyClient {
        AgencyClient { client }
    }

    /// An inquiry about one of the agency's residents, by 宛名番号.
    pub async fn inquire(&self, req: &AgencyInquireRequest) -> Result<InquireResponse, CallError> {
        self.client.call::<AgencyInquire>(req).await
    }
}

/// What the hub uses to forward an inquiry to the provider that holds the information.
#[derive(Clone)]
pub struct ProviderClient {
    client: Client,
}

impl ProviderClient {
    pub fn from_client(client: Client) -> ProviderClient {
        ProviderClient { client }
    }

    pub async fn provide(&self, req: &ProvideRequest) -> Result<ProvideResponse, CallError> {
        self.client.call::<Provide>(req).await
    }
}
