//! `renkei pki issue` keeps an institution's certificate across runs, but never hands out a
//! certificate that names a different institution under the same code.

use renkei_wire::pki::{Pki, PkiError};
use renkei_wire::{Identity, Role};

#[test]
fn reissuing_keeps_the_same_certificate_and_refuses_a_different_institution() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::open_or_create(dir.path()).unwrap();
    let koiki = Identity::new("koiki-13", Role::Insurer, "東京都後期高齢者医療広域連合");
    let files = pki.issue(&koiki).unwrap();
    let first = std::fs::read(&files.cert).unwrap();

    let again = pki.issue(&koiki).unwrap();
    assert_eq!(
        std::fs::read(&again.cert).unwrap(),
        first,
        "same institution: kept as is"
    );

    for other in [
        Identity::new("koiki-13", Role::Agency, "東京都後期高齢者医療広域連合"),
        Identity::new("koiki-13", Role::Insurer, "別の広域連合"),
    ] {
        match pki.issue(&other) {
            Err(e @ PkiError::Mismatch { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("koiki-13 / insurer / 東京都後期高齢者医療広域連合"),
                    "{text}"
                );
            }
            other => panic!("expected a mismatch refusal, got {other:?}"),
        }
    }
    assert_eq!(
        std::fs::read(&files.cert).unwrap(),
        first,
        "refusal changes nothing"
    );
}
