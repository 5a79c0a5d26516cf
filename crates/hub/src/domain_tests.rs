use super::*;
use crate::config::HubConfig;
use renkei_core::crypto::Key32;

fn agency(s: &str) -> AgencyCode {
    AgencyCode::parse(s).unwrap()
}

#[test]
fn base32_matches_rfc_4648() {
    assert_eq!(base32(b""), "");
    assert_eq!(base32(b"f"), "MY");
    assert_eq!(base32(b"fo"), "MZXQ");
    assert_eq!(base32(b"foo"), "MZXW6");
    assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    assert_eq!(base32(&[0xff; 20]).len(), 32);
}

#[test]
fn fugo_is_deterministic_per_person_and_agency() {
    let d = Derivation::new(&HubConfig::generate_keys());
    let person = d.person_key(&ResidentCode::from_body_u64(1_234_567_890));
    let a = d.fugo(&person, &agency("koiki-13"));
    assert_eq!(a, d.fugo(&person, &agency("koiki-13")));
    assert_eq!(a.0.len(), 32);
    assert!(a
        .0
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    // Another agency, another person, or another key gives another 符号.
    assert_ne!(a, d.fugo(&person, &agency("city-131016")));
    let other = d.person_key(&ResidentCode::from_body_u64(1_234_567_891));
    assert_ne!(a, d.fugo(&other, &agency("koiki-13")));
    let d2 = Derivation::new(&HubConfig::generate_keys());
    assert_ne!(
        a,
        d2.fugo(
            &d2.person_key(&ResidentCode::from_body_u64(1_234_567_890)),
            &agency("koiki-13")
        )
    );
}

#[test]
fn the_same_keys_derive_the_same_values() {
    let keys = HubConfig::generate_keys();
    let (d1, d2) = (Derivation::new(&keys), Derivation::new(&keys.clone()));
    let n = MyNumber::parse("621498320257").unwrap();
    assert_eq!(d1.number_key(&n), d2.number_key(&n));
    let code = ResidentCode::from_body_u64(42);
    assert_eq!(
        d1.fugo(&d1.person_key(&code), &agency("a")),
        d2.fugo(&d2.person_key(&code), &agency("a"))
    );
}

#[test]
fn each_derivation_uses_its_own_key() {
    // The same bytes are hashed under each of the hub's keys: each derivation must give the
    // value of its own key and not another's (values of different inputs would differ anyway).
    let keys = HubConfig::generate_keys();
    let d = Derivation::new(&keys);
    let hmac = |key: &Key32, data: &[u8]| KeyedHasher::new(key).hash(data);

    let n = MyNumber::parse("621498320257").unwrap();
    let digits = n.expose().as_bytes();
    assert_eq!(d.number_key(&n), hmac(&keys.number_hash, digits));
    assert_ne!(d.number_key(&n), hmac(&keys.person, digits));
    assert_ne!(d.number_key(&n), hmac(&keys.fugo, digits));

    let code = ResidentCode::from_body_u64(42);
    let digits = code.expose().as_bytes();
    let person = d.person_key(&code);
    assert_eq!(person, hmac(&keys.person, digits));
    assert_ne!(person, hmac(&keys.number_hash, digits));
    assert_ne!(person, hmac(&keys.fugo, digits));

    let input = [&person[..], &b"\0koiki-13"[..]].concat();
    let fugo = |key: &Key32| base32(&hmac(key, &input)[..FUGO_BYTES]);
    let derived = d.fugo(&person, &agency("koiki-13")).0;
    assert_eq!(derived, fugo(&keys.fugo));
    assert_ne!(derived, fugo(&keys.person));
    assert_ne!(derived, fugo(&keys.number_hash));
}

#[test]
fn agency_codes_are_checked() {
    assert!(AgencyCode::parse("koiki-13").is_ok());
    assert!(AgencyCode::parse("city_131016").is_ok());
    assert!(AgencyCode::parse("").is_err());
    assert!(AgencyCode::parse("a\0b").is_err());
    assert!(AgencyCode::parse("東京").is_err());
    assert!(AgencyCode::parse(&"a".repeat(65)).is_err());
}

#[test]
fn who_may_obtain_fugo() {
    let koiki = agency("koiki-13");
    let intermediate = Identity::new("intermediate", Role::Intermediate, "中間サーバ");
    assert!(authorize_issue(&intermediate, &koiki).is_ok());
    let city = Identity::new("city-131016", Role::Agency, "千代田区");
    assert!(authorize_issue(&city, &agency("city-131016")).is_ok());
    assert!(authorize_issue(&city, &koiki)
        .unwrap_err()
        .rule
        .contains("自機関"));
    for role in [Role::Insurer, Role::Hub, Role::Registry, Role::Operator] {
        let caller = Identity::new("koiki-13", role, "x");
        assert!(
            authorize_issue(&caller, &koiki)
                .unwrap_err()
                .rule
                .contains("規則"),
            "{role:?}"
        );
    }
}

#[test]
fn batches_are_limited() {
    assert!(check_batch(MAX_BATCH).is_ok());
    assert!(check_batch(MAX_BATCH + 1).is_err());
}
