//! The registry's rules, without I/O: what a resident record is, how a row of the residents
//! CSV becomes one (or names the line and field that are wrong), how a 個人番号 is protected
//! at rest, and who may ask what.

use std::fmt;

use renkei_core::crypto::{CryptoError, Key32, KeyedHasher, Sealer};
use renkei_core::text::{KanaName, PersonName};
use renkei_core::{parse_date, Date, MyNumber, ResidentCode, Sex};
use renkei_wire::Role;

pub use renkei_wire::msg::registry::MAX_BATCH;

/// One resident as J-LIS holds them: 個人番号, 住民票コード and 本人確認情報.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentRecord {
    pub my_number: MyNumber,
    pub resident_code: ResidentCode,
    /// 氏名 as written (trimmed; inner spaces become one U+3000).
    pub name: String,
    /// 氏名カナ in katakana.
    pub kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub address: String,
    /// 市区町村コード (全国地方公共団体コード, 6 digits, or 5 without its check digit).
    pub municipality_code: String,
}

/// Shows nothing personal, so a stray `{:?}` cannot leak a resident.
impl fmt::Debug for ResidentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResidentRecord(****)")
    }
}

/// The residents CSV header, in order.
pub use renkei_wire::files::RESIDENT_COLUMNS as CSV_HEADER;

/// A bad field in the residents CSV. Its text names the line and the field, never the value
/// (the value may be a 個人番号): `3行目 個人番号: 検査数字が一致しません`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Physical line in the file (the header is line 1).
    pub line: u64,
    /// The column's header name, or `行` for a problem with the row as a whole.
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}行目 {}: {}", self.line, self.field, self.reason)
    }
}

/// Checks the header row (a UTF-8 BOM before the first name is ignored).
pub fn check_header(fields: &[&str]) -> Result<(), String> {
    let names = fields.iter().enumerate().map(|(i, f)| {
        let f = if i == 0 {
            f.trim_start_matches('\u{feff}')
        } else {
            f
        };
        f.trim()
    });
    if names.eq(CSV_HEADER.iter().copied()) {
        Ok(())
    } else {
        Err(format!(
            "見出し行が正しくありません。次の見出しが必要です: {}",
            CSV_HEADER.join(",")
        ))
    }
}

/// Parses one data row at `line`, reporting every bad field of the row.
pub fn parse_row(line: u64, fields: &[&str]) -> Result<ResidentRecord, Vec<RowError>> {
    if fields.len() != CSV_HEADER.len() {
        return Err(vec![RowError {
            line,
            field: "行",
            reason: format!(
                "項目数が正しくありません（{}項目のところ{}項目）",
                CSV_HEADER.len(),
                fields.len()
            ),
        }]);
    }
    let mut errors = Vec::new();
    let mut e = |i: usize, reason: String| {
        errors.push(RowError {
            line,
            field: CSV_HEADER[i],
            reason,
        })
    };
    let my_number = MyNumber::parse(fields[0])
        .map_err(|x| e(0, x.to_string()))
        .ok();
    let resident_code = ResidentCode::parse(fields[1])
        .map_err(|x| e(1, x.to_string()))
        .ok();
    let name = PersonName::parse(fields[2])
        .map_err(|x| e(2, x.to_string()))
        .ok();
    let kana = KanaName::parse(fields[3])
        .map_err(|x| e(3, x.to_string()))
        .ok();
    let birth = parse_date(fields[4]).map_err(|x| e(4, x.to_string())).ok();
    let sex = Sex::parse(fields[5]).map_err(|x| e(5, x.to_string())).ok();
    let address = required(fields[6]).map_err(|x| e(6, x)).ok();
    let municipality = municipality_code(fields[7]).map_err(|x| e(7, x)).ok();
    match (
        my_number,
        resident_code,
        name,
        kana,
        birth,
        sex,
        address,
        municipality,
    ) {
        (
            Some(my_number),
            Some(resident_code),
            Some(name),
            Some(kana),
            Some(birth),
            Some(sex),
            Some(address),
            Some(code),
        ) => Ok(ResidentRecord {
            my_number,
            resident_code,
            name: name.as_str().to_owned(),
            kana: kana.as_str().to_owned(),
            birth,
            sex,
            address,
            municipality_code: code,
        }),
        _ => Err(errors),
    }
}

fn required(s: &str) -> Result<String, String> {
    let trimmed = s.trim_matches(|c: char| c.is_whitespace());
    if trimmed.is_empty() {
        Err("値がありません".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

fn municipality_code(s: &str) -> Result<String, String> {
    let code = required(s)?;
    if (code.len() == 5 || code.len() == 6) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("5桁または6桁の数字で指定してください".to_owned())
    }
}

/// Protection at rest of the 個人番号: the keyed hash (HMAC-SHA256 under `number_hash`) that
/// is the look-up key, and the sealed copy (AES-256-GCM under `seal`, bound to that key) from
/// which the number can be read back.
#[derive(Clone, Debug)]
pub struct Protection {
    hasher: KeyedHasher,
    sealer: Sealer,
}

impl Protection {
    pub fn new(number_hash: &Key32, seal: &Key32) -> Protection {
        Protection {
            hasher: KeyedHasher::new(number_hash),
            sealer: Sealer::new(seal),
        }
    }

    /// The look-up key of a 個人番号.
    pub fn number_key(&self, n: &MyNumber) -> [u8; 32] {
        self.hasher.hash_number(n)
    }

    /// The sealed copy, bound to its look-up key so it cannot be moved to another row.
    pub fn seal(&self, n: &MyNumber, key: &[u8; 32]) -> Vec<u8> {
        self.sealer.seal_with_aad(n.expose().as_bytes(), key)
    }

    /// Opens a sealed copy made by [`Protection::seal`] for the row keyed `key`.
    pub fn open(&self, sealed: &[u8], key: &[u8]) -> Result<MyNumber, CryptoError> {
        let plaintext = self.sealer.open_with_aad(sealed, key)?;
        let digits = std::str::from_utf8(&plaintext).map_err(|_| CryptoError::Plaintext)?;
        MyNumber::parse(digits).map_err(|_| CryptoError::Plaintext)
    }
}

/// The two questions the registry answers, each allowed to one kind of institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// 個人番号 → 本人確認情報.
    Identities,
    /// 個人番号 → 住民票コード.
    ResidentCodes,
}

/// A refusal, naming the rule that refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}")]
pub struct Refusal {
    pub rule: &'static str,
}

/// Who may ask what: 本人確認情報 only `intermediate` (for the registration cross-check);
/// 住民票コード only `hub` (to issue 機関別符号) — it never reaches an insurer or agency.
pub fn authorize(role: Role, lookup: Lookup) -> Result<(), Refusal> {
    match (lookup, role) {
        (Lookup::Identities, Role::Intermediate) | (Lookup::ResidentCodes, Role::Hub) => Ok(()),
        (Lookup::Identities, _) => Err(Refusal {
            rule: "本人確認情報の照会は医療保険者向け中間サーバにだけ認められています（規則: 本人確認情報の提供先）",
        }),
        (Lookup::ResidentCodes, _) => Err(Refusal {
            rule: "住民票コードは情報提供ネットワークシステムにだけ提供されます（規則: 住民票コードの提供先）",
        }),
    }
}

/// The batch-size rule, as a message when it is broken.
pub fn check_batch(len: usize) -> Result<(), String> {
    if len > MAX_BATCH {
        Err(format!(
            "一度に照会できる個人番号は{MAX_BATCH}件までです（{len}件）。分けて送ってください。"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
