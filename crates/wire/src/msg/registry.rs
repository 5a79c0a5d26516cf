//! Served by `registry` (J-LIS / 住基ネット).

use renkei_core::{Date, MyNumber, ResidentCode, Sex};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// 本人確認情報: the resident's 基本4情報 as J-LIS holds them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentIdentity {
    /// 氏名 (kanji).
    pub name: String,
    /// 氏名カナ.
    pub kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub address: String,
    /// Set when the resident's record was 消除 (死亡・転出).
    pub removed_on: Option<Date>,
}

/// 個人番号 → 本人確認情報, in batches (for `intermediate`'s cross-check at registration).
pub struct VerifyIdentities;

#[derive(Serialize, Deserialize)]
pub struct IdentityQuery {
    pub numbers: Vec<MyNumber>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IdentityAnswer {
    /// One entry per queried number, in order; `None` when J-LIS knows no such number.
    pub residents: Vec<Option<ResidentIdentity>>,
}

impl Endpoint for VerifyIdentities {
    const PATH: &'static str = "/v1/residents/identity";
    type Request = IdentityQuery;
    type Response = IdentityAnswer;
}

/// 個人番号 → 住民票コード, in batches (for `hub` only, to issue 機関別符号).
pub struct ResolveResidentCodes;

#[derive(Serialize, Deserialize)]
pub struct ResidentCodeQuery {
    pub numbers: Vec<MyNumber>,
}

#[derive(Serialize, Deserialize)]
pub struct ResidentCodeAnswer {
    /// One entry per queried number, in order; `None` when unknown.
    pub codes: Vec<Option<ResidentCode>>,
}

impl Endpoint for ResolveResidentCodes {
    const PATH: &'static str = "/v1/residents/codes";
    type Request = ResidentCodeQuery;
    type Response = ResidentCodeAnswer;
}
