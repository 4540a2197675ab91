//! Unit and property tests for the transformations.
//!
//! Expected values cite the AWS WAF developer guide ("Text transformation options") where it gives an example,
//! and ModSecurity v3's documented/implemented behaviour otherwise.

mod chain;
mod decoding;
mod escapes;
mod names;
mod paths;
mod props;
mod text;

use super::TransformationType;

/// Applies one transformation and returns the result.
pub(super) fn run(kind: TransformationType, input: &[u8]) -> Vec<u8> {
    kind.apply_to_vec(input)
}

/// Asserts `kind(input) == expected`, showing both as escaped strings on failure, and that the `may_change`
/// pre-check never claims "unchanged" for an input the transformation does change.
#[track_caller]
pub(super) fn check(kind: TransformationType, input: &[u8], expected: &[u8]) {
    let got = run(kind, input);
    assert_eq!(
        got.escape_ascii().to_string(),
        expected.escape_ascii().to_string(),
        "{kind} of {:?}",
        input.escape_ascii().to_string()
    );
    if got != input {
        assert!(
            kind.may_change(input),
            "{kind}: may_change said no for an input it changes"
        );
    }
}

/// `apply` appends: existing contents of the output buffer are kept.
#[test]
fn apply_appends_to_existing_output() {
    for kind in TransformationType::ALL {
        let mut out = b"prefix".to_vec();
        kind.apply(b"Ab%41", &mut out);
        assert!(out.starts_with(b"prefix"), "{kind} clobbered the output buffer");
        assert_eq!(
            &out[6..],
            run(kind, b"Ab%41").as_slice(),
            "{kind} depends on the output buffer's contents"
        );
    }
}

/// Every type maps the empty input to the empty output, except the digests.
#[test]
fn empty_input() {
    for kind in TransformationType::ALL {
        let out = run(kind, b"");
        match kind {
            TransformationType::Md5 => assert_eq!(out.len(), 16),
            TransformationType::Sha256 => assert_eq!(out.len(), 32),
            _ => assert!(out.is_empty(), "{kind} of empty input gave {out:?}"),
        }
    }
}
