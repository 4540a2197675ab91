//! Property tests for the detectors: no input panics, results are deterministic, and a detection survives
//! benign surrounding whitespace where the grammar says it must.

use moat_waf::detect::sqli::{is_sqli, Sensitivity};
use moat_waf::detect::xss::is_xss;
use proptest::prelude::*;

/// Bytes biased towards the characters the tokenizers care about, so the state machines get exercised.
fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"'\"`<>/!-=#*;()@$[]&:x0aA \t\n\\".to_vec();
    prop::collection::vec(
        prop_oneof![3 => prop::sample::select(alphabet), 1 => any::<u8>()],
        0..256,
    )
}

const SQLI: &[&str] = &[
    "' OR 1=1--",
    "1 OR 1=1",
    "admin'--",
    "1; DROP TABLE users",
    "-1 UNION SELECT 1,2,3",
    "1 and sleep(5)",
    "') or ('a'='a",
    "' and extractvalue(1,version())--",
];

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "\"><iframe src=//x>",
    "<div style=\"x:expression(alert(1))\">",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sqli_never_panics_and_is_deterministic(input in interesting_bytes()) {
        for s in [Sensitivity::Low, Sensitivity::High] {
            prop_assert_eq!(is_sqli(&input, s), is_sqli(&input, s));
        }
    }

    #[test]
    fn sqli_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = is_sqli(&input, Sensitivity::High);
    }

    #[test]
    fn sqli_low_implies_high(input in interesting_bytes()) {
        if is_sqli(&input, Sensitivity::Low).is_some() {
            prop_assert!(is_sqli(&input, Sensitivity::High).is_some());
        }
    }

    #[test]
    fn sqli_match_spans_lie_inside_the_input(input in interesting_bytes()) {
        if let Some(m) = is_sqli(&input, Sensitivity::High) {
            for &(s, e) in m.spans() {
                prop_assert!(s <= e && e <= input.len());
            }
        }
    }

    #[test]
    fn sqli_detection_is_stable_under_whitespace(
        i in 0..SQLI.len(),
        pre in "[ \t\r\n]{0,8}",
        post in "[ \t\r\n]{0,8}",
    ) {
        let input = format!("{pre}{}{post}", SQLI[i]);
        prop_assert!(is_sqli(input.as_bytes(), Sensitivity::Low).is_some(), "{:?}", input);
    }

    #[test]
    fn sqli_detection_is_stable_under_inner_whitespace_and_case(i in 0..SQLI.len(), ws in "[ \t\n]{1,4}", upper: bool) {
        let attack = SQLI[i].replace(' ', &ws);
        let attack = if upper { attack.to_uppercase() } else { attack.to_lowercase() };
        prop_assert!(is_sqli(attack.as_bytes(), Sensitivity::Low).is_some(), "{:?}", attack);
    }

    #[test]
    fn xss_never_panics_and_is_deterministic(input in interesting_bytes()) {
        prop_assert_eq!(is_xss(&input), is_xss(&input));
    }

    #[test]
    fn xss_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = is_xss(&input);
    }

    #[test]
    fn xss_match_span_lies_inside_the_input(input in interesting_bytes()) {
        if let Some(m) = is_xss(&input) {
            prop_assert!(m.span.0 <= m.span.1 && m.span.1 <= input.len());
        }
    }

    #[test]
    fn xss_detection_is_stable_under_surrounding_text(
        i in 0..XSS.len(),
        pre in "[a-z ]{0,12}",
        post in "[ \t\r\n]{0,8}",
    ) {
        let input = format!("{pre} {}{post}", XSS[i]);
        prop_assert!(is_xss(input.as_bytes()).is_some(), "{:?}", input);
    }

    #[test]
    fn plain_words_are_never_flagged(words in prop::collection::vec("[a-zA-Z]{1,10}", 0..20)) {
        let input = words.join(" ");
        prop_assert!(is_sqli(input.as_bytes(), Sensitivity::Low).is_none(), "{:?}", input);
        prop_assert!(is_xss(input.as_bytes()).is_none(), "{:?}", input);
    }
}
