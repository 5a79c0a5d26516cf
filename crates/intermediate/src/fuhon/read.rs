//! Reading the 副本 for inquiries: "subscriber 枝番 B's 副本 of kind K as of day D" → the
//! records and the version they came from. This is the only read the inquiry engine needs; it
//! is tenant-scoped like everything else here (a tenant's own 枝番 names its subscriber).

use renkei_core::Date;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, VersionInfo};

use super::record::{field_names, split_fields};
use super::store::FuhonStore;

/// One record of a 副本, with its fields named as in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuhonRecord {
    /// 被保険者番号, and for 高額介護合算 `/` and the 計算期間開始年月日.
    pub key: String,
    pub insured_number: String,
    /// 被保険者枝番.
    pub branch: String,
    /// The version that wrote this record.
    pub since_version: u64,
    /// (column, canonical value): dates ISO, amounts in yen, 割合 `1`/`2`/`3`.
    pub fields: Vec<(&'static str, String)>,
}

impl FuhonRecord {
    /// The value of `column`, if the kind has it.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, v)| v.as_str())
    }
}

/// What the 副本 held for a subscriber on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsAsOf {
    /// The version in force that day (the newest whose 基準日 is not after it).
    pub version: VersionInfo,
    /// The subscriber's records in it (empty: the 副本 holds nothing for them — "no record").
    /// 高額介護合算 has one per 計算期間; the other kinds at most one.
    pub records: Vec<FuhonRecord>,
}

impl FuhonStore {
    /// `tenant`'s 副本 of `kind` for its subscriber `branch` as of `day`; `None` when no
    /// version of that kind existed yet on that day.
    pub async fn records_as_of(
        &self,
        tenant: &str,
        kind: FuhonKind,
        branch: &str,
        day: Date,
    ) -> Result<Option<RecordsAsOf>, StoreError> {
        let iso = renkei_core::date::to_iso(day);
        let Some(version) = self.version_as_of(tenant, kind, &iso).await? else {
            return Ok(None);
        };
        let names = field_names(kind);
        let records = self
            .records_in(tenant, kind, branch, version.version)
            .await?
            .into_iter()
            .map(|(key, c)| FuhonRecord {
                key,
                insured_number: c.insured,
                branch: c.branch,
                since_version: c.from_version,
                fields: names.iter().copied().zip(split_fields(&c.fields)).collect(),
            })
            .collect();
        Ok(Some(RecordsAsOf { version, records }))
    }
}
