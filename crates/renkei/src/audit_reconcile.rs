//! `renkei audit reconcile --sandbox D`: every party's own record of its exchanges
//! (`intermediate` for the 広域連合 it hosts, each municipality's `agency`) against the hub's
//! 情報提供等記録 — each record must match an entry (parties, 事務, 特定個人情報, outcome,
//! 第N号, disclosure), and each entry must have the asker's record and, when the provider
//! answered, the provider's. Names the first disagreement and exits non-zero.

use std::collections::HashSet;
use std::path::Path;

use renkei_ledger::party::{reconcile, PartyRecords, PartyStore};
use renkei_store::StoreUrl;

use crate::sandbox::agencies::MUNICIPALITIES;

/// The store URL of `system` in the sandbox at `dir` (`file` under the system's directory).
fn url(dir: &Path, store: Option<&str>, file: &str, schema: &str) -> anyhow::Result<StoreUrl> {
    let url = match store {
        Some(url) => StoreUrl::parse(url, schema)?,
        None => {
            let path = dir.join(file);
            anyhow::ensure!(path.exists(), "{}: 保存先がありません", path.display());
            StoreUrl::Sqlite(path)
        }
    };
    Ok(url)
}

pub async fn run(dir: &Path, store: Option<&str>) -> anyhow::Result<()> {
    let dir = dir.canonicalize()?;
    let hub = renkei_hub::store::Store::open(&url(&dir, store, "hub/hub.db", "hub")?).await?;
    let log = match hub.read_log().await {
        Ok(log) => log,
        Err(e @ renkei_store::StoreError::Corrupt(_)) => anyhow::bail!("改ざんを検出しました: {e}"),
        Err(e) => return Err(e.into()),
    };

    let mut parties = Vec::new();
    let intermediate = renkei_intermediate::store::Store::open(&url(
        &dir,
        store,
        "intermediate/intermediate.db",
        "intermediate",
    )?)
    .await?;
    parties.push(PartyRecords {
        system: "中間サーバ".into(),
        covers: renkei_synth::koiki_unions()
            .into_iter()
            .map(|u| u.code)
            .collect(),
        records: renkei_intermediate::inquiry::store::engine(&intermediate)
            .read_all()
            .await?,
    });
    for &(code, name, _) in MUNICIPALITIES {
        let file = format!("agencies/{code}/agency.db");
        let agency =
            renkei_agency::store::Store::open(&url(&dir, store, &file, &code.replace('-', "_"))?)
                .await?;
        parties.push(PartyRecords {
            system: format!("{name}（{code}）"),
            covers: HashSet::from([code.to_owned()]),
            records: agency.engine().read_all().await?,
        });
    }
    match reconcile(&log.entries, &parties) {
        Ok(r) => {
            println!(
                "照会者・提供者の記録を情報提供等記録と突き合わせました: 情報提供等記録 {} 件、各機関の記録 {} 件、不一致なし",
                r.hub_entries, r.party_records
            );
            Ok(())
        }
        Err(d) => anyhow::bail!("記録が一致しません: 最初の不一致: {d}"),
    }
}
