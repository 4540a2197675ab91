use super::fold::Folder;
use super::keywords::{lookup, KEYWORDS, MAX_KEYWORD_LEN};
use super::lexer::{Kind, Lexer, SqlContext, Word, CLOSED, CTX_OPEN, EMPTY_BODY};
use super::{is_sqli, Sensitivity, SqliRule};

use Kind::*;

fn raw_kinds(input: &str, ctx: SqlContext) -> Vec<Kind> {
    let mut lex = Lexer::new(input.as_bytes(), ctx);
    std::iter::from_fn(|| lex.next_token()).map(|t| t.kind).collect()
}

fn folded(input: &str, ctx: SqlContext) -> Vec<(Kind, String)> {
    let mut f = Folder::new(input.as_bytes(), ctx);
    std::iter::from_fn(|| f.next_token())
        .map(|t| {
            (
                t.kind,
                String::from_utf8_lossy(&input.as_bytes()[t.start..t.end]).into_owned(),
            )
        })
        .collect()
}

fn folded_kinds(input: &str, ctx: SqlContext) -> Vec<Kind> {
    folded(input, ctx).into_iter().map(|(k, _)| k).collect()
}

fn rule(input: &str, s: Sensitivity) -> Option<SqliRule> {
    is_sqli(input.as_bytes(), s).map(|m| m.rule)
}

#[test]
fn keyword_table_is_sorted_unique_upper_case_and_short() {
    for pair in KEYWORDS.windows(2) {
        assert!(pair[0].name < pair[1].name, "{} !< {}", pair[0].name, pair[1].name);
    }
    for e in KEYWORDS {
        assert_eq!(e.name, e.name.to_ascii_uppercase());
        assert!(e.name.len() <= MAX_KEYWORD_LEN);
    }
}

#[test]
fn keyword_lookup_is_case_insensitive() {
    assert_eq!(lookup(b"select").map(|e| e.word), Some(Word::Select));
    assert_eq!(lookup(b"UnIoN").map(|e| e.kind), Some(Union));
    assert_eq!(lookup(b"pg_sleep").map(|e| e.word), Some(Word::TimeFn));
    assert_eq!(lookup(b"dbms_pipe.receive_message").map(|e| e.word), Some(Word::TimeFn));
    assert!(lookup(b"mattress").is_none());
    assert!(lookup(b"").is_none());
    assert!(lookup(&[b'a'; 100]).is_none());
}

#[test]
fn lexer_classifies_literals() {
    let ctx = SqlContext::AsIs;
    assert_eq!(raw_kinds("'a' \"b\" N'c' $$d$$", ctx), [Str, Str, Str, Str]);
    assert_eq!(raw_kinds("1 1.5 .5 1e10 1.5E-3 0x1F 0b101 X'41'", ctx), [Num; 8]);
    assert_eq!(raw_kinds("@x @@version @'q' $1", ctx), [Var; 4]);
    assert_eq!(raw_kinds("users `my table` [dbo] t.col", ctx), [Word; 4]);
    assert_eq!(raw_kinds("NULL true FALSE", ctx), [Lit; 3]);
}

#[test]
fn lexer_classifies_operators_and_punctuation() {
    let ctx = SqlContext::AsIs;
    assert_eq!(raw_kinds("= < > <= >= <> != <=> ==", ctx), [Cmp; 9]);
    assert_eq!(raw_kinds("&& || AND or xor NOT", ctx), [Logic; 6]);
    assert_eq!(raw_kinds("+ - * / % ^ & | ~ ! := :: << >> div", ctx), [Op; 15]);
    assert_eq!(
        raw_kinds("( ) , ; { ?", ctx),
        [LParen, RParen, Comma, Semi, Punct, Punct]
    );
}

#[test]
fn lexer_keywords_and_functions_need_a_parenthesis() {
    let ctx = SqlContext::AsIs;
    assert_eq!(raw_kinds("sleep(5)", ctx), [Function, LParen, Num, RParen]);
    assert_eq!(raw_kinds("sleep /**/ (5)", ctx)[0], Function);
    assert_eq!(raw_kinds("sleep well", ctx), [Word, Word]);
    assert_eq!(raw_kinds("select union from", ctx), [Statement, Union, Keyword]);
    assert_eq!(raw_kinds("time.sleep(5)", ctx)[0], Word);
    assert_eq!(raw_kinds("dbms_lock.sleep(5)", ctx)[0], Function);
}

#[test]
fn lexer_strings_honour_escapes_and_report_termination() {
    let mut lex = Lexer::new(br"'it\'s' 'a''b' 'open", SqlContext::AsIs);
    let a = lex.next_token().unwrap();
    let b = lex.next_token().unwrap();
    let c = lex.next_token().unwrap();
    assert_eq!((a.start, a.end, a.has(CLOSED)), (0, 7, true));
    assert_eq!((b.start, b.end, b.has(CLOSED)), (8, 14, true));
    assert_eq!((c.kind, c.has(CLOSED)), (Str, false));
    assert!(lex.next_token().is_none());
}

#[test]
fn lexer_comments() {
    let ctx = SqlContext::AsIs;
    assert_eq!(
        raw_kinds("1 -- x\n2 # y\n3 /* z */ 4 /* open", ctx),
        [Num, Comment, Num, Comment, Num, Comment, Num, Comment]
    );
    let mut lex = Lexer::new(b"-- -", ctx);
    assert!(lex.next_token().unwrap().has(EMPTY_BODY));
    let mut lex = Lexer::new(b"-- note", ctx);
    assert!(!lex.next_token().unwrap().has(EMPTY_BODY));
}

#[test]
fn lexer_mysql_executable_comment_body_is_sql() {
    let mut lex = Lexer::new(b"1/*!50000union*/select", SqlContext::AsIs);
    let kinds: Vec<Kind> = std::iter::from_fn(|| lex.next_token()).map(|t| t.kind).collect();
    assert_eq!(kinds, [Num, Union, Statement]);
    assert!(lex.saw_exec_comment);
}

#[test]
fn quote_contexts_open_a_string_first() {
    let mut lex = Lexer::new(b"abc' or 1", SqlContext::SingleQuote);
    let t = lex.next_token().unwrap();
    assert_eq!((t.kind, t.start, t.end), (Str, 0, 4));
    assert!(t.has(CTX_OPEN) && t.has(CLOSED));
    assert_eq!(raw_kinds("abc\" or 1", SqlContext::DoubleQuote), [Str, Logic, Num]);
    // A doubled quote is an escaped quote, not a break-out.
    let mut lex = Lexer::new(b"'' or 1=1", SqlContext::SingleQuote);
    assert!(!lex.next_token().unwrap().has(CLOSED));
}

#[test]
fn folding_drops_inline_comments_and_unary_operators() {
    assert_eq!(
        folded_kinds("'/**/or/**/-1=-1", SqlContext::SingleQuote),
        [Str, Logic, Num, Cmp, Num]
    );
    assert_eq!(folded_kinds("1 or not ~1", SqlContext::AsIs), [Num, Logic, Num]);
    assert_eq!(folded_kinds("1 - 1", SqlContext::AsIs), [Num, Op, Num]);
}

#[test]
fn folding_merges_multi_word_keywords() {
    let f = folded("1 UNION/**/ALL SELECT 1 ORDER BY 2 GROUP  BY 3", SqlContext::AsIs);
    let texts: Vec<&str> = f.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        texts,
        ["1", "UNION/**/ALL", "SELECT", "1", "ORDER BY", "2", "GROUP  BY", "3"]
    );
    assert_eq!(folded_kinds("a not like b", SqlContext::AsIs), [Word, Cmp, Word]);
    assert_eq!(folded_kinds("a is not null", SqlContext::AsIs), [Word, Cmp, Lit]);
    assert_eq!(folded_kinds("a sounds like b", SqlContext::AsIs), [Word, Cmp, Word]);
}

#[test]
fn the_brief_examples_are_flagged_at_low() {
    use SqliRule::*;
    let low = Sensitivity::Low;
    assert_eq!(rule("' OR 1=1", low), Some(BooleanAfterQuote));
    assert_eq!(rule("1 OR 1=1", low), Some(BooleanAfterValue));
    assert_eq!(rule("admin'--", low), Some(CommentTruncation));
    assert_eq!(rule("1; DROP TABLE users", low), Some(StackedQuery));
    assert_eq!(rule("-1 UNION ALL SELECT 1,2", low), Some(UnionSelect));
    assert_eq!(rule("1 and sleep(5)", low), Some(BooleanAfterValue));
    assert_eq!(rule("x = 1 + sleep(5)", low), Some(TimeDelay));
    assert_eq!(rule("1; waitfor delay '0:0:5'", low), Some(StackedQuery));
    assert_eq!(rule("x waitfor delay '0:0:5'", low), Some(TimeDelay));
    assert_eq!(rule("'='", low), Some(QuoteOperator));
    assert_eq!(rule("1 ORDER BY 10--", low), Some(OrderByProbe));
    assert_eq!(rule("x' and extractvalue(1,version())", low), Some(BooleanAfterQuote));
    assert_eq!(rule("extractvalue(1,version())", low), Some(DangerousFunction));
    assert_eq!(rule("exec xp_cmdshell 'dir'", low), Some(DangerousIdentifier));
    assert_eq!(rule("x into outfile '/tmp/x'", low), Some(FileWrite));
    assert_eq!(rule("name: a' and 2>1 or 'a'='a", low), Some(BooleanAfterQuote));
    assert_eq!(rule("id=2 or 1=1", low), Some(Tautology));
}

#[test]
fn high_only_patterns() {
    use SqliRule::*;
    for (input, r) in [
        ("1 or true", BooleanAfterValue),
        ("or 1=1", BareBoolean),
        ("1--", CommentTruncation),
        ("Jones' # note", CommentTruncation),
        ("1 /*! note */", ExecutableComment),
        ("sleep(5)", TimeDelay),
        ("x union select y,z", UnionSelect),
    ] {
        assert_eq!(rule(input, Sensitivity::Low), None, "{input}");
        assert_eq!(rule(input, Sensitivity::High), Some(r), "{input}");
    }
}

#[test]
fn benign_text_is_not_flagged_at_either_level() {
    for input in [
        "O'Reilly",
        "don't select the union option",
        "Select Comfort mattress",
        "Union Jack flag",
        "Drop table lamp",
        "123-456-7890",
        "john.o'neil@example.com",
        "https://example.com/?q=union+select",
        "Thread.sleep(1000);",
        "",
    ] {
        assert_eq!(rule(input, Sensitivity::High), None, "{input}");
    }
}

#[test]
fn matched_data_reports_the_folded_tokens() {
    let input = b"10 AND 1=1";
    let m = is_sqli(input, Sensitivity::Low).unwrap();
    assert_eq!(m.matched_data(input), ["10", "AND", "1", "=", "1"]);
    assert_eq!(m.context, SqlContext::AsIs);
    let input = b"x' union/**/all select null--";
    let m = is_sqli(input, Sensitivity::Low).unwrap();
    assert_eq!(m.context, SqlContext::SingleQuote);
    assert_eq!(m.matched_data(input), ["x'", "union/**/all", "select", "null"]);
    assert_eq!(m.spans()[0], (0, 2));
}

#[test]
fn detection_reaches_past_the_first_window() {
    let mut input = "a ".repeat(500);
    input.push_str("1 union select 1,2");
    assert_eq!(rule(&input, Sensitivity::Low), Some(SqliRule::UnionSelect));
}

#[test]
fn odd_bytes_do_not_panic() {
    for input in [
        &b"\xff\xfe'\x00 or 1=1"[..],
        b"'",
        b"\"",
        b"`",
        b"[",
        b"@",
        b"$$",
        b"/*",
        b"/*!",
        b"*/",
        b"-",
        b"0x",
        b"x'",
    ] {
        let _ = is_sqli(input, Sensitivity::High);
    }
}

#[test]
fn pathological_inputs_stay_fast() {
    // Each of these would be quadratic with a naive "search for the closing delimiter at every opener".
    for unit in ["[", "/*", "'", "\"", "`", "$$", "-- ", "(", "sleep ", "a/**/"] {
        let input = unit.repeat(20_000);
        let started = std::time::Instant::now();
        let _ = is_sqli(input.as_bytes(), Sensitivity::High);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "{unit:?} took {:?}",
            started.elapsed()
        );
    }
}

/// The behaviour `docs/waf-detectors.md` documents as known false positives and misses.
#[test]
fn documented_limits_hold() {
    let (low, high) = (Sensitivity::Low, Sensitivity::High);
    for fp in ["Jones'--", "2 and 2 = 2", "x' or 'a'='a", "id=2 or 1=1"] {
        assert!(rule(fp, low).is_some(), "{fp}");
    }
    for high_only in [
        "or ascii(x)",
        "name; drop table users",
        "1 or 2",
        "Benchmark (2019 film)",
        "Jones' #1 fan",
    ] {
        assert_eq!(rule(high_only, low), None, "{high_only}");
        assert!(rule(high_only, high).is_some(), "{high_only}");
    }
    for miss in ["SELECT * FROM users WHERE id = 1", "1 procedure analyse()"] {
        assert_eq!(rule(miss, high), None, "{miss}");
    }
    assert_eq!(rule("or sleep(5)", low), Some(SqliRule::TimeDelay));
}
