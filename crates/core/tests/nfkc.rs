//! `nfkc` takes a shortcut for text that is already normalized; whatever the input, the result
//! is exactly Unicode NFKC.

use proptest::prelude::*;
use renkei_core::text::nfkc;
use unicode_normalization::UnicodeNormalization;

/// Characters where names and addresses live, and the ones that normalization changes.
fn japanese_text() -> impl Strategy<Value = String> {
    let ranges = prop_oneof![
        0x20u32..0x7f,     // ASCII
        0x3000u32..0x3100, // spaces, punctuation, hiragana, katakana
        0x4e00u32..0x4f00, // kanji
        0xff00u32..0xffa0, // full-width Latin, half-width katakana and voicing marks
        0xf900u32..0xfa70, // CJK compatibility ideographs
        0x0300u32..0x0370, // combining marks
    ];
    proptest::collection::vec(ranges.prop_filter_map("a char", char::from_u32), 0..24)
        .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #[test]
    fn nfkc_is_unicode_nfkc(s in japanese_text()) {
        prop_assert_eq!(nfkc(&s), s.nfkc().collect::<String>());
    }

    #[test]
    fn nfkc_any_string_is_unicode_nfkc(s in any::<String>()) {
        prop_assert_eq!(nfkc(&s), s.nfkc().collect::<String>());
    }
}
