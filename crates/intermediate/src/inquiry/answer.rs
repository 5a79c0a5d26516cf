//! What `intermediate` answers for an insurer tenant, by 特定個人情報コード. One small
//! function per kind, so that the source can move to the 副本 when it is uploaded.

use std::collections::BTreeMap;

use renkei_store::StoreError;

use crate::store::Store;

/// J04 資格情報 of the tenant's subscriber `branch`, from the registered 資格 history (the
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
        items
    }))
}

/// The answer for `info` about the tenant's subscriber `branch`: `None` is "no record".
/// Only 資格情報 (J04) is held so far; other kinds (e.g. J03 医療保険給付関係情報) come with
/// their 副本.
pub async fn answer(
    store: &Store,
    tenant: &str,
    branch: &str,
    info: &str,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    match info {
        "J04" => qualification(store, tenant, branch).await,
        _ => Ok(None),
    }
}
