//! The agency's store on PostgreSQL.

use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;

use super::{items, json, NewResident, Residents};
use crate::holdings::Items;

const POSTGRES: &[&str] = &[
    "
    CREATE TABLE residents (
        atena TEXT PRIMARY KEY,
        fugo  TEXT NOT NULL UNIQUE
    );
    CREATE TABLE holdings (
        fugo  TEXT NOT NULL,
        info  TEXT NOT NULL,
        items TEXT NOT NULL,
        PRIMARY KEY (fugo, info)
    );
",
    renkei_ledger::party::POSTGRES,
];

#[derive(Clone)]
pub struct PgResidents {
    pub(super) db: Postgres,
}

impl PgResidents {
    pub async fn connect(conn: &str, schema: &str) -> Result<PgResidents, StoreError> {
        Ok(PgResidents {
            db: Postgres::connect(conn, schema, POSTGRES).await?,
        })
    }
}

impl Residents for PgResidents {
    async fn upsert_residents(&self, residents: Vec<NewResident>) -> Result<(), StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let atena: Vec<&str> = residents.iter().map(|r| r.atena.as_str()).collect();
        let fugo: Vec<&str> = residents.iter().map(|r| r.fugo.0.as_str()).collect();
        tx.execute(
            "INSERT INTO residents (atena, fugo) SELECT * FROM UNNEST($1::text[], $2::text[])
             ON CONFLICT (atena) DO UPDATE SET fugo = excluded.fugo",
            &[&atena, &fugo],
        )
        .await?;
        tx.execute("DELETE FROM holdings WHERE fugo = ANY($1)", &[&fugo])
            .await?;
        let (mut f, mut i, mut j) = (vec![], vec![], vec![]);
        for r in &residents {
            for (info, items) in &r.holdings {
                f.push(r.fugo.0.as_str());
                i.push(info.as_str());
                j.push(json(items));
            }
        }
        tx.execute(
            "INSERT INTO holdings (fugo, info, items)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])",
            &[&f, &i, &j],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fugo_of(&self, atena: &str) -> Result<Option<Fugo>, StoreError> {
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached("SELECT fugo FROM residents WHERE atena = $1")
            .await?;
        let fugo: Option<String> = client
            .query_opt(&stmt, &[&atena])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(fugo.map(Fugo))
    }

    async fn holding(&self, fugo: &Fugo, info: &str) -> Result<Option<Items>, StoreError> {
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached("SELECT items FROM holdings WHERE fugo = $1 AND info = $2")
            .await?;
        let text: Option<String> = client
            .query_opt(&stmt, &[&fugo.0, &info])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        text.as_deref().map(items).transpose()
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let client = self.db.client().await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM residents", &[])
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }
}
