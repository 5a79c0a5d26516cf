//! 個人番号入手 (workflow 4), the rules without I/O: the documented list of 利用目的 (purpose
//! codes), who may look residents up, how a search by 基本4情報 is checked, and what the
//! look-up log records. Nothing here ever holds a 個人番号 in a log line or message.

use renkei_core::text::{Basic4, CandidateScore, MatchLevel};
use renkei_wire::msg::registry::{Basic4Query, ItemMatch, ItemMatches};
use renkei_wire::{Identity, Role};

/// Most numbers or queries in one look-up request.
pub const MAX_LOOKUP_BATCH: usize = 1_000;
/// Candidates per query unless the request asks for fewer or more.
pub const DEFAULT_LIMIT: u32 = 10;
/// Most candidates per query.
pub const MAX_LIMIT: u32 = 100;

/// The 利用目的 a look-up may be made for: (code, description). The list is documented in
/// `docs/formats.md`; any other code is refused.
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

/// A refused or malformed look-up, with a Japanese message (never quoting a 個人番号).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
}

/// Checks the purpose code against [`PURPOSES`].
pub fn check_purpose(code: &str) -> Result<&'static str, LookupError> {
    PURPOSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            LookupError::BadRequest(format!(
                "利用目的「{}」は定められていません。次のいずれかを指定してください: {}",
                code.chars().take(40).collect::<String>(),
                PURPOSES
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Who may look residents up: a 医療保険者 for itself, or `intermediate` relaying for a named
/// insurer. Returns the institution the look-up is made for (logged with it).
pub fn authorize(caller: &Identity, on_behalf_of: Option<&str>) -> Result<String, LookupError> {
    match (caller.role, on_behalf_of) {
        (Role::Insurer, None) => Ok(caller.code.clone()),
        (Role::Insurer, Some(other)) if other == caller.code => Ok(caller.code.clone()),
        (Role::Insurer, Some(_)) => Err(LookupError::Forbidden(
            "他の機関の名で照会することはできません（規則: 照会者は自機関のみ）".into(),
        )),
        (Role::Intermediate, Some(insurer)) if !insurer.trim().is_empty() => {
            Ok(insurer.to_owned())
        }
        (Role::Intermediate, _) => Err(LookupError::BadRequest(
            "中間サーバからの照会には依頼元の医療保険者（on_behalf_of）が必要です".into(),
        )),
        _ => Err(LookupError::Forbidden(
            "個人番号・基本4情報の照会は医療保険者（中間サーバ経由を含む）にだけ認められています（規則: 個人番号入手の利用者）".into(),
        )),
    }
}

/// The batch-size rule for look-ups.
pub fn check_lookup_batch(len: usize, what: &str) -> Result<(), LookupError> {
    if len == 0 {
        Err(LookupError::BadRequest(format!("{what}がありません")))
    } else if len > MAX_LOOKUP_BATCH {
        Err(LookupError::BadRequest(format!(
            "一度に照会できる{what}は{MAX_LOOKUP_BATCH}件までです（{len}件）。分けて送ってください。"
        )))
    } else {
        Ok(())
    }
}

/// The candidate limit asked for, checked.
pub fn limit(asked: Option<u32>) -> Result<usize, LookupError> {
    match asked.unwrap_or(DEFAULT_LIMIT) {
        0 => Err(LookupError::BadRequest(
            "limit は1以上で指定してください".into(),
        )),
        n if n > MAX_LIMIT => Err(LookupError::BadRequest(format!(
            "limit は{MAX_LIMIT}以下で指定してください"
        ))),
        n => Ok(n as usize),
    }
}

/// A search query checked and keyed: 生年月日 and 氏名 or カナ氏名 are required. `index` is
/// the query's 1-based position in the request, named in the error.
pub fn basic4(index: usize, q: &Basic4Query) -> Result<Basic4, LookupError> {
    let Some(birth) = q.birth else {
        return Err(LookupError::BadRequest(format!(
            "{index}件目 生年月日: 基本4情報での検索には生年月日が必要です"
        )));
    };
    Basic4::query(
        q.name.as_deref(),
        q.kana.as_deref(),
        birth,
        q.sex,
        q.address.as_deref(),
    )
    .map_err(|e| LookupError::BadRequest(format!("{index}件目 氏名: {e}")))
}

/// A match level on the wire; `None` (not compared) is [`ItemMatch::NotGiven`].
pub fn item(level: Option<MatchLevel>) -> ItemMatch {
    match level {
        Some(MatchLevel::Exact) => ItemMatch::Exact,
        Some(MatchLevel::Normalized) => ItemMatch::Normalized,
        Some(MatchLevel::Partial(p)) => ItemMatch::Partial(p),
        Some(MatchLevel::None) => ItemMatch::None,
        None => ItemMatch::NotGiven,
    }
}

/// The per-item result of a scored candidate (生年月日 always matched: it is the filter).
pub fn items(score: &CandidateScore) -> ItemMatches {
    ItemMatches {
        name: item(score.name),
        kana: item(score.kana),
        birth: ItemMatch::Exact,
        sex: item(score.sex),
        address: item(score.address),
    }
}

/// What a look-up asked, for the log: the items of a search as given (a search carries no
/// 個人番号), separated by ` / `.
pub fn describe_query(q: &Basic4Query) -> String {
    let part = |label: &str, v: Option<String>| format!("{label}={}", v.unwrap_or_default());
    [
        part("氏名", q.name.clone()),
        part("カナ", q.kana.clone()),
        part("生年月日", q.birth.map(|d| d.to_string())),
        part("性別", q.sex.map(|s| s.code().to_string())),
        part("住所", q.address.clone()),
    ]
    .join(" / ")
}

/// The kind of a look-up, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    /// By 個人番号.
    Number,
    /// By 基本4情報.
    Basic4,
}

impl LookupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::Number => "number",
            LookupKind::Basic4 => "basic4",
        }
    }
}

/// One row of the look-up log: who asked, when, for whom, why, what, and how many residents
/// were answered. `asked` never holds a 個人番号: a look-up by number logs the number's keyed
/// hash (hex), a search its query items.
#[derive(Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// RFC 3339, UTC.
    pub at: String,
    /// The caller's institution code (from its certificate).
    pub caller: String,
    /// The insurer the look-up was made for.
    pub on_behalf_of: String,
    pub insurer_number: Option<String>,
    pub purpose: String,
    pub kind: LookupKind,
    pub asked: String,
    pub candidates: u32,
}

impl std::fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LogEntry({} {} {} {} {})",
            self.at,
            self.caller,
            self.purpose,
            self.kind.as_str(),
            self.candidates
        )
    }
}

/// Now, as the log writes it.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_purposes_pass() {
        assert_eq!(check_purpose("subscriber"), Ok("subscriber"));
        let e = check_purpose("curiosity").unwrap_err().to_string();
        assert!(e.contains("利用目的") && e.contains("eligibility"), "{e}");
    }

    #[test]
    fn insurers_and_the_relay_only() {
        let insurer = Identity::new("koiki-13", Role::Insurer, "東京");
        let relay = Identity::new("intermediate", Role::Intermediate, "中間");
        let hub = Identity::new("hub", Role::Hub, "hub");
        let agency = Identity::new("city", Role::Agency, "市");
        assert_eq!(authorize(&insurer, None).unwrap(), "koiki-13");
        assert!(authorize(&insurer, Some("koiki-14")).is_err());
        assert_eq!(authorize(&relay, Some("koiki-13")).unwrap(), "koiki-13");
        assert!(matches!(
            authorize(&relay, None),
            Err(LookupError::BadRequest(_))
        ));
        assert!(matches!(
            authorize(&hub, None),
            Err(LookupError::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&agency, Some("koiki-13")),
            Err(LookupError::Forbidden(_))
        ));
    }

    #[test]
    fn a_search_needs_a_name_and_a_birth_date() {
        let q = Basic4Query {
            name: Some("山田太郎".into()),
            ..Basic4Query::default()
        };
        let e = basic4(3, &q).unwrap_err().to_string();
        assert!(e.contains("3件目") && e.contains("生年月日"), "{e}");
        let q = Basic4Query {
            birth: Some(time::macros::date!(1945 - 04 - 01)),
            address: Some("東京都".into()),
            ..Basic4Query::default()
        };
        let e = basic4(1, &q).unwrap_err().to_string();
        assert!(e.contains("氏名"), "{e}");
        let q = Basic4Query {
            kana: Some("ヤマダタロウ".into()),
            ..q
        };
        assert!(basic4(1, &q).is_ok());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT as usize));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
        assert!(check_lookup_batch(0, "個人番号").is_err());
        assert!(check_lookup_batch(MAX_LOOKUP_BATCH + 1, "個人番号").is_err());
    }
}
