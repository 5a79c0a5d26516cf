//! The in-memory search index for look-ups by 基本4情報: residents grouped by 生年月日, each
//! kept as a compact record (matching keys of 氏名, カナ and 住所 in one shared text arena,
//! fingerprints of the written forms, 性別, 消除 flag and the 個人番号 as a number).
//!
//! A search only ever scores the residents born on the asked day, so it never returns a
//! different 生年月日 and costs a few hundred comparisons at 10,000,000 residents. Memory is
//! about 40 bytes per resident, plus the keys (~75 bytes), plus the two maps (~35 bytes):
//! some 1.5 GiB at 10 million.
//!
//! The index is built when the store opens and kept in step by the store after every write
//! (upsert, 転居, 氏名変更, 消除, number change). Text replaced by an update stays in the arena
//! until the next start (measured as `garbage`). The index lives only in the registry's
//! memory, which already holds the key that unseals every 個人番号.

use std::collections::HashMap;
use std::sync::RwLock;

use renkei_core::text::{
    address_key, fingerprint, kana_key, name_key, score_view, trim_ja, Basic4, CandidateScore,
    ItemView, RecordView,
};
use renkei_core::{Date, MyNumber, Sex};

/// A resident's items ready to enter the index (keys computed outside its lock).
#[derive(Clone)]
pub struct Prepared {
    number: u64,
    keys: String,
    lens: [u16; 3],
    prints: [u32; 3],
    birth: i32,
    sex: u8,
}

impl Prepared {
    /// Computes the matching keys of a resident's 氏名, カナ and 住所.
    pub fn new(
        number: &MyNumber,
        name: &str,
        kana: &str,
        birth: Date,
        sex: Sex,
        address: &str,
    ) -> Prepared {
        let parts = [name_key(name), kana_key(kana), address_key(address)];
        let mut keys = String::with_capacity(parts.iter().map(String::len).sum());
        let mut lens = [0u16; 3];
        for (i, p) in parts.iter().enumerate() {
            // A key longer than 65,535 bytes is cut at a character boundary.
            let mut end = p.len().min(u16::MAX as usize);
            while !p.is_char_boundary(end) {
                end -= 1;
            }
            keys.push_str(&p[..end]);
            lens[i] = end as u16;
        }
        Prepared {
            number: number_value(number),
            keys,
            lens,
            prints: [
                fingerprint(trim_ja(name)),
                fingerprint(trim_ja(kana)),
                fingerprint(trim_ja(address)),
            ],
            birth: birth.to_julian_day(),
            sex: sex.code(),
        }
    }
}

fn number_value(n: &MyNumber) -> u64 {
    n.expose().parse().expect("a 個人番号 is 12 digits")
}

fn my_number(v: u64) -> MyNumber {
    MyNumber::from_body_u64(v / 10)
}

#[derive(Clone, Copy)]
struct Entry {
    number: u64,
    text: u64,
    lens: [u16; 3],
    prints: [u32; 3],
    birth: i32,
    sex: u8,
    removed: bool,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// The keys of every entry, back to back (a `String`, so slicing needs no validation).
    text: String,
    garbage: u64,
    by_number: HashMap<u64, u32>,
    by_birth: HashMap<i32, Vec<u32>>,
}

/// One search result: the resident and how they compared.
#[derive(Clone)]
pub struct Hit {
    pub my_number: MyNumber,
    /// The resident's 生年月日 (always the query's).
    pub birth: Date,
    pub score: CandidateScore,
    pub removed: bool,
}

/// Size figures of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub residents: u64,
    /// Bytes of the text arena (keys), including replaced text.
    pub text_bytes: u64,
    pub garbage_bytes: u64,
    /// Estimated bytes held by the index in all.
    pub estimated_bytes: u64,
}

/// The index (see the module documentation).
#[derive(Default)]
pub struct SearchIndex {
    inner: RwLock<Inner>,
}

impl Inner {
    fn view(&self, e: &Entry) -> RecordView<'_> {
        let mut at = e.text as usize;
        let mut item = |i: usize| {
            let len = e.lens[i] as usize;
            // Keys were pushed whole, so both ends are character boundaries.
            let key = &self.text[at..at + len];
            at += len;
            (len > 0).then_some(ItemView {
                fingerprint: e.prints[i],
                key,
            })
        };
        let name = item(0);
        let kana = item(1);
        let address = item(2);
        RecordView {
            name,
            kana,
            birth: Date::from_julian_day(e.birth).unwrap_or(Date::MIN),
            sex: Sex::from_code(e.sex).ok(),
            address,
        }
    }

    fn unlink_birth(&mut self, slot: u32, birth: i32) {
        if let Some(list) = self.by_birth.get_mut(&birth) {
            if let Some(i) = list.iter().position(|&s| s == slot) {
                list.swap_remove(i);
            }
            if list.is_empty() {
                self.by_birth.remove(&birth);
            }
        }
    }

    fn put(&mut self, p: Prepared) {
        let text = self.text.len() as u64;
        self.text.push_str(&p.keys);
        let entry = Entry {
            number: p.number,
            text,
            lens: p.lens,
            prints: p.prints,
            birth: p.birth,
            sex: p.sex,
            removed: false,
        };
        match self.by_number.get(&p.number).copied() {
            Some(slot) => {
                let old = self.entries[slot as usize];
                self.garbage += old.lens.iter().map(|&l| u64::from(l)).sum::<u64>();
                if old.birth != entry.birth {
                    self.unlink_birth(slot, old.birth);
                    self.by_birth.entry(entry.birth).or_default().push(slot);
                }
                self.entries[slot as usize] = Entry {
                    removed: old.removed,
                    ..entry
                };
            }
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.entries[slot as usize] = entry;
                        slot
                    }
                    None => {
                        self.entries.push(entry);
                        (self.entries.len() - 1) as u32
                    }
                };
                self.by_number.insert(p.number, slot);
                self.by_birth.entry(entry.birth).or_default().push(slot);
            }
        }
    }
}

impl SearchIndex {
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }

    /// Adds or replaces residents (by 個人番号); a replaced resident keeps its 消除 flag.
    pub fn upsert(&self, prepared: Vec<Prepared>) {
        let mut inner = self.inner.write().expect("index lock");
        inner.entries.reserve(prepared.len());
        for p in prepared {
            inner.put(p);
        }
    }

    /// Removes a resident (their 個人番号 was replaced by another).
    pub fn remove(&self, number: &MyNumber) {
        let mut inner = self.inner.write().expect("index lock");
        if let Some(slot) = inner.by_number.remove(&number_value(number)) {
            let old = inner.entries[slot as usize];
            inner.garbage += old.lens.iter().map(|&l| u64::from(l)).sum::<u64>();
            inner.unlink_birth(slot, old.birth);
            inner.entries[slot as usize].number = 0;
            inner.free.push(slot);
        }
    }

    /// Marks residents as 消除 (or not).
    pub fn set_removed(&self, numbers: &[MyNumber], removed: bool) {
        let mut inner = self.inner.write().expect("index lock");
        for n in numbers {
            if let Some(&slot) = inner.by_number.get(&number_value(n)) {
                inner.entries[slot as usize].removed = removed;
            }
        }
    }

    /// Residents born on `query`'s 生年月日 whose 氏名 or カナ matches at least partially,
    /// best first (ties by 個人番号), at most `limit`.
    pub fn search(&self, query: &Basic4, limit: usize) -> Vec<Hit> {
        let inner = self.inner.read().expect("index lock");
        let Some(slots) = inner.by_birth.get(&query.birth().to_julian_day()) else {
            return Vec::new();
        };
        // The candidates' entries and keys lie anywhere in two large arrays, and at 10 million
        // residents nearly every one is a cache miss; asking for them a few candidates ahead
        // lets those misses overlap instead of following one another.
        let mut hits: Vec<(CandidateScore, u64, bool, i32)> = Vec::new();
        for (i, &slot) in slots.iter().enumerate() {
            if let Some(&ahead) = slots.get(i + 2 * PREFETCH_AHEAD) {
                prefetch(&inner.entries[ahead as usize]);
            }
            if let Some(&ahead) = slots.get(i + PREFETCH_AHEAD) {
                let e = &inner.entries[ahead as usize];
                let keys = inner.text.as_bytes().get(e.text as usize..);
                if let Some(keys) = keys {
                    prefetch(keys.as_ptr());
                    prefetch(keys.as_ptr().wrapping_add(64));
                }
            }
            let e = &inner.entries[slot as usize];
            if let Some(score) = score_view(query, &inner.view(e)) {
                hits.push((score, e.number, e.removed, e.birth));
            }
        }
        drop(inner);
        hits.sort_by(|a, b| b.0.score.cmp(&a.0.score).then(a.1.cmp(&b.1)));
        hits.truncate(limit);
        hits.into_iter()
            .map(|(score, number, removed, birth)| Hit {
                my_number: my_number(number),
                birth: Date::from_julian_day(birth).unwrap_or(Date::MIN),
                score,
                removed,
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.read().expect("index lock").by_number.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> IndexStats {
        let inner = self.inner.read().expect("index lock");
        let entries = inner.entries.capacity() * std::mem::size_of::<Entry>();
        // hashbrown: key + value + 1 control byte per bucket, buckets ≥ 8/7 × len.
        let numbers = inner.by_number.capacity() * (16 + 1);
        let births = inner
            .by_birth
            .values()
            .map(|v| v.capacity() * 4 + 32)
            .sum::<usize>();
        IndexStats {
            residents: inner.by_number.len() as u64,
            text_bytes: inner.text.len() as u64,
            garbage_bytes: inner.garbage,
            estimated_bytes: (entries + numbers + births + inner.text.capacity()) as u64,
        }
    }
}

/// How many candidates ahead a search asks for the keys it will compare (and twice as many
/// ahead for the entries that say where those keys are).
const PREFETCH_AHEAD: usize = 4;

/// Asks the CPU to bring the cache line at `p` in; a hint only, `p` is never read here.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    // SAFETY: SSE is part of every x86_64 target, and a prefetch never dereferences `p`: it
    // cannot fault, whatever the address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prepares many residents on up to four threads (start-up and bulk loads).
pub fn prepare_all<T: Sync>(items: &[T], f: impl Fn(&T) -> Prepared + Sync) -> Vec<Prepared> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads < 2 || items.len() < 2_000 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("index preparation thread"))
            .collect()
    })
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
