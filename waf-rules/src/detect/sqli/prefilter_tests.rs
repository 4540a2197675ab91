//! The prefilter never changes a verdict: `is_sqli` (prefiltered) and `is_sqli_unfiltered` (every pass, every
//! token) return the same result, at both sensitivities, on arbitrary and fragment-built inputs, on every line of
//! the labelled lists and on every value of the WAF corpus.

use proptest::prelude::*;

use super::{is_sqli, is_sqli_unfiltered, prefilter, Sensitivity};
use crate::detect::test_inputs::{check_agreement, corpus_values, data_lines, fragment_soup, list, mutate};

/// Asserts the equivalence on `input`; returns whether the prefilter let the full detector run (at HIGH).
fn same(input: &[u8]) -> bool {
    for s in [Sensitivity::Low, Sensitivity::High] {
        let full = is_sqli_unfiltered(input, s);
        assert_eq!(
            is_sqli(input, s),
            full,
            "{s:?} prefiltered and full detector differ on {:?}",
            String::from_utf8_lossy(input)
        );
        if full.is_some() {
            assert!(prefilter::may_match(input, s));
        }
    }
    prefilter::may_match(input, Sensitivity::High)
}

const SQL: &[&str] = &[
    "'",
    "\"",
    "`",
    "(",
    ")",
    ",",
    ";",
    "--",
    "-- -",
    "#",
    "/*",
    "*/",
    "/*!",
    "/*!50000",
    "=",
    "<",
    ">",
    "<>",
    "!=",
    "<=>",
    "&&",
    "||",
    "|",
    "&",
    "+",
    "-",
    "~",
    "!",
    "*",
    "/",
    ":=",
    "::",
    "@",
    "@@",
    "@@version",
    "$$",
    "$1",
    "[",
    "]",
    "\\",
    ".",
    "0x",
    "0x41",
    "0b1",
    "1",
    "2",
    "10",
    "1.5e3",
    ".5",
    "x'41'",
    "n'a'",
    "e'a'",
    "a",
    "x",
    "b",
    "id",
    "users",
    "admin",
    "name",
    "password",
    "table",
    "union",
    "all",
    "distinct",
    "select",
    "from",
    "where",
    "having",
    "and",
    "or",
    "xor",
    "not",
    "like",
    "rlike",
    "in",
    "is",
    "between",
    "sounds",
    "null",
    "true",
    "false",
    "order",
    "group",
    "by",
    "into",
    "outfile",
    "dumpfile",
    "insert",
    "update",
    "delete",
    "drop",
    "truncate",
    "create",
    "alter",
    "exec",
    "execute",
    "immediate",
    "declare",
    "set",
    "shutdown",
    "with",
    "waitfor",
    "delay",
    "time",
    "grant",
    "attach",
    "database",
    "case",
    "when",
    "then",
    "end",
    "sleep",
    "benchmark",
    "pg_sleep",
    "dbms_lock.sleep",
    "extractvalue",
    "updatexml",
    "load_file",
    "char",
    "ascii",
    "substr",
    "version",
    "xp_cmdshell",
    "sp_executesql",
    "information_schema.tables",
    "pg_catalog.pg_user",
    "sysobjects",
    "sqlite_master",
    "mysql.user",
    "intersect",
    "except",
    "minus",
    "values",
    "top",
    "limit",
    "1abc",
    "0x1aunion",
    "$$a$$",
    "`xp_cmdshell`",
    "[sysobjects]",
    "[",
    "é",
    "\u{a0}",
];

#[test]
fn labelled_lists_give_the_same_verdicts() {
    check_agreement("sqli", "labelled lines", &data_lines(), same);
    check_agreement("sqli", "lines of sqli_benign.txt", &list("sqli_benign.txt"), same);
}

#[test]
fn corpus_values_give_the_same_verdicts() {
    let values = corpus_values();
    check_agreement("sqli", "corpus values", &values, same);
    assert!(values.len() > 5000, "{}", values.len());
}

#[test]
fn benign_values_mostly_skip_the_full_detector() {
    // Performance guard, not a verdict: the prefilter must keep rejecting ordinary values.
    let benign = [
        &b"summer dresses under $50"[..],
        b"Patrick O'Brien",
        b"It's a gift for my mother's 70th birthday, so no invoice in the box please.",
        b"Please deliver after 5pm; ring twice.",
        b"12 Union Street",
        b"Select Comfort mattress, size 3",
        b"don't drop it -- fragile",
        b"https://tracking.example.com/track?id=1Z999AA10123456784&lang=en",
        b"I've ordered three times now and it's always been great. Shipping's fast; packaging's solid.",
        b"rock and roll or jazz",
        b"{\"order\":1}",
    ];
    for v in benign {
        assert!(!same(v), "prefilter let {:?} through", String::from_utf8_lossy(v));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::detect::test_inputs::cases(4096), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..300)) {
        same(&input);
    }

    #[test]
    fn biased_bytes(input in prop::collection::vec(
        prop::sample::select(b"'\"`;()[]&|/*!-#=<>@$.,:0123456789xXbBaeEnN \t\n\\".to_vec()), 0..120)) {
        same(&input);
    }

    #[test]
    fn sql_fragments(input in fragment_soup(SQL, 24)) {
        same(&input);
    }

    #[test]
    fn edited_list_lines(input in mutate(data_lines(), SQL)) {
        same(&input);
    }
}

#[test]
fn block_classifications_agree_byte_by_byte() {
    use super::lexer::is_word_byte;
    use super::prefilter::{classify, masks_at};
    for b in 0..=255u8 {
        let marked = b.is_ascii_digit() || b".$;&|`[/".contains(&b);
        let quotes = u8::from(b == b'\'') << 2 | u8::from(b == b'"') << 3;
        assert_eq!(
            classify(b),
            u8::from(is_word_byte(b)) | u8::from(marked) << 1 | quotes,
            "{b:#x}"
        );
    }
    // Every byte value at every position of a short input (SWAR), of a full block (vectorized) and of the
    // partial last block of a long input (overlapped), with neighbours of every class.
    for len in [1, 7, 8, 9, 23, 63, 64, 65, 100, 128, 130] {
        for b in 0..=255u8 {
            for fill in [b'a', b'0', b';', b' ', 0xc3, b'"'] {
                let mut input = vec![fill; len];
                for at in [0, len / 2, len - 1] {
                    input[at] = b;
                    let mut base = 0;
                    let mut quotes = 0;
                    while base < len {
                        let (word, marked, q) = masks_at(&input, base);
                        quotes |= q;
                        for j in 0..64 {
                            let expect = input.get(base + j).map_or(0, |&c| classify(c) & 3);
                            let got = (word >> j & 1) as u8 | (((marked >> j) & 1) as u8) << 1;
                            assert_eq!(
                                got, expect,
                                "len {len} byte {b:#x} fill {fill} at {at} base {base} j {j}"
                            );
                        }
                        base += 64;
                    }
                    let expect = input.iter().fold(0, |a, &c| a | classify(c)) & 12;
                    assert_eq!(quotes, expect, "quotes: len {len} byte {b:#x} fill {fill} at {at}");
                    input[at] = fill;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::detect::test_inputs::cases(4096), ..ProptestConfig::default() })]

    #[test]
    fn string_end_is_where_the_lexer_ends_the_first_string(input in prop::collection::vec(
        prop::sample::select(b"'\"\\ab ".to_vec()), 0..40)) {
        use super::lexer::{Lexer, SqlContext};
        for (ctx, q) in [(SqlContext::SingleQuote, b'\''), (SqlContext::DoubleQuote, b'"')] {
            let t = Lexer::new(&input, ctx).next_token().map_or(0, |t| t.end);
            prop_assert_eq!(super::prefilter::string_end(&input, q), t);
        }
    }
}

#[test]
fn every_keyword_that_can_start_an_anchor_0_rule_is_in_the_rule_start_table() {
    // `first_token_may_start` relies on it.
    use super::keywords::{can_start_rule, lookup_rule_start, KEYWORDS};
    use super::lexer::Kind;
    for e in KEYWORDS {
        let starts = matches!(
            e.kind,
            Kind::Num | Kind::RParen | Kind::Var | Kind::Lit | Kind::Str | Kind::Logic | Kind::Union | Kind::Semi
        );
        assert_eq!(starts, can_start_rule(e), "{}", e.name);
        assert_eq!(starts, lookup_rule_start(e.name.as_bytes()).is_some(), "{}", e.name);
        let lower = e.name.to_ascii_lowercase();
        assert_eq!(starts, lookup_rule_start(lower.as_bytes()).is_some(), "{}", e.name);
    }
}

#[test]
fn trigger_table_holds_exactly_the_triggers() {
    use super::keywords::{is_trigger, lookup, lookup_trigger, KEYWORDS};
    for e in KEYWORDS {
        assert_eq!(lookup_trigger(e.name.as_bytes()).is_some(), is_trigger(e), "{}", e.name);
        assert!(lookup(e.name.to_ascii_lowercase().as_bytes()).is_some_and(|f| f.name == e.name));
    }
}

#[test]
fn prefilter_stays_linear_when_triggers_precede_long_tokens() {
    // Every trigger re-reads the tokens after it; without the budget these would be quadratic.
    for unit in [
        "; -- ", ";/*", "; [", "sleep /*", "sleep ", "and '", "union /*", "|| --", "; `", "into #",
    ] {
        let input = unit.repeat(20_000);
        let started = std::time::Instant::now();
        for s in [Sensitivity::Low, Sensitivity::High] {
            assert_eq!(is_sqli(input.as_bytes(), s), is_sqli_unfiltered(input.as_bytes(), s));
        }
        assert!(
            started.elapsed() < std::time::Duration::from_millis(1500),
            "{unit:?} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn found_by_the_soak_runs() {
    // Inputs on which a version of the prefilter once disagreed with the full detector.
    for input in [
        &b"\"sounds rlike'"[..],
        b"\"sounds regexp 'x",
        b"'sounds/**/like 'a",
        b"\"order by 1--",
        b"\"group/**/by 2#",
        b"'order by 3",
    ] {
        same(input);
    }
}
