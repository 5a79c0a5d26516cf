//! SQLite only: the links' prefix indexes (migration 3), on a store that held links under the
//! first schema and on keys whose indexed prefixes coincide.

use renkei_store::testing::query_plan;
use rusqlite::Connection;

use super::known::FILTER_MAX_LINKS;
use super::*;

fn agency(s: &str) -> AgencyCode {
    AgencyCode::parse(s).unwrap()
}

/// A 32-byte key whose first 8 bytes (the indexed part) are `prefix` and the rest `rest`.
fn key(prefix: u8, rest: u8) -> [u8; 32] {
    let mut k = [rest; 32];
    k[..8].fill(prefix);
    k
}

fn link(number: [u8; 32], person: u8, fugo: &str) -> NewLink {
    NewLink {
        number_key: number,
        person_key: [person; 32],
        fugo: Fugo(fugo.to_owned()),
    }
}

#[tokio::test]
async fn links_of_the_first_schema_are_found_after_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    {
        drop(Sqlite::open(&path, &MIGRATIONS[..2]).unwrap());
        let conn = Connection::open(&path).unwrap();
        let mut insert = conn
            .prepare(
                "INSERT INTO links (agency, number_key, person_key, fugo, issued_at)
                 VALUES (?1, ?2, ?3, ?4, 0)",
            )
            .unwrap();
        for i in 0..200u8 {
            let fugo = format!("OLDFUGO{i:03}");
            insert
                .execute(params!["koiki-13", &key(i, i)[..], &[i; 32][..], fugo])
                .unwrap();
        }
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);

    let koiki = agency("koiki-13");
    let keys: Vec<[u8; 32]> = (0..200u8).rev().map(|i| key(i, i)).collect();
    let found = store.find_links(koiki.clone(), keys).await.unwrap();
    for (j, f) in found.iter().enumerate() {
        let i = 199 - j;
        assert_eq!(
            f.as_ref().map(|f| f.0.clone()),
            Some(format!("OLDFUGO{i:03}"))
        );
    }
    let person = store
        .person_of(koiki.clone(), Fugo("OLDFUGO042".into()))
        .await
        .unwrap();
    assert_eq!(person, Some(vec![42; 32]));
    // The old links still make a resend change nothing, by number or by 符号.
    let again = vec![
        link(key(7, 7), 7, "OLDFUGO007"),
        link(key(250, 250), 9, "OLDFUGO009"),
    ];
    assert_eq!(store.insert_links(koiki, again).await.unwrap(), 0);
    assert_eq!(store.count().await.unwrap(), 200);
}

#[tokio::test]
async fn keys_sharing_an_indexed_prefix_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).await.unwrap();
    let koiki = agency("koiki-13");
    let city = agency("city-131016");
    // Same first 8 bytes of number key, same first 8 characters of 符号.
    let a = link(key(1, 2), 1, "SAMEPREFIXAAAA");
    let b = link(key(1, 3), 2, "SAMEPREFIXBBBB");
    assert_eq!(
        store
            .insert_links(koiki.clone(), vec![a.clone(), b.clone()])
            .await
            .unwrap(),
        2
    );
    // The same number key under another agency is another link.
    let c = link(key(1, 2), 1, "SAMEPREFIXCCCC");
    assert_eq!(store.insert_links(city.clone(), vec![c]).await.unwrap(), 1);

    let found = store
        .find_links(koiki.clone(), vec![key(1, 3), key(1, 2), key(1, 4)])
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![Some(b.fugo.clone()), Some(a.fugo.clone()), None]
    );
    let found = store
        .find_links(city.clone(), vec![key(1, 2)])
        .await
        .unwrap();
    assert_eq!(found, vec![Some(Fugo("SAMEPREFIXCCCC".into()))]);
    let of = |agency: &AgencyCode, fugo: &str| store.person_of(agency.clone(), Fugo(fugo.into()));
    assert_eq!(
        of(&koiki, "SAMEPREFIXBBBB").await.unwrap(),
        Some(vec![2; 32])
    );
    assert_eq!(of(&koiki, "SAMEPREFIXCCCC").await.unwrap(), None);
    assert_eq!(
        of(&city, "SAMEPREFIXCCCC").await.unwrap(),
        Some(vec![1; 32])
    );

    // A number key or a 符号 that exists only under the prefix is not taken for a duplicate;
    // an exact one is, whichever of the two matches.
    let batch = vec![
        link(key(1, 5), 3, "SAMEPREFIXDDDD"),
        link(key(1, 2), 9, "OTHERFUGO"),
        link(key(9, 9), 9, "SAMEPREFIXBBBB"),
    ];
    assert_eq!(store.insert_links(koiki, batch).await.unwrap(), 1);
    assert_eq!(store.count().await.unwrap(), 4);
}

/// Every statement on links probes one prefix index (a scan would grow with the links).
#[tokio::test]
async fn link_statements_probe_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    drop(SqliteStore::open(&path).await.unwrap());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        query_plan(&conn, FUGO_BY_NUMBER),
        "SEARCH links USING INDEX links_number (number_tag=?)"
    );
    assert_eq!(
        query_plan(&conn, PERSON_BY_FUGO),
        "SEARCH links USING INDEX links_fugo (fugo_tag=?)"
    );
    assert_eq!(
        query_plan(&conn, KNOWN_LINK),
        "SCAN CONSTANT ROW; \
         SCALAR SUBQUERY 1; SEARCH links USING INDEX links_number (number_tag=?); \
         SCALAR SUBQUERY 2; SEARCH links USING INDEX links_fugo (fugo_tag=?)"
    );
}

/// The writer's filters skip probes of links that certainly do not exist; a link another
/// connection wrote since they were filled, a link earlier in the same batch and a store
/// too large for filters must still be found.
#[tokio::test]
async fn links_the_filters_have_not_seen_are_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let koiki = agency("koiki-13");
    // Fills the filters.
    let first = vec![link(key(1, 1), 1, "FIRSTFUGO1")];
    assert_eq!(store.insert_links(koiki.clone(), first).await.unwrap(), 1);

    // Written behind the store, by number and by 符号.
    let behind = Connection::open(&path).unwrap();
    let write_behind = |id: i64, number: [u8; 32], fugo: &str| {
        behind
            .execute(
                "INSERT INTO links (id, agency, number_key, person_key, fugo, issued_at)
                 VALUES (?1, 'koiki-13', ?2, ?3, ?4, 0)",
                params![id, &number[..], &[id as u8; 32][..], fugo],
            )
            .unwrap()
    };
    write_behind(2, key(2, 2), "BEHINDFUGO2");
    write_behind(3, key(3, 3), "BEHINDFUGO3");
    let again = vec![
        link(key(2, 2), 2, "OTHERFUGO2"),
        link(key(30, 30), 3, "BEHINDFUGO3"),
        // Twice in one batch: the second is a duplicate of the first.
        link(key(4, 4), 4, "NEWFUGO4"),
        link(key(4, 4), 4, "NEWFUGO4"),
    ];
    assert_eq!(store.insert_links(koiki.clone(), again).await.unwrap(), 1);
    assert_eq!(store.count().await.unwrap(), 4);

    // Past FILTER_MAX_LINKS (ids bound the count) the writer keeps no filters and probes all.
    write_behind(FILTER_MAX_LINKS + 1, key(5, 5), "BEHINDFUGO5");
    let big = vec![
        link(key(5, 5), 5, "OTHERFUGO5"),
        link(key(6, 6), 6, "NEWFUGO6"),
    ];
    assert_eq!(store.insert_links(koiki.clone(), big).await.unwrap(), 1);
    assert!(matches!(*store.known.lock().unwrap(), Filters::Off));
    let resend = vec![link(key(6, 6), 6, "NEWFUGO6")];
    assert_eq!(store.insert_links(koiki, resend).await.unwrap(), 0);
    assert_eq!(store.count().await.unwrap(), 6);
}
