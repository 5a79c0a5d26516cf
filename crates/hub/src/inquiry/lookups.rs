//! The hub's look-ups on the inquiry path: the replay check (the log writer's memory, else
//! the store) and 符号 → person (a cache of links, else the store).

use std::collections::HashMap;

use renkei_store::StoreError;

use super::Inner;
use crate::domain::AgencyCode;

/// Links held in memory: (agency, 符号) → person key. A link never changes once issued, so
/// a hit needs no store read; only found links are kept, and the map is emptied when full.
/// Its room is taken at start (about 100 bytes a link): growing it under its lock would stall
/// every handler while it rehashes.
pub(super) const LINK_CACHE: usize = 200_000;

impl Inner {
    /// The entries of (asker, request id), final outcome first: from the log writer's memory
    /// when it can tell, else from the store (after a restart, or for old request ids).
    pub(super) async fn recorded(
        &self,
        asker: &str,
        request_id: &str,
    ) -> Result<Vec<renkei_ledger::record_log::Entry>, StoreError> {
        match self.recorder.recorded(asker, request_id) {
            Some(entries) => Ok(entries),
            None => self.store.recorded(asker, request_id).await,
        }
    }

    /// The person behind an agency's 符号, from the cache or the store.
    pub(super) async fn person_of(
        &self,
        agency: &AgencyCode,
        fugo: &renkei_wire::msg::hub::Fugo,
    ) -> Result<Option<[u8; 32]>, StoreError> {
        let key = (agency.as_str().to_owned(), fugo.0.clone());
        if let Some(p) = self.links.lock().expect("lock").get(&key) {
            return Ok(Some(*p));
        }
        let found = self.store.person_of(agency, fugo).await?;
        if let Some(p) = found {
            let mut links = self.links.lock().expect("lock");
            // A full map is swapped for an empty one and freed off the lock (clearing 200,000
            // links in place would hold every handler for milliseconds).
            let full = (links.len() >= LINK_CACHE)
                .then(|| std::mem::replace(&mut *links, HashMap::with_capacity(LINK_CACHE)));
            links.insert(key, p);
            drop(links);
            if let Some(full) = full {
                tokio::task::spawn_blocking(move || drop(full));
            }
        }
        Ok(found)
    }
}
