//! Chain construction, normalisation, equality and allocation-free evaluation.

use std::collections::HashSet;

use crate::transform::{
    Chain, ChainError, Scratch, TextTransformation, TransformationType as T, UnknownTransformation,
};

fn tt(priority: u32, kind: T) -> TextTransformation {
    TextTransformation { priority, kind }
}

#[test]
fn from_aws_sorts_by_priority() {
    let chain = Chain::from_aws(&[tt(10, T::Lowercase), tt(0, T::UrlDecode), tt(3, T::HtmlEntityDecode)])
        .expect("distinct priorities");
    assert_eq!(chain.steps(), &[T::UrlDecode, T::HtmlEntityDecode, T::Lowercase]);
    let mut scratch = Scratch::new();
    assert_eq!(chain.apply(b"%26LT;SCRIPT%3e", &mut scratch), b"<script>");
}

#[test]
fn empty_list_is_the_identity() {
    let chain = Chain::from_aws(&[]).expect("empty is valid");
    assert!(chain.is_identity());
    assert_eq!(chain, Chain::identity());
    assert_eq!(chain.apply(b"ABC", &mut Scratch::new()), b"ABC");
}

#[test]
fn duplicate_priorities_are_rejected() {
    let err = Chain::from_aws(&[tt(1, T::Lowercase), tt(1, T::UrlDecode)]).unwrap_err();
    assert_eq!(err, ChainError::DuplicatePriority(1));
    assert_eq!(
        err.to_string(),
        "two text transformations have priority 1; priorities must be different"
    );
}

#[test]
fn from_aws_names_parses_and_reports_unknown_types() {
    let chain = Chain::from_aws_names([(1, "LOWERCASE"), (0, "URL_DECODE_UNI")]).expect("valid");
    assert_eq!(chain.steps(), &[T::UrlDecodeUni, T::Lowercase]);
    let err = Chain::from_aws_names([(0, "LOWERCASE"), (1, "ROT13")]).unwrap_err();
    assert_eq!(err, ChainError::Unknown(UnknownTransformation("ROT13".into())));
}

#[test]
fn normalisation_drops_none_and_merges_idempotent_repeats() {
    let chain = Chain::new([
        T::None,
        T::Lowercase,
        T::None,
        T::Lowercase,
        T::UrlDecode,
        T::UrlDecode,
        T::None,
    ]);
    // URL_DECODE twice is not URL_DECODE once (%2541), so both stay.
    assert_eq!(chain.steps(), &[T::Lowercase, T::UrlDecode, T::UrlDecode]);
    assert!(Chain::new([T::None, T::None]).is_identity());
    assert!(Chain::identity().is_identity());
    assert_eq!(
        Chain::new([T::Trim, T::Trim, T::Lowercase, T::Trim]).steps(),
        &[T::Trim, T::Lowercase, T::Trim]
    );
}

#[test]
fn equivalent_chains_are_equal_and_hash_alike() {
    let a = Chain::from_aws(&[tt(0, T::None), tt(5, T::Lowercase)]).expect("valid");
    let b = Chain::new([T::Lowercase]);
    let c: Chain = [T::Lowercase, T::Lowercase].into_iter().collect();
    assert_eq!(a, b);
    assert_eq!(b, c);
    let set: HashSet<Chain> = [a, b, c, Chain::new([T::Uppercase]), Chain::identity()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    assert_ne!(
        Chain::new([T::Lowercase, T::UrlDecode]),
        Chain::new([T::UrlDecode, T::Lowercase])
    );
}

#[test]
fn identity_chain_borrows_the_input() {
    let input = b"Some VALUE %41".to_vec();
    let mut scratch = Scratch::new();
    let out = Chain::new([T::None]).apply(&input, &mut scratch);
    assert_eq!(out.as_ptr(), input.as_ptr());
    assert_eq!(scratch.capacity(), 0, "nothing was copied");
}

#[test]
fn steps_that_change_nothing_are_skipped_without_copying() {
    let input = b"plain lower-case text with no escapes".to_vec();
    let chain = Chain::new([
        T::UrlDecodeUni,
        T::HtmlEntityDecode,
        T::Lowercase,
        T::JsDecode,
        T::RemoveNulls,
    ]);
    let mut scratch = Scratch::new();
    let out = chain.apply(&input, &mut scratch);
    assert_eq!(out.as_ptr(), input.as_ptr());
    assert_eq!(scratch.capacity(), 0);
}

#[test]
fn evaluation_reuses_the_scratch_buffers() {
    let chain = Chain::new([T::UrlDecode, T::HtmlEntityDecode, T::Lowercase, T::CompressWhiteSpace]);
    let big = b"%41&amp;  B ".repeat(100);
    let mut scratch = Scratch::with_capacity(16);
    assert_eq!(chain.apply(&big, &mut scratch).len(), 500);
    let warmed = scratch.capacity();
    assert!(warmed >= 500);
    for input in [&b"%41&amp;  B"[..], b"x%20y", b"", &big] {
        let expected = sequential(&chain, input);
        assert_eq!(chain.apply(input, &mut scratch), expected.as_slice());
        assert_eq!(scratch.capacity(), warmed, "evaluation allocated");
    }
}

#[test]
fn in_place_maps_after_a_copying_step() {
    let chain = Chain::new([T::UrlDecode, T::Uppercase, T::ReplaceNulls, T::Lowercase]);
    let mut scratch = Scratch::new();
    assert_eq!(chain.apply(b"a%00B+c", &mut scratch), b"a b c");
    let mut out = b"old".to_vec();
    chain.apply_into(b"X%00Y", &mut scratch, &mut out);
    assert_eq!(out, b"x y");
}

/// Reference semantics: apply each step to a fresh vector.
pub(super) fn sequential(chain: &Chain, input: &[u8]) -> Vec<u8> {
    chain
        .steps()
        .iter()
        .fold(input.to_vec(), |value, step| step.apply_to_vec(&value))
}
