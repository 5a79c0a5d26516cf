//! What `intermediate` answers for an insurer tenant, by 特定個人情報コード: from the tenant's
//! 副本 (副本作成) as of today, naming the version the answer came from.
//!
//! | code | 特定個人情報 | source |
//! | --- | --- | --- |
//! | J04 | 資格情報 | 資格情報 副本; before the tenant's first 資格情報 upload, the registered 資格 history |
//! | J06 | 高額介護合算療養費情報 | 高額介護合算療養費情報 副本, one group of items per 計算期間 |
//! | J07 | 葬祭費情報 | 葬祭費情報 副本 |

use std::collections::BTreeMap;

use renkei_core::Date;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::FuhonKind;

use crate::fuhon::{FuhonStore, RecordsAsOf};
use crate::store::Store;

/// Item naming the 副本 version an answer came from (`第N版（基準日 YYYY-MM-DD）`).
pub const SOURCE_ITEM: &str = "出典";

/// J04 資格情報 of the tenant's subscriber `branch` from the registered 資格 history (the
/// latest version): 被保険者番号, 資格取得年月日 and, if lost, 資格喪失年月日. `None` when the
/// subscriber has no history.
pub async fn qualification(
    store: &Store,
    tenant: &str,
    branch: &str,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    let history = store.history(tenant, branch).await?;
    Ok(history.last().map(|h| {
        let mut items = BTreeMap::new();
        items.insert("被保険者番号".to_owned(), h.insured_number.clone());
        items.insert("資格取得年月日".to_owned(), h.acquired.to_string());
        items.insert(
            "資格喪失年月日".to_owned(),
            h.lost.map(|d| d.to_string()).unwrap_or_default(),
        );
        items.insert(SOURCE_ITEM.to_owned(), "加入者情報（資格履歴）".to_owned());
        items
    }))
}

/// The 副本 kind that holds `info`, if any.
pub fn fuhon_kind(info: &str) -> Option<FuhonKind> {
    match info {
        "J04" => Some(FuhonKind::Shikaku),
        "J06" => Some(FuhonKind::KogakuGassan),
        "J07" => Some(FuhonKind::Sosaihi),
        _ => None,
    }
}

/// The items of a subscriber's 副本 records: the columns as named in the file (被保険者番号
/// included), and [`SOURCE_ITEM`]. Several records (高額介護合算: one per 計算期間) are told
/// apart by their 計算期間開始年月日: `支給額[2025-08-01]`. `None` when the version holds nothing
/// for the subscriber.
fn items_of(held: &RecordsAsOf) -> Option<BTreeMap<String, String>> {
    let several = held.records.len() > 1;
    let mut items = BTreeMap::new();
    for record in &held.records {
        let start = record
            .get("計算期間開始年月日")
            .unwrap_or_default()
            .to_owned();
        let name = |column: &str| {
            if several {
                format!("{column}[{start}]")
            } else {
                column.to_owned()
            }
        };
        items.insert(name("被保険者番号"), record.insured_number.clone());
        for (column, value) in &record.fields {
            items.insert(name(column), value.clone());
        }
    }
    if items.is_empty() {
        return None;
    }
    items.insert(
        SOURCE_ITEM.to_owned(),
        format!(
            "副本 第{}版（基準日 {}）",
            held.version.version, held.version.as_of
        ),
    );
    Some(items)
}

/// The answer for `info` about the tenant's subscriber `branch` as of `day`: `None` is "no
/// record".
pub async fn answer_as_of(
    store: &Store,
    tenant: &str,
    branch: &str,
    info: &str,
    day: Date,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    let Some(kind) = fuhon_kind(info) else {
        return Ok(None);
    };
    match FuhonStore::new(store)
        .records_as_of(tenant, kind, branch, day)
        .await?
    {
        Some(held) => Ok(items_of(&held)),
        // No 資格情報 副本 yet: what registration recorded is the best the server holds.
        None if kind == FuhonKind::Shikaku => qualification(store, tenant, branch).await,
        None => Ok(None),
    }
}

/// The answer for `info` about the tenant's subscriber `branch` as of today (JST).
pub async fn answer(
    store: &Store,
    tenant: &str,
    branch: &str,
    info: &str,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    answer_as_of(
        store,
        tenant,
        branch,
        info,
        crate::fuhon::service::today_jst(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use renkei_wire::msg::fuhon::{UploadMode, VersionInfo};

    use super::*;
    use crate::fuhon::FuhonRecord;

    fn period(start: &str, paid: &str) -> FuhonRecord {
        FuhonRecord {
            key: format!("20000001/{start}"),
            insured_number: "20000001".into(),
            branch: "0000000007".into(),
            since_version: 1,
            fields: vec![
                ("計算期間開始年月日", start.into()),
                ("支給額", paid.into()),
            ],
        }
    }

    fn held(records: Vec<FuhonRecord>) -> RecordsAsOf {
        RecordsAsOf {
            version: VersionInfo {
                kind: FuhonKind::KogakuGassan,
                version: 3,
                mode: UploadMode::Full,
                as_of: "2026-08-01".into(),
                committed_at: "2026-08-01T00:00:00Z".into(),
                digest: "d".into(),
                records: 2,
                added: 2,
                changed: 0,
                deleted: 0,
                unchanged: 0,
            },
            records,
        }
    }

    #[test]
    fn one_record_keeps_the_file_columns_and_names_the_version() {
        let items = items_of(&held(vec![period("2024-08-01", "12000")])).unwrap();
        assert_eq!(items["支給額"], "12000");
        assert_eq!(items["被保険者番号"], "20000001");
        assert_eq!(items[SOURCE_ITEM], "副本 第3版（基準日 2026-08-01）");
    }

    #[test]
    fn several_periods_are_told_apart_by_their_start() {
        let items = items_of(&held(vec![
            period("2024-08-01", "12000"),
            period("2025-08-01", "8000"),
        ]))
        .unwrap();
        assert_eq!(items["支給額[2024-08-01]"], "12000");
        assert_eq!(items["支給額[2025-08-01]"], "8000");
        assert!(!items.contains_key("支給額"));
    }

    #[test]
    fn nothing_held_is_no_record() {
        assert_eq!(items_of(&held(Vec::new())), None);
        assert_eq!(fuhon_kind("J01"), None);
        assert_eq!(fuhon_kind("J06"), Some(FuhonKind::KogakuGassan));
    }
}
