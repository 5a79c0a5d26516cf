//! The log writer's memory of recent entries by key, shared with the handlers so that the
//! replay check of a request id needs no store read.
//!
//! Two generations of hash maps, each filled up to its room and never shrunk: when the
//! current one is full it becomes the previous one, and the previous one is forgotten. A
//! single map that forgets its oldest key on each insert fills up with deleted markers and,
//! every ~100,000 inserts, rehashes every entry while all handlers wait on its lock: 130–230 ms
//! stalls measured in 200,000-call runs of `bench inquire --rate 5000` (docs/PERFORMANCE.md).
//! Here nothing is removed from a map, so none rehashes; and a forgotten generation is freed a
//! few entries per insert rather than all at once (tens of thousands of entries' strings).
//!
//! The maps hold a keyed 64-bit hash of the key and a boxed entry (16 bytes a slot): a fresh
//! generation's table is then ~1 MiB, where one of whole keys and entries (~360 bytes a slot,
//! 23 MiB) made the first inserts after each rotation page-fault their way through fresh
//! memory while the handlers waited (30–50 ms stalls every ~10 s at 5,000 inquiries/s). A hit
//! is compared with the whole key, so a hash collision only costs a store read.

use std::collections::hash_map::{IntoIter, RandomState};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use renkei_ledger::record_log::{Entry, Exchange, Outcome};

/// (asker, request id, final outcome?)
pub(super) type Key = (String, String, bool);

pub(super) fn key(x: &Exchange) -> Key {
    (
        x.asker.clone(),
        x.request_id.clone(),
        x.outcome != Outcome::Unavailable,
    )
}

/// Slots are already keyed hashes: the map uses them as they are.
#[derive(Default)]
struct Unhashed(u64);

impl Hasher for Unhashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 slots are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Generation = HashMap<u64, Box<Entry>, BuildHasherDefault<Unhashed>>;

fn generation(room: usize) -> Generation {
    HashMap::with_capacity_and_hasher(room, BuildHasherDefault::default())
}

/// Entries of a forgotten generation freed per insert: the generation is gone long before
/// the next one is forgotten.
const FREED_PER_INSERT: usize = 2;

pub(super) struct Memory {
    /// Keyed per process, so that nobody can pick request ids that collide.
    slots: RandomState,
    current: Generation,
    previous: Generation,
    /// The forgotten generation, being freed.
    forgotten: IntoIter<u64, Box<Entry>>,
    room: usize,
    /// Holds every entry of the log: from an empty log until the first key is forgotten.
    complete: bool,
}

impl Memory {
    /// A memory of between `room` and `2 * room` recent keys; `complete` if the log is empty.
    /// The current generation has its room from the start: growing it under the lock would
    /// rehash it with every handler waiting.
    pub(super) fn new(complete: bool, room: usize) -> Memory {
        Memory {
            slots: RandomState::new(),
            current: generation(room),
            previous: generation(0),
            forgotten: generation(0).into_iter(),
            room,
            complete,
        }
    }

    fn slot(&self, asker: &str, request_id: &str, final_: bool) -> u64 {
        let mut h = self.slots.build_hasher();
        h.write(asker.as_bytes());
        h.write_u8(0xff);
        h.write(request_id.as_bytes());
        h.write_u8(u8::from(final_));
        h.finish()
    }

    pub(super) fn get(&self, k: &Key) -> Option<&Entry> {
        let slot = self.slot(&k.0, &k.1, k.2);
        [&self.current, &self.previous]
            .into_iter()
            .filter_map(|g| g.get(&slot))
            .map(|e| &**e)
            .find(|e| {
                let x = &e.exchange;
                x.asker == k.0 && x.request_id == k.1 && (x.outcome != Outcome::Unavailable) == k.2
            })
    }

    pub(super) fn complete(&self) -> bool {
        self.complete
    }

    /// Remembers `entry` without its sender signatures (the replay check needs the parties,
    /// the outcome, the person and the number; the signatures are in the store).
    pub(super) fn remember(&mut self, entry: &Entry) {
        let x = &entry.exchange;
        let slim = Entry {
            seq: entry.seq,
            time_micros: entry.time_micros,
            hash: entry.hash,
            exchange: Exchange {
                asker: x.asker.clone(),
                provider: x.provider.clone(),
                task: x.task.clone(),
                info: x.info.clone(),
                outcome: x.outcome.clone(),
                disclosable: x.disclosable,
                request_id: x.request_id.clone(),
                person: x.person,
                request_signature: Vec::new(),
                answer_signature: Vec::new(),
            },
        };
        let slot = self.slot(&x.asker, &x.request_id, x.outcome != Outcome::Unavailable);
        self.current.insert(slot, Box::new(slim));
        self.forgotten
            .by_ref()
            .take(FREED_PER_INSERT)
            .for_each(drop);
        if self.current.len() < self.room {
            return;
        }
        let fresh = generation(self.room);
        let full = std::mem::replace(&mut self.current, fresh);
        let forgotten = std::mem::replace(&mut self.previous, full);
        if !forgotten.is_empty() {
            self.complete = false;
        }
        self.forgotten = forgotten.into_iter();
    }

    /// Entries of the forgotten generation not yet freed.
    #[cfg(test)]
    fn being_freed(&self) -> usize {
        self.forgotten.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, request_id: &str, outcome: Outcome) -> Entry {
        Entry {
            seq,
            time_micros: 1_700_000_000_000_000 + seq as i64,
            hash: [seq as u8; 32],
            exchange: Exchange {
                asker: "39131156".into(),
                provider: "city-131130".into(),
                task: "T1".into(),
                info: "I1".into(),
                outcome,
                disclosable: true,
                request_id: request_id.into(),
                person: [7; 32],
                request_signature: vec![1, 2, 3],
                answer_signature: vec![4, 5, 6],
            },
        }
    }

    fn k(request_id: &str, final_: bool) -> Key {
        ("39131156".into(), request_id.into(), final_)
    }

    #[test]
    fn remembers_two_generations_and_says_when_it_stops_being_complete() {
        let mut m = Memory::new(true, 3);
        for i in 0..3u64 {
            m.remember(&entry(i, &format!("r{i}"), Outcome::Data));
        }
        // The first generation is full and became the previous one: nothing forgotten yet.
        assert!(m.complete());
        assert_eq!(m.being_freed(), 0);
        for i in 0..3u64 {
            let e = m.get(&k(&format!("r{i}"), true)).expect("remembered");
            assert_eq!(e.seq, i);
            // Slim: the signatures stay in the store.
            assert!(e.exchange.request_signature.is_empty());
            assert!(e.exchange.answer_signature.is_empty());
        }
        m.remember(&entry(3, "r3", Outcome::Unavailable));
        assert!(m.get(&k("r3", false)).is_some());
        assert!(
            m.get(&k("r3", true)).is_none(),
            "finality is part of the key"
        );
        m.remember(&entry(4, "r4", Outcome::Data));
        m.remember(&entry(5, "r5", Outcome::Data));
        assert!(!m.complete(), "r0..r2 are forgotten");
        assert_eq!(m.being_freed(), 3);
        assert!(m.get(&k("r0", true)).is_none());
        for (id, final_) in [("r3", false), ("r4", true), ("r5", true)] {
            assert!(m.get(&k(id, final_)).is_some(), "{id}");
        }
        // Freed a few per insert.
        m.remember(&entry(6, "r6", Outcome::Data));
        assert_eq!(m.being_freed(), 3 - FREED_PER_INSERT);
        m.remember(&entry(7, "r7", Outcome::Data));
        assert_eq!(m.being_freed(), 0);
    }

    #[test]
    fn an_incomplete_memory_stays_incomplete_and_keeps_its_room() {
        let mut m = Memory::new(false, 4);
        assert!(!m.complete());
        for i in 0..1000u64 {
            m.remember(&entry(i, &format!("r{i}"), Outcome::Data));
            assert!(m.current.capacity() >= 4 && m.current.len() < 4);
            assert!(m.being_freed() <= 4);
            assert!(m.get(&k(&format!("r{i}"), true)).is_some());
            // At least the last `room` keys are always remembered.
            for j in i.saturating_sub(3)..=i {
                assert!(
                    m.get(&k(&format!("r{j}"), true)).is_some(),
                    "r{j} after r{i}"
                );
            }
        }
        assert!(!m.complete());
    }

    #[test]
    fn a_slot_holding_another_key_is_no_hit() {
        let mut m = Memory::new(true, 8);
        // As if "r1" and "r2" hashed alike: the slot of r1 holds r2's entry.
        let slot = m.slot("39131156", "r1", true);
        m.current
            .insert(slot, Box::new(entry(2, "r2", Outcome::Data)));
        assert!(m.get(&k("r1", true)).is_none());
        // The entry under a slot of its own is found.
        m.remember(&entry(1, "r1", Outcome::Data));
        assert_eq!(m.get(&k("r1", true)).map(|e| e.seq), Some(1));
    }
}
