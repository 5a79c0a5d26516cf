//! Served by `registry` (J-LIS / 住基ネット).

use renkei_core::{AgencyCode, Date, InsurerNumber, MyNumber, ResidentCode, Sex};
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// The most 個人番号 one request may carry: as many as the intermediate's largest
/// registration chunk, so that a chunk is one call (and at the hub one transaction).
pub const MAX_BATCH: usize = 50_000;

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

// ---- 個人番号入手: look-ups by 個人番号 and by 基本4情報 (workflow 4) ----
//
// The same request types travel two hops: the 統合専用端末 sends them to `intermediate`
// ([`RelayLookup`], [`RelaySearch`]) naming its 保険者番号; `intermediate` checks the tenant and
// forwards them to `registry` ([`LookupResidents`], [`SearchResidents`]) with `on_behalf_of`
// set to the tenant's institution code, so that the registry's log names the insurer.

/// The 利用目的 (purpose codes) a look-up may be made for: (code, description). Any other code
/// is refused by the registry. Documented in `docs/formats.md`.
pub const PURPOSES: &[(&str, &str)] = &[
    (
        "subscriber",
        "加入者情報の作成・確認（個人番号の確認を含む）",
    ),
    ("eligibility", "資格の取得・喪失の確認"),
    ("benefit", "保険給付の支給（高額療養費・葬祭費等）"),
    ("premium", "保険料の賦課・徴収"),
    ("application", "被保険者からの届出・申請の本人確認"),
];

/// The purpose the terminal uses when none is given.
pub const DEFAULT_PURPOSE: &str = "subscriber";

/// Why a 消除 happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// 死亡.
    Death,
    /// 転出 (国外転出).
    Emigration,
}

impl RemovalReason {
    /// The reason in Japanese (死亡, 転出).
    pub fn label(self) -> &'static str {
        match self {
            RemovalReason::Death => "死亡",
            RemovalReason::Emigration => "転出",
        }
    }
}

/// A resident's 消除: when, and why if recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub on: Date,
    pub reason: Option<RemovalReason>,
}

/// A resident's current 基本4情報 (after every 転居 and 氏名変更), and the 消除 if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentResident {
    pub name: String,
    pub kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub address: String,
    pub removal: Option<Removal>,
}

/// 個人番号 → current 基本4情報, in batches. Request and answer are the same on both hops.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupRequest {
    /// 利用目的 code (see `docs/formats.md`, e.g. `subscriber`).
    pub purpose: String,
    /// The 保険者番号 the look-up is made for (terminal → intermediate; kept on the next hop).
    pub insurer_number: Option<InsurerNumber>,
    /// Set by `intermediate` only: the institution code of the insurer it relays for.
    pub on_behalf_of: Option<AgencyCode>,
    pub numbers: Vec<MyNumber>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupAnswer {
    /// One entry per number, in order; `None` when J-LIS knows no such number.
    pub residents: Vec<Option<CurrentResident>>,
}

/// A search by 基本4情報: 生年月日 and 氏名 or カナ氏名 are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basic4Query {
    pub name: Option<String>,
    pub kana: Option<String>,
    pub birth: Option<Date>,
    pub sex: Option<Sex>,
    pub address: Option<String>,
}

/// How one item of a candidate compared with the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemMatch {
    /// Identical as written.
    Exact,
    /// Equal after normalization (width, kana, 異体字, address forms).
    Normalized,
    /// Close, with a similarity in per mille.
    Partial(u16),
    /// Different.
    None,
    /// Not compared (the query did not give it).
    NotGiven,
}

impl ItemMatch {
    /// 一致 / 正規化後一致 / 部分一致(NN%) / 不一致 / 指定なし.
    pub fn label(self) -> String {
        match self {
            ItemMatch::Exact => "一致".into(),
            ItemMatch::Normalized => "正規化後一致".into(),
            ItemMatch::Partial(p) => format!("部分一致({}%)", p / 10),
            ItemMatch::None => "不一致".into(),
            ItemMatch::NotGiven => "指定なし".into(),
        }
    }
}

/// Per item of 基本4情報 (and カナ), how a candidate compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMatches {
    pub name: ItemMatch,
    pub kana: ItemMatch,
    pub birth: ItemMatch,
    pub sex: ItemMatch,
    pub address: ItemMatch,
}

/// One candidate of a search, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub my_number: MyNumber,
    /// 0 to 1000 (see `docs/matching.md`).
    pub score: u32,
    pub items: ItemMatches,
    pub resident: CurrentResident,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchRequest {
    pub purpose: String,
    pub insurer_number: Option<InsurerNumber>,
    pub on_behalf_of: Option<AgencyCode>,
    /// Most candidates per query (default 10, at most 100).
    pub limit: Option<u32>,
    pub queries: Vec<Basic4Query>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchAnswer {
    /// One list per query, in order, best candidate first (empty: nobody found).
    pub results: Vec<Vec<Candidate>>,
}

/// At `registry`: 個人番号 → current 基本4情報 (insurers and `intermediate` only).
pub struct LookupResidents;

impl Endpoint for LookupResidents {
    const PATH: &'static str = "/v1/jlis/lookup";
    type Request = LookupRequest;
    type Response = LookupAnswer;
}

/// At `registry`: 基本4情報 → ranked candidates (insurers and `intermediate` only).
pub struct SearchResidents;

impl Endpoint for SearchResidents {
    const PATH: &'static str = "/v1/jlis/search";
    type Request = SearchRequest;
    type Response = SearchAnswer;
}

/// At `intermediate`: an insurer's look-up by 個人番号, relayed to J-LIS.
pub struct RelayLookup;

impl Endpoint for RelayLookup {
    const PATH: &'static str = "/v1/jlis/lookup";
    type Request = LookupRequest;
    type Response = LookupAnswer;
}

/// At `intermediate`: an insurer's search by 基本4情報, relayed to J-LIS.
pub struct RelaySearch;

impl Endpoint for RelaySearch {
    const PATH: &'static str = "/v1/jlis/search";
    type Request = SearchRequest;
    type Response = SearchAnswer;
}
