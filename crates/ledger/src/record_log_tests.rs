use proptest::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use time::OffsetDateTime;

use super::*;

fn key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

fn exchange(i: u64) -> Exchange {
    Exchange {
        asker: format!("koiki-{:02}", i % 47 + 1),
        provider: format!("city-{:06}", 131016 + i),
        task: "K01".into(),
        info: if i.is_multiple_of(2) { "J01" } else { "J02" }.into(),
        outcome: match i % 4 {
            0 => Outcome::Data,
            1 => Outcome::NoRecord,
            2 => Outcome::Refused("provider_not_holder".into()),
            _ => Outcome::Unavailable,
        },
        disclosable: i % 5 != 4,
        request_id: format!("req-{i}"),
        person: [i as u8; 32],
        request_signature: vec![1, 2, i as u8],
        answer_signature: if i.is_multiple_of(3) {
            vec![]
        } else {
            vec![9; 64]
        },
    }
}

/// A clean log of `n` entries with a checkpoint every `every`, and one on demand at the end.
fn log(n: u64, every: u64) -> (Vec<Entry>, Vec<Checkpoint>, Vec<u8>) {
    let mut w = LogWriter::new(key(), every);
    let t0 = OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap();
    let (mut entries, mut cps) = (vec![], vec![]);
    for i in 0..n {
        let (e, cp) = w.append(
            exchange(i),
            t0 + time::Duration::microseconds(i as i64 * 1001),
        );
        entries.push(e);
        cps.extend(cp);
    }
    cps.extend(w.checkpoint(t0 + time::Duration::hours(1)));
    (entries, cps, w.public_key())
}

/// Changes field `field` (0..12) of an entry, keeping its stored hash.
fn alter(e: &mut Entry, field: usize) {
    let x = &mut e.exchange;
    match field {
        0 => e.time_micros += 1,
        1 => x.asker.push('x'),
        2 => x.provider = "city-999999".into(),
        3 => x.task = "K02".into(),
        4 => x.info.push('9'),
        5 => {
            x.outcome = match x.outcome {
                Outcome::Data => Outcome::NoRecord,
                _ => Outcome::Data,
            }
        }
        6 => x.request_id.push('!'),
        7 => x.person[31] ^= 1,
        8 => x.request_signature.push(0),
        9 => x.answer_signature = vec![7; 64],
        10 => e.hash[0] ^= 0x80,
        11 => x.disclosable = !x.disclosable,
        _ => e.seq += 1000,
    }
}

const FIELDS: usize = 13;

#[test]
fn a_clean_log_verifies() {
    let (entries, cps, public) = log(25, 10);
    assert_eq!(cps.iter().map(|c| c.seq).collect::<Vec<_>>(), [10, 20, 25]);
    let s = verify(&entries, &cps, &public).unwrap();
    assert_eq!(
        (s.entries, s.checkpoints, s.signed_through, s.unsigned_tail),
        (25, 3, 25, 0)
    );
    assert_eq!(s.head, entries[24].hash);
    // Without the on-demand checkpoint the last five entries are chained, not signed.
    let s = verify(&entries, &cps[..2], &public).unwrap();
    assert_eq!((s.signed_through, s.unsigned_tail), (20, 5));
    assert_eq!(verify(&[], &[], &public).unwrap().entries, 0);
}

#[test]
fn on_demand_checkpoint_is_none_when_the_head_is_signed() {
    let mut w = LogWriter::new(key(), 2);
    let now = OffsetDateTime::now_utc();
    assert!(w.checkpoint(now).is_none());
    assert!(w.append(exchange(0), now).1.is_none());
    assert_eq!(w.append(exchange(1), now).1.unwrap().seq, 2);
    assert!(w.checkpoint(now).is_none());
    w.append(exchange(2), now);
    assert_eq!(w.checkpoint(now).unwrap().seq, 3);
}

#[test]
fn a_resumed_writer_continues_the_same_chain() {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let now = OffsetDateTime::now_utc();
    let mut w = LogWriter::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap(), 3);
    let (mut entries, mut cps) = (vec![], vec![]);
    for i in 0..4 {
        let (e, cp) = w.append(exchange(i), now);
        entries.push(e);
        cps.extend(cp);
    }
    let key_again = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut w = LogWriter::resume(key_again, 3, entries.last(), 3);
    for i in 4..6 {
        let (e, cp) = w.append(exchange(i), now);
        entries.push(e);
        cps.extend(cp);
    }
    assert_eq!(cps.iter().map(|c| c.seq).collect::<Vec<_>>(), [3, 6]);
    assert_eq!(verify(&entries, &cps, &w.public_key()).unwrap().entries, 6);
}

#[test]
fn the_encoding_is_the_documented_one() {
    // Recomputed outside Rust (Python hashlib) from the encoding in the module doc and
    // docs/formats.md, so a change of either shows here.
    let h = entry_hash(&[0; 32], 1, 1_764_000_000_000_000, &exchange(2));
    assert_eq!(
        hex(&h),
        "40922885d5d91f2a4c0a6b79e221c80f93290c6339a104b1e80835a2e1dccdda"
    );
    let mut other = exchange(2);
    other.asker = "koiki-0".into();
    other.provider = "3city-131018".into();
    assert_ne!(
        entry_hash(&[0; 32], 1, 1_764_000_000_000_000, &other),
        h,
        "length prefixes"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn a_chain_rewritten_after_a_change_is_caught_by_its_checkpoint() {
    let (mut entries, cps, public) = log(30, 10);
    entries[13].exchange.outcome = Outcome::Data;
    entries[13].exchange.task = "K03".into();
    let mut prev = entries[12].hash;
    for e in &mut entries[13..] {
        e.hash = entry_hash(&prev, e.seq, e.time_micros, &e.exchange);
        prev = e.hash;
    }
    let err = verify(&entries, &cps, &public).unwrap_err();
    assert_eq!(err, VerifyError::CheckpointMismatch { from: 11, to: 20 });
    assert_eq!(err.first_bad_entry(), 11);
    assert_eq!(
        err.to_string(),
        "記録11〜20がチェックポイントと一致しません（改ざんされています）"
    );
}

#[test]
fn a_checkpoint_from_another_key_is_refused() {
    let (entries, cps, _) = log(5, 5);
    let other = LogWriter::new(key(), 1).public_key();
    let err = verify(&entries, &cps, &other).unwrap_err();
    assert_eq!(err, VerifyError::BadCheckpointSignature { from: 1, to: 5 });
}

#[test]
fn checkpoints_out_of_order_or_twice_are_refused() {
    let (entries, mut cps, public) = log(9, 3);
    cps.swap(0, 1);
    assert_eq!(
        verify(&entries, &cps, &public).unwrap_err(),
        VerifyError::CheckpointOrder { seq: 3 }
    );
    let (entries, mut cps, public) = log(9, 3);
    cps.insert(1, cps[0].clone());
    assert_eq!(
        verify(&entries, &cps, &public).unwrap_err(),
        VerifyError::CheckpointOrder { seq: 3 }
    );
}

#[test]
fn sender_signatures_are_checked_by_the_given_function() {
    let (entries, cps, public) = log(6, 3);
    let err = verify_with(&entries, &cps, &public, |e| {
        if e.exchange.request_id == "req-4" {
            Err("署名が照会者の証明書と一致しません".into())
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(err.first_bad_entry(), 5);
    assert!(err.to_string().contains("記録5の送信者署名"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clean_logs_verify(n in 0u64..60, every in 1u64..12) {
        let (entries, cps, public) = log(n, every);
        let s = verify(&entries, &cps, &public).unwrap();
        prop_assert_eq!((s.entries, s.signed_through, s.unsigned_tail), (n, n, 0));
        prop_assert_eq!(s.checkpoints as u64, n.div_ceil(every));
    }

    #[test]
    fn altering_any_field_of_one_entry_names_it(
        n in 1u64..40, every in 1u64..8, pick in any::<prop::sample::Index>(), field in 0..FIELDS,
    ) {
        let (mut entries, cps, public) = log(n, every);
        let i = pick.index(entries.len());
        alter(&mut entries[i], field);
        let err = verify(&entries, &cps, &public).unwrap_err();
        prop_assert_eq!(err.first_bad_entry(), i as u64 + 1, "{}", err);
    }

    #[test]
    fn deleting_one_entry_names_it(n in 2u64..40, every in 1u64..8, pick in any::<prop::sample::Index>()) {
        let (mut entries, cps, public) = log(n, every);
        let i = pick.index(entries.len());
        entries.remove(i);
        // The log ends with an on-demand checkpoint, so even the last entry is vouched for.
        let err = verify(&entries, &cps, &public).unwrap_err();
        prop_assert_eq!(err, VerifyError::Missing { seq: i as u64 + 1 });
    }

    #[test]
    fn swapping_two_entries_names_the_first(
        n in 2u64..40, every in 1u64..8, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>(),
    ) {
        let (mut entries, cps, public) = log(n, every);
        let (a, b) = (a.index(entries.len()), b.index(entries.len()));
        prop_assume!(a != b);
        entries.swap(a, b);
        let err = verify(&entries, &cps, &public).unwrap_err();
        let first = a.min(b) as u64 + 1;
        prop_assert_eq!(err, VerifyError::OutOfOrder { seq: first, found: a.max(b) as u64 + 1 });
    }

    #[test]
    fn inserting_a_copy_names_its_place(n in 1u64..40, every in 1u64..8, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let (mut entries, cps, public) = log(n, every);
        let original = a.index(entries.len());
        let at = b.index(entries.len() + 1);
        entries.insert(at, entries[original].clone());
        let err = verify(&entries, &cps, &public).unwrap_err();
        // A copy put just before its original is in the right place; the original, now one
        // further down, is the first entry that does not belong.
        let first = if at == original { at + 2 } else { at + 1 };
        prop_assert_eq!(err.first_bad_entry(), first as u64, "{}", err);
    }

    #[test]
    fn altering_a_checkpoint_signature_names_its_range(
        n in 1u64..40, every in 1u64..8, pick in any::<prop::sample::Index>(), byte in 0usize..64,
    ) {
        let (entries, mut cps, public) = log(n, every);
        let c = pick.index(cps.len());
        cps[c].signature[byte] ^= 1;
        let from = if c == 0 { 1 } else { cps[c - 1].seq + 1 };
        let err = verify(&entries, &cps, &public).unwrap_err();
        prop_assert_eq!(err, VerifyError::BadCheckpointSignature { from, to: cps[c].seq });
    }
}

#[test]
fn a_refusal_is_recorded_by_its_stable_code() {
    let t = renkei_wire::permission::PermissionTable::builtin();
    let refusal = t
        .authorize(
            renkei_wire::permission::InstitutionKind::Municipality,
            &"K01".parse().unwrap(),
            renkei_wire::permission::InstitutionKind::Municipality,
            &"J01".parse().unwrap(),
        )
        .unwrap_err();
    assert_eq!(
        Outcome::from(&refusal),
        Outcome::Refused("task_not_for_asker".into())
    );
}

#[test]
fn outcomes_round_trip_through_their_stored_codes_and_unknown_codes_are_refused() {
    for o in [
        Outcome::Data,
        Outcome::NoRecord,
        Outcome::Refused("unknown_task".into()),
        Outcome::Unavailable,
    ] {
        let (code, refusal) = o.to_code();
        assert_eq!(
            Outcome::from_code(code, refusal.map(str::to_owned)),
            Some(o)
        );
    }
    assert_eq!(Outcome::from_code(2, None), None);
    assert_eq!(Outcome::from_code(4, None), None);
}
