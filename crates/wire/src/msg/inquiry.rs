//! 情報照会 (workflow 2): the inquiry an asker sends to `hub` ([`Inquire`]) and the inquiry
//! the hub forwards to the provider ([`Provide`]), served by every information holder
//! (`agency`, and `intermediate` for its insurer tenants).
//!
//! The asker names the person by its own 機関別符号; the hub converts it to the provider's
//! 符号, so neither side sees the other's, and nobody sees a 個人番号. The asker signs the
//! request and the provider signs the answer ([`crate::signing`]); the hub keeps both
//! signatures with the 情報提供等記録 entry. The signed bytes are [`request_message`] and
//! [`answer_message`]: each signs the 符号 (and answer data) only through a SHA-256 digest, so
//! the hub's log can keep the digest — not the 符号 or the data — and still be verified.

use std::collections::BTreeMap;

use renkei_core::{AgencyCode, InfoCode, InsurerNumber, TaskCode};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::msg::hub::Fugo;
use crate::permission::InstitutionKind;
use crate::signing::{message, sha256, SenderSignature};

/// An inquiry to the hub, by the asker (an agency for itself; `intermediate` for an insurer
/// tenant).
pub struct Inquire;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InquireRequest {
    /// The asker's id of this inquiry (1–64 characters): re-sending the same id returns the
    /// recorded outcome and is recorded nothing more.
    pub request_id: String,
    /// Institution code of the asker, e.g. `koiki-13` or `city-131016`.
    pub asker: AgencyCode,
    /// The person, by the asker's own 機関別符号.
    pub fugo: Fugo,
    /// 事務コード and 特定個人情報コード (the permission table's codes).
    pub task: TaskCode,
    pub info: InfoCode,
    /// Institution code of the provider.
    pub provider: AgencyCode,
    /// The sender's signature over [`InquireRequest::signed_message`].
    pub signature: SenderSignature,
}

impl InquireRequest {
    pub fn signed_message(&self) -> Vec<u8> {
        request_message(
            &self.request_id,
            self.asker.as_str(),
            self.provider.as_str(),
            self.task.as_str(),
            self.info.as_str(),
            &sha256(self.fugo.0.as_bytes()),
        )
    }
}

/// What the asker signs; `fugo_digest` is SHA-256 of the asker's 符号.
pub fn request_message(
    request_id: &str,
    asker: &str,
    provider: &str,
    task: &str,
    info: &str,
    fugo_digest: &[u8; 32],
) -> Vec<u8> {
    message(
        "renkei/inquiry/request/v1",
        &[
            request_id.as_bytes(),
            asker.as_bytes(),
            provider.as_bytes(),
            task.as_bytes(),
            info.as_bytes(),
            fugo_digest,
        ],
    )
}

/// The answer to an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InquiryAnswer {
    /// The provider's information, item name → value.
    Data { items: BTreeMap<String, String> },
    /// The provider holds nothing on this person for this information.
    NoRecord,
    /// The permission table does not allow this inquiry: the rule (stable code) and why.
    Refused { code: String, message: String },
    /// The provider did not answer within the deadline; the asker may re-send the same
    /// request id later.
    Unavailable { message: String },
}

impl InquiryAnswer {
    pub fn kind(&self) -> &'static str {
        match self {
            InquiryAnswer::Data { .. } => "data",
            InquiryAnswer::NoRecord => "no_record",
            InquiryAnswer::Refused { .. } => "refused",
            InquiryAnswer::Unavailable { .. } => "unavailable",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InquireResponse {
    pub request_id: String,
    pub answer: InquiryAnswer,
    /// Sequence number of the 情報提供等記録 entry of this exchange.
    pub record: u64,
    /// True when the request id was already answered and this is the recorded outcome.
    pub replayed: bool,
}

impl Endpoint for Inquire {
    const PATH: &'static str = "/v1/inquiry";
    type Request = InquireRequest;
    type Response = InquireResponse;
}

/// An inquiry forwarded by the hub to the provider, naming the person by the provider's 符号.
/// Only the hub may call it.
pub struct Provide;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvideRequest {
    pub request_id: String,
    /// Institution code and kind (`koiki`, `municipality`, `insurer`) of the asker.
    pub asker: AgencyCode,
    pub asker_kind: InstitutionKind,
    /// The provider the hub addresses (an `intermediate` serves many insurers).
    pub provider: AgencyCode,
    /// The person, by the provider's own 機関別符号.
    pub fugo: Fugo,
    pub task: TaskCode,
    pub info: InfoCode,
}

/// What a provider answers: data or no record (refusals and outages are the hub's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provided {
    Data { items: BTreeMap<String, String> },
    NoRecord,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvideResponse {
    pub answer: Provided,
    /// The provider's signature over [`answer_message`].
    pub signature: SenderSignature,
}

impl Endpoint for Provide {
    const PATH: &'static str = "/v1/provide";
    type Request = ProvideRequest;
    type Response = ProvideResponse;
}

/// The digest an answer signs in place of the provider's 符号 and data.
pub fn answer_digest(fugo: &Fugo, answer: &Provided) -> [u8; 32] {
    let data = match answer {
        Provided::Data { items } => serde_json::to_vec(items).expect("a map of strings"),
        Provided::NoRecord => Vec::new(),
    };
    sha256(&message(
        "renkei/inquiry/answer-content/v1",
        &[fugo.0.as_bytes(), &data],
    ))
}

/// What the provider signs: the exchange, the kind of answer (0 data, 1 no record) and
/// [`answer_digest`].
pub fn answer_message(request: &ProvideRequest, answer: &Provided) -> Vec<u8> {
    let kind = match answer {
        Provided::Data { .. } => 0u8,
        Provided::NoRecord => 1u8,
    };
    answer_message_parts(
        &request.request_id,
        request.asker.as_str(),
        request.provider.as_str(),
        request.task.as_str(),
        request.info.as_str(),
        kind,
        &answer_digest(&request.fugo, answer),
    )
}

/// [`answer_message`] from its parts (as an auditor has them from the log).
pub fn answer_message_parts(
    request_id: &str,
    asker: &str,
    provider: &str,
    task: &str,
    info: &str,
    kind: u8,
    digest: &[u8; 32],
) -> Vec<u8> {
    message(
        "renkei/inquiry/answer/v1",
        &[
            request_id.as_bytes(),
            asker.as_bytes(),
            provider.as_bytes(),
            task.as_bytes(),
            info.as_bytes(),
            &[kind],
            digest,
        ],
    )
}

/// An insurer's inquiry about one of its subscribers, by 枝番, served by `intermediate`
/// (which turns the 枝番 into the insurer's 符号 and asks the hub, or — between insurers it
/// hosts — answers inside by 枝番 alone).
pub struct InsurerInquire;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InsurerInquireRequest {
    /// The staff's id of this inquiry: re-sending it returns the recorded outcome.
    pub request_id: String,
    /// One of the insurer's 保険者番号 (names the tenant).
    pub insurer_number: InsurerNumber,
    /// 被保険者枝番 of the subscriber.
    pub branch: String,
    pub task: TaskCode,
    pub info: InfoCode,
    /// Institution code of the provider, e.g. `city-131121`.
    pub provider: AgencyCode,
}

impl Endpoint for InsurerInquire {
    const PATH: &'static str = "/v1/insurer/inquiry";
    type Request = InsurerInquireRequest;
    type Response = InquireResponse;
}

/// An exchange between two insurer tenants of `intermediate`, resolved inside it by 枝番
/// (person index across tenants): before releasing the answer, `intermediate` has the hub
/// authorize it against the permission table and record it in the same 情報提供等記録. The
/// hub sees the asker's 符号 (to key the record to the person), the kind of answer and its
/// digest — never a 枝番 or the data. Only `intermediate` may call it.
pub struct RecordInternal;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordInternalRequest {
    /// The inquiry as the asker's side signed it (signature by `intermediate`).
    pub inquiry: InquireRequest,
    /// 0 data, 1 no record: what the provider tenant holds.
    pub answer_kind: u8,
    /// [`answer_digest`] over the provider tenant's 符号 and the answer.
    #[serde(with = "hex_digest")]
    pub answer_digest: [u8; 32],
    /// `intermediate`'s signature, for the provider tenant, over [`answer_message_parts`].
    pub answer_signature: SenderSignature,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordInternalResponse {
    /// `None` when permitted and recorded; the refusal (code, message) otherwise.
    pub refused: Option<(String, String)>,
    /// The recorded outcome when this request id was answered before (`data`, `no_record`,
    /// `refused`), so that a re-send gets the same kind of answer.
    pub recorded_kind: String,
    pub record: u64,
    pub replayed: bool,
}

impl Endpoint for RecordInternal {
    const PATH: &'static str = "/v1/inquiry/internal";
    type Request = RecordInternalRequest;
    type Response = RecordInternalResponse;
}

mod hex_digest {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes =
            hex::decode(text).map_err(|_| serde::de::Error::custom("16進数ではありません"))?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("32バイトではありません"))
    }
}
