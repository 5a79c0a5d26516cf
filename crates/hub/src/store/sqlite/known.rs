//! What the SQLite writer knows is stored: Bloom filters of the links' indexed prefixes, so
//! that [`super::SqliteStore::insert_links`] probes only links that may exist.

use renkei_store::filter::{key_hash, prefix_hash, KeyFilter};
use renkei_store::sqlite::data_version;
use renkei_store::StoreError;
use rusqlite::Connection;

use super::corrupt;
use crate::store::NewLink;

pub(super) const FILTER_MAX_LINKS: i64 = 4_000_000;

/// What the writer knows is stored, so that [`SqliteStore::insert_links`] probes only links
/// that may exist: Bloom filters of the indexed prefixes (`number_tag`, `fugo_tag`), any
/// agency. Filled from the two indexes at the first insert, again when full, and again when
/// another connection has written the database since (`PRAGMA data_version`); every link
/// inserted is noted before its transaction commits (a rollback only leaves a "maybe").
pub(super) struct Known {
    numbers: KeyFilter,
    fugo: KeyFilter,
    /// The writer's `data_version` when the filters were filled or last checked.
    data_version: i64,
}

/// The writer's filters: not loaded yet, off (more links than [`FILTER_MAX_LINKS`]), or on.
#[derive(Default)]
pub(super) enum Filters {
    #[default]
    Unloaded,
    Off,
    On(Known),
}

impl Filters {
    /// The filters to use for a write on `conn`, (re)filled if missing, full or stale.
    pub(super) fn current(&mut self, conn: &Connection) -> Result<Option<&mut Known>, StoreError> {
        let version = data_version(conn)?;
        let fresh = match self {
            Filters::Off => return Ok(None),
            Filters::On(k) => {
                !k.numbers.is_full() && !k.fugo.is_full() && k.data_version == version
            }
            Filters::Unloaded => false,
        };
        if !fresh {
            *self = Known::load(conn, version)?.map_or(Filters::Off, Filters::On);
        }
        Ok(match self {
            Filters::On(k) => Some(k),
            _ => None,
        })
    }
}

impl Known {
    fn load(conn: &Connection, data_version: i64) -> Result<Option<Known>, StoreError> {
        // Links are never deleted, so the last id bounds their number.
        let stored: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM links", [], |r| r.get(0))?;
        if stored > FILTER_MAX_LINKS {
            return Ok(None);
        }
        let capacity = (stored as usize * 2).max(1 << 20);
        let mut known = Known {
            numbers: KeyFilter::with_capacity(capacity),
            fugo: KeyFilter::with_capacity(capacity),
            data_version,
        };
        let mut tags = conn.prepare("SELECT number_tag FROM links INDEXED BY links_number")?;
        let mut rows = tags.query([])?;
        while let Some(row) = rows.next()? {
            let tag = row.get_ref(0)?.as_blob().map_err(corrupt)?;
            known.numbers.insert(prefix_hash(tag));
        }
        let mut tags = conn.prepare("SELECT fugo_tag FROM links INDEXED BY links_fugo")?;
        let mut rows = tags.query([])?;
        while let Some(row) = rows.next()? {
            let tag = row.get_ref(0)?.as_str().map_err(corrupt)?;
            known.fugo.insert(fugo_hash(tag));
        }
        Ok(Some(known))
    }

    pub(super) fn may_exist(&self, link: &NewLink) -> bool {
        self.numbers.may_contain(prefix_hash(&link.number_key))
            || self.fugo.may_contain(fugo_hash(&link.fugo.0))
    }

    pub(super) fn note(&mut self, link: &NewLink) {
        self.numbers.insert(prefix_hash(&link.number_key));
        self.fugo.insert(fugo_hash(&link.fugo.0));
    }
}

/// The 符号's indexed prefix (`substr(fugo, 1, 8)`: characters, not bytes), hashed.
fn fugo_hash(fugo: &str) -> u64 {
    let end = fugo.char_indices().nth(8).map_or(fugo.len(), |(i, _)| i);
    key_hash(&[&fugo.as_bytes()[..end]])
}
