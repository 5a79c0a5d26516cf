//! Scoring a candidate resident against a search by 基本4情報 (氏名, 生年月日, 性別, 住所,
//! with the カナ氏名 as a fifth, optional item).
//!
//! 生年月日 is a filter, not a score: a candidate born on another day is never a candidate.
//! The other items are each compared with a [`MatchLevel`] and weighted into one score from
//! 0 to 1000 (see `docs/matching.md`).

use crate::{Date, Sex};

use super::address::address_key;
use super::keys::{kana_key, name_key};
use super::matching::{compare_keys, MatchLevel};
use super::trim_ja;

/// Weights of the items in the score, out of 100.
pub const WEIGHT_NAME: u32 = 40;
/// Weight of the カナ氏名.
pub const WEIGHT_KANA: u32 = 20;
/// Weight of the 住所.
pub const WEIGHT_ADDRESS: u32 = 30;
/// Weight of the 性別.
pub const WEIGHT_SEX: u32 = 10;

/// Why a search by 基本4情報 cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Neither 氏名 nor カナ氏名 was given.
    #[error("氏名またはカナ氏名を指定してください")]
    NoName,
}

/// A text item as written with its matching key, computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Keyed {
    written: String,
    fingerprint: u32,
    key: String,
}

impl Keyed {
    fn new(written: Option<&str>, key: fn(&str) -> String) -> Option<Keyed> {
        let written = trim_ja(written?);
        (!written.is_empty()).then(|| Keyed {
            written: written.to_owned(),
            fingerprint: fingerprint(written),
            key: key(written),
        })
    }

    fn view(&self) -> ItemView<'_> {
        ItemView {
            fingerprint: self.fingerprint,
            key: &self.key,
        }
    }
}

/// A 32-bit fingerprint (FNV-1a) of a text item as written, after trimming surrounding spaces:
/// what a compact index keeps instead of the text to tell [`MatchLevel::Exact`] from
/// [`MatchLevel::Normalized`]. Only items with equal keys are told apart by it, so a collision
/// can at worst call a notation difference exact.
pub fn fingerprint(written: &str) -> u32 {
    trim_ja(written).bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// One text item of a record as a compact index keeps it: the fingerprint of the text as
/// written and its matching key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemView<'a> {
    pub fingerprint: u32,
    pub key: &'a str,
}

impl ItemView<'_> {
    fn compare(&self, other: &ItemView<'_>) -> MatchLevel {
        if self.key.is_empty() || other.key.is_empty() {
            MatchLevel::None
        } else if self.fingerprint == other.fingerprint && self.key == other.key {
            MatchLevel::Exact
        } else {
            compare_keys(self.key, other.key)
        }
    }
}

/// A resident's record as a compact index keeps it (see [`score_view`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    pub name: Option<ItemView<'a>>,
    pub kana: Option<ItemView<'a>>,
    pub birth: Date,
    pub sex: Option<Sex>,
    pub address: Option<ItemView<'a>>,
}

/// 基本4情報 with their matching keys: either a query (built with [`Basic4::query`], which
/// needs a 氏名 or a カナ氏名) or a resident's record (built with [`Basic4::record`]). Empty
/// text items count as not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basic4 {
    name: Option<Keyed>,
    kana: Option<Keyed>,
    birth: Date,
    sex: Option<Sex>,
    address: Option<Keyed>,
}

impl Basic4 {
    /// A search: 生年月日 and at least one of 氏名 and カナ氏名 are required.
    pub fn query(
        name: Option<&str>,
        kana: Option<&str>,
        birth: Date,
        sex: Option<Sex>,
        address: Option<&str>,
    ) -> Result<Basic4, QueryError> {
        let record = Basic4::record(name, kana, birth, sex, address);
        if record.name.is_none() && record.kana.is_none() {
            return Err(QueryError::NoName);
        }
        Ok(record)
    }

    /// A resident's record, with whatever items it holds.
    pub fn record(
        name: Option<&str>,
        kana: Option<&str>,
        birth: Date,
        sex: Option<Sex>,
        address: Option<&str>,
    ) -> Basic4 {
        Basic4 {
            name: Keyed::new(name, name_key),
            kana: Keyed::new(kana, kana_key),
            birth,
            sex,
            address: Keyed::new(address, address_key),
        }
    }

    /// The 生年月日.
    pub fn birth(&self) -> Date {
        self.birth
    }

    /// The 氏名's matching key, if given (for indexing candidates).
    pub fn name_key(&self) -> Option<&str> {
        self.name.as_ref().map(|k| k.key.as_str())
    }

    /// The カナ氏名's matching key, if given (for indexing candidates).
    pub fn kana_key(&self) -> Option<&str> {
        self.kana.as_ref().map(|k| k.key.as_str())
    }

    /// The 住所's matching key, if given (for indexing candidates).
    pub fn address_key(&self) -> Option<&str> {
        self.address.as_ref().map(|k| k.key.as_str())
    }

    /// The 性別, if given.
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }

    /// This record as an index keeps it.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            name: self.name.as_ref().map(Keyed::view),
            kana: self.kana.as_ref().map(Keyed::view),
            birth: self.birth,
            sex: self.sex,
            address: self.address.as_ref().map(Keyed::view),
        }
    }
}

/// How a candidate compares with a query, item by item. An item is `None` when it was not
/// compared: the query did not give it or the record does not hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateScore {
    /// 氏名.
    pub name: Option<MatchLevel>,
    /// カナ氏名.
    pub kana: Option<MatchLevel>,
    /// 性別: Exact or None.
    pub sex: Option<MatchLevel>,
    /// 住所.
    pub address: Option<MatchLevel>,
    /// The weighted score, 0 to 1000; higher ranks first.
    pub score: u32,
}

/// Scores `record` against `query`, or `None` if their 生年月日 differ or neither 氏名 nor
/// カナ氏名 could be compared (a candidate is never found by 性別 and 住所 alone).
pub fn score_candidate(query: &Basic4, record: &Basic4) -> Option<CandidateScore> {
    score(query, &record.view(), false)
}

/// Like [`score_candidate`], for a record kept in a compact index, and stricter: a record
/// whose 氏名 and カナ氏名 both do not match at all ([`MatchLevel::None`]) is not a candidate
/// either. The 住所, the costliest item, is only compared for the records that remain.
pub fn score_view(query: &Basic4, record: &RecordView<'_>) -> Option<CandidateScore> {
    score(query, record, true)
}

fn score(query: &Basic4, record: &RecordView<'_>, need_name: bool) -> Option<CandidateScore> {
    if query.birth != record.birth {
        return None;
    }
    let both = |q: &Option<Keyed>, r: &Option<ItemView<'_>>| match (q, r) {
        (Some(q), Some(r)) => Some(q.view().compare(r)),
        _ => None,
    };
    let name = both(&query.name, &record.name);
    let kana = both(&query.kana, &record.kana);
    if name.is_none() && kana.is_none() {
        return None;
    }
    let no_match = |l: Option<MatchLevel>| matches!(l, None | Some(MatchLevel::None));
    if need_name && no_match(name) && no_match(kana) {
        return None;
    }
    let sex = match (query.sex, record.sex) {
        (Some(q), Some(r)) if q == r => Some(MatchLevel::Exact),
        (Some(_), Some(_)) => Some(MatchLevel::None),
        _ => None,
    };
    let address = both(&query.address, &record.address);
    let items = [
        (name, WEIGHT_NAME),
        (kana, WEIGHT_KANA),
        (sex, WEIGHT_SEX),
        (address, WEIGHT_ADDRESS),
    ];
    let (points, weights) = items
        .iter()
        .filter_map(|(level, weight)| level.map(|l| (l.per_mille() * weight, *weight)))
        .fold((0, 0), |(p, w), (lp, lw)| (p + lp, w + lw));
    Some(CandidateScore {
        name,
        kana,
        sex,
        address,
        score: points.checked_div(weights).unwrap_or(0),
    })
}
