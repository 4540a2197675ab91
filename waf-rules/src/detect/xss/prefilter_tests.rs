//! The prefilter never changes a verdict: `is_xss` (prefiltered) and `is_xss_unfiltered` return the same
//! result on arbitrary and fragment-built inputs, on every line of the labelled lists and on every value of
//! the WAF corpus.

use proptest::prelude::*;

use super::names::EVENT_HANDLERS;
use super::{is_xss, is_xss_unfiltered, prefilter};
use crate::detect::test_inputs::{cases, check_agreement, corpus_values, data_lines, fragment_soup, list, mutate};

/// Asserts the equivalence on `input`; returns whether the prefilter let the full detector run.
fn same(input: &[u8]) -> bool {
    let full = is_xss_unfiltered(input);
    assert_eq!(
        is_xss(input),
        full,
        "prefiltered and full detector differ on {:?}",
        String::from_utf8_lossy(input)
    );
    let may = prefilter::may_match(input);
    assert!(may || full.is_none());
    may
}

const HTML: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<!--",
    "-->",
    "--!>",
    "<!-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "<!",
    "<!DOCTYPE",
    "<!ENTITY",
    "[",
    "]",
    "[if IE]",
    "[endif]",
    "`",
    "=",
    " =",
    "= ",
    "\"",
    "'",
    "/",
    " ",
    "\t",
    "\n",
    "\r",
    "\x0c",
    "\0",
    "script",
    "img",
    "svg",
    "a",
    "div",
    "iframe",
    "style",
    "srcdoc",
    "svg:script",
    "scr<script",
    "p",
    "x",
    "onerror",
    "onload",
    "ONCLICK",
    "onion",
    "on",
    "onx",
    "href",
    "src",
    "xlink:href",
    "formaction",
    "content",
    "data",
    "action",
    "background",
    "srcset",
    "javascript:",
    "java\tscript:",
    "jav&#x61;script:",
    "vbscript:",
    "livescript:",
    "mocha:",
    "data:text/html,",
    "data: image/svg+xml",
    "data:",
    "javascript",
    ":",
    "&",
    "&#",
    "&#x",
    "&#58;",
    "&#x3a",
    "&colon;",
    "&Tab;",
    "&NewLine;",
    "&lt;",
    "&lpar;",
    "&amp;",
    "&nbsp;",
    "&lang",
    "expression(",
    "\\65 xpression(",
    "/**/",
    "-moz-binding",
    "behavior:",
    "@import",
    "url=",
    "0;url=",
    "alert(1)",
    "é",
    "1",
    "?xml-stylesheet",
    "?import",
];

#[test]
fn handler_names_are_lower_case_letters_starting_with_on() {
    // `names_before_equals` relies on it (and, like the detector's `lower`, ignores names over 32 bytes).
    for h in EVENT_HANDLERS {
        assert!(h.starts_with("on"), "{h}");
        assert!(h.bytes().all(|b| b.is_ascii_lowercase()), "{h}");
    }
}

#[test]
fn labelled_lists_give_the_same_verdicts() {
    check_agreement("xss", "labelled lines", &data_lines(), same);
    check_agreement("xss", "lines of xss_benign.txt", &list("xss_benign.txt"), same);
}

#[test]
fn corpus_values_give_the_same_verdicts() {
    let values = corpus_values();
    check_agreement("xss", "corpus values", &values, same);
}

#[test]
fn benign_values_mostly_skip_the_full_detector() {
    // Performance guard, not a verdict: the prefilter must keep rejecting ordinary values.
    let benign = [
        &b"summer dresses under $50"[..],
        b"Patrick O'Brien",
        b"{\"name\":\"Patrick O'Brien\",\"note\":\"don't drop it -- fragile\",\"qty\":2}",
        b"https://tracking.example.com/track?id=1Z999AA10123456784&lang=en",
        b"x < y and 2<3",
        b"a=1; b=2; session=abc",
        b"Sunday: 10:00-16:00",
    ];
    for v in benign {
        assert!(!same(v), "prefilter let {:?} through", String::from_utf8_lossy(v));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4096), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..300)) {
        same(&input);
    }

    #[test]
    fn biased_bytes(input in prop::collection::vec(
        prop::sample::select(b"<>/!?-=\"'`&#;:[]() \t\n\r\x0c\0aAxXjJsSoOnNdD0123456789\\".to_vec()), 0..120)) {
        same(&input);
    }

    #[test]
    fn html_fragments(input in fragment_soup(HTML, 24)) {
        same(&input);
    }

    #[test]
    fn edited_list_lines(input in mutate(data_lines(), HTML)) {
        same(&input);
    }
}

#[test]
fn colon_shortcut_keeps_every_scheme() {
    // The byte before a colon (tab, CR and LF skipped) is looked at first; every scheme's last letter passes.
    for input in [
        &b"x=JAVASCRIPT:alert(1)"[..],
        b"vbscripT\t:msgbox",
        b"livescript\r\n:x",
        b"MOCHA:x",
        b"dAtA\t:text/html,<b>",
        b"<a href=\"java\nscript\t:alert(1)\">",
    ] {
        assert!(prefilter::may_match(input), "{:?}", String::from_utf8_lossy(input));
        assert!(same(input), "{:?}", String::from_utf8_lossy(input));
    }
    for input in [&b"{\"a\": \"b\", \"c\": 1}"[..], b"12:30:00", b"\t\n:", b":"] {
        assert!(!prefilter::may_match(input), "{:?}", String::from_utf8_lossy(input));
    }
}
