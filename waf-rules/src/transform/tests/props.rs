//! Property tests over arbitrary bytes and over escape-heavy inputs that exercise the parsers' edge paths.

use proptest::prelude::*;

use super::chain::sequential;
use crate::transform::{Chain, Scratch, TransformationType as T};

/// Bytes that start, end or break escapes in some transformation, plus a little plain text.
const INTERESTING: &[u8] =
    b"%uU+&#xX;\\/.0123456789abcdefABCDEFgz{}() \t\n\r\x0b\x0c\x00\xa0\xc2\xc0\xe2\xed\xf0\xff\x80^'\",*-<!>=";

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(prop::sample::select(INTERESTING), 0..300),
    ]
}

fn any_type() -> impl Strategy<Value = T> {
    prop::sample::select(T::ALL.to_vec())
}

fn percent_encode(input: &[u8], mask: &[bool], upper: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &b) in input.iter().enumerate() {
        let encode = mask.get(i).copied().unwrap_or(true) || matches!(b, b'%' | b'+');
        if b == b' ' && !encode {
            out.push(b'+');
        } else if encode {
            let s = if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            };
            out.extend_from_slice(s.as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fn base64_encode(input: &[u8], pad: bool) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 0x3F) as usize]);
        }
        if pad {
            out.extend(std::iter::repeat_n(b'=', 3 - chunk.len()));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_length_bounds_hold(kind in any_type(), input in arbitrary_bytes()) {
        let out = kind.apply_to_vec(&input);
        if kind.never_lengthens() {
            prop_assert!(out.len() <= input.len(), "{} lengthened {:?}", kind, input);
        }
    }

    #[test]
    fn may_change_false_means_unchanged(kind in any_type(), input in arbitrary_bytes()) {
        if !kind.may_change(&input) {
            prop_assert_eq!(kind.apply_to_vec(&input), input);
        }
    }

    #[test]
    fn idempotent_types_are_idempotent(kind in any_type(), input in arbitrary_bytes()) {
        if kind.is_idempotent() {
            let once = kind.apply_to_vec(&input);
            prop_assert_eq!(kind.apply_to_vec(&once), once);
        }
    }

    #[test]
    fn url_decode_inverts_percent_encoding(
        input in prop::collection::vec(any::<u8>(), 0..200),
        mask in prop::collection::vec(any::<bool>(), 0..200),
        upper in any::<bool>(),
    ) {
        let encoded = percent_encode(&input, &mask, upper);
        prop_assert_eq!(T::UrlDecode.apply_to_vec(&encoded), input.clone());
        // URL_DECODE_UNI agrees whenever no literal "%u" survives encoding (here '%' is always encoded).
        prop_assert_eq!(T::UrlDecodeUni.apply_to_vec(&encoded), input);
    }

    #[test]
    fn base64_decoders_invert_base64(input in prop::collection::vec(any::<u8>(), 0..200), pad in any::<bool>()) {
        let encoded = base64_encode(&input, pad);
        prop_assert_eq!(T::Base64Decode.apply_to_vec(&encoded), input.clone());
        prop_assert_eq!(T::Base64DecodeExt.apply_to_vec(&encoded), input);
    }

    #[test]
    fn hex_decode_inverts_hex(input in prop::collection::vec(any::<u8>(), 0..200), upper in any::<bool>()) {
        let encoded: String = input.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect();
        prop_assert_eq!(T::HexDecode.apply_to_vec(encoded.as_bytes()), input);
    }

    #[test]
    fn utf8_to_unicode_then_url_decode_uni_gives_low_bytes(chars in prop::collection::vec(any::<char>(), 0..60)) {
        // Keep to the BMP (4-digit %u escapes) and avoid '%'/'+', which URL_DECODE_UNI would also decode.
        let text: String = chars.into_iter().map(|c| if u32::from(c) > 0xFFFF || c == '%' || c == '+' { 'x' } else { c }).collect();
        let escaped = T::Utf8ToUnicode.apply_to_vec(text.as_bytes());
        prop_assert!(escaped.is_ascii());
        let expected: Vec<u8> = text
            .chars()
            .map(|c| {
                let cp = u32::from(c);
                let (hi, lo) = ((cp >> 8) as u8, cp as u8);
                if hi == 0xFF && (0x01..0x5F).contains(&lo) { lo + 0x20 } else { lo }
            })
            .collect();
        prop_assert_eq!(T::UrlDecodeUni.apply_to_vec(&escaped), expected);
    }

    #[test]
    fn chain_equals_sequential_application(
        steps in prop::collection::vec(any_type(), 0..6),
        first in arbitrary_bytes(),
        second in arbitrary_bytes(),
    ) {
        let chain = Chain::new(steps.iter().copied());
        let mut scratch = Scratch::new();
        // Same scratch for two inputs: leftovers from the first evaluation must not leak into the second.
        for input in [&first, &second] {
            let expected = steps.iter().fold(input.clone(), |value, step| step.apply_to_vec(&value));
            prop_assert_eq!(sequential(&chain, input), expected.clone());
            prop_assert_eq!(chain.apply(input, &mut scratch), expected.as_slice());
        }
    }
}

/// The push-based CMD_LINE_UNIX that the table-driven one replaced, kept as its reference.
fn cmd_line_unix_reference(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' => {}
            _ if crate::transform::tables::is_c_space(b) => {
                if out.last().is_some_and(|&l| l != b' ') {
                    out.push(b' ');
                }
            }
            _ => out.push(b.to_ascii_lowercase()),
        }
    }
    if out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

/// The push-based CMD_LINE_WIN that the table-driven one replaced, kept as its reference.
fn cmd_line_win_reference(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        i += 1;
        match b {
            b'^' => match input.get(i) {
                Some(b'\n') => i += 1,
                Some(b'\r') if input.get(i + 1) == Some(&b'\n') => i += 2,
                _ => {}
            },
            b'"' | b'\'' => {}
            b'\\' => {
                if out.last() != Some(&b'\\') {
                    out.push(b'\\');
                }
            }
            _ if crate::transform::tables::is_c_space(b) => {
                if out.last().is_some_and(|&l| l != b' ') {
                    out.push(b' ');
                }
            }
            _ => out.push(b.to_ascii_lowercase()),
        }
    }
    if out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

proptest! {
    #[test]
    fn cmd_line_unix_and_win_match_their_references(input in arbitrary_bytes(), prefix in arbitrary_bytes()) {
        for (kind, reference) in [
            (T::CmdLineUnix, cmd_line_unix_reference as fn(&[u8]) -> Vec<u8>),
            (T::CmdLineWin, cmd_line_win_reference),
        ] {
            // Appending after existing bytes must leave them alone and see only its own output.
            let mut out = prefix.clone();
            kind.apply(&input, &mut out);
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&out[prefix.len()..], &reference(&input)[..], "{:?}", kind);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// What slot sharing relies on: the steps before [`Chain::first_change`] can be dropped, and a type's
    /// [`T::equivalent_on`] gives the same result on that input.
    #[test]
    fn chain_from_first_change_equals_whole_chain(
        steps in prop::collection::vec(any_type(), 0..6),
        input in arbitrary_bytes(),
    ) {
        let chain = Chain::new(steps.iter().copied());
        let mut scratch = Scratch::new();
        let whole = chain.apply(&input, &mut scratch).to_vec();
        let k = chain.first_change(&input);
        prop_assert!(chain.steps()[..k].iter().all(|s| !s.always_may_change()));
        prop_assert_eq!(chain.apply_from(k, &input, &mut scratch), whole.as_slice());
        if let Some(&step) = chain.steps().get(k) {
            let mut swapped: Vec<T> = chain.steps().to_vec();
            swapped[k] = step.equivalent_on(&input);
            let swapped = Chain::new(swapped);
            prop_assert_eq!(swapped.apply_from(k, &input, &mut scratch), whole.as_slice());
        }
    }

    #[test]
    fn equivalent_types_agree(kind in any_type(), input in arbitrary_bytes()) {
        prop_assert_eq!(kind.equivalent_on(&input).apply_to_vec(&input), kind.apply_to_vec(&input));
    }

    #[test]
    fn always_may_change_types_always_may_change(kind in any_type(), input in arbitrary_bytes()) {
        if kind.always_may_change() {
            prop_assert!(kind.may_change(&input));
        }
    }
}
