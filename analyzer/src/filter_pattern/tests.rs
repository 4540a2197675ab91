//! Filter patterns checked against AWS's documented examples. "Doc" below is the CloudWatch Logs page
//! "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live Tail"
//! (FilterAndPatternSyntax.html, with its sub-pages "Using filter patterns to match terms in unstructured /
//! JSON / space-delimited log events"); "archived doc" is the same page as kept in
//! awsdocs/amazon-cloudwatch-logs-user-guide `doc_source/FilterAndPatternSyntax.md`.

use proptest::prelude::*;

use super::*;

fn pattern(text: &str) -> FilterPattern {
    match FilterPattern::parse(text) {
        Ok(pattern) => pattern,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

/// Which of `events` (numbered from 1) `text` matches.
fn matching(text: &str, events: &[&str]) -> Vec<usize> {
    let pattern = pattern(text);
    events
        .iter()
        .enumerate()
        .filter(|(_, event)| pattern.matches(event))
        .map(|(i, _)| i + 1)
        .collect()
}

fn error(text: &str) -> FilterPatternError {
    match FilterPattern::parse(text) {
        Ok(_) => panic!("{text:?} should not parse"),
        Err(e) => e,
    }
}

// ---- Unstructured log events ----

/// Doc, unstructured sub-page: "ERROR" matches the three error lines; "ERROR ARGUMENTS" only the two with
/// both terms.
const UNSTRUCTURED: [&str; 5] = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[SUCCESS 200] AUTHORIZED REQUEST",
];

#[test]
fn doc_unstructured_single_term_error() {
    assert_eq!(matching("ERROR", &UNSTRUCTURED), [1, 2, 3, 4]);
}

#[test]
fn doc_unstructured_multiple_terms_error_arguments() {
    assert_eq!(matching("ERROR ARGUMENTS", &UNSTRUCTURED), [3, 4]);
}

#[test]
fn doc_regex_authorized_matches_unauthorized_and_authorized() {
    // Doc, regex section: `%AUTHORIZED%` returns "[ERROR 401] UNAUTHORIZED REQUEST" and
    // "[SUCCESS 200] AUTHORIZED REQUEST".
    assert_eq!(matching("%AUTHORIZED%", &UNSTRUCTURED), [2, 5]);
}

#[test]
fn archived_doc_example_1_single_term_is_a_substring() {
    // "The filter pattern "ERROR" matches ... [ERROR] A fatal exception has occurred / Exiting with
    // ERRORCODE: -1".
    let events = [
        "[ERROR] A fatal exception has occurred",
        "Exiting with ERRORCODE: -1",
        "[INFO] ok",
    ];
    assert_eq!(matching("ERROR", &events), [1, 2]);
    assert_eq!(matching("\"ERROR\"", &events), [1, 2]);
}

#[test]
fn archived_doc_example_2_include_and_exclude_with_a_spaced_minus() {
    // `"ERROR" - "Exiting"`: "the log event message "Exiting with ERRORCODE: -1" would be excluded".
    let events = ["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"];
    assert_eq!(matching("\"ERROR\" - \"Exiting\"", &events), [1]);
}

#[test]
fn archived_doc_example_4_multiple_terms_and_a_sentence_of_terms() {
    let events = [
        "[ERROR] Caught IllegalArgumentException",
        "[ERROR] Unhandled Exception",
        "[ERROR] only this",
    ];
    assert_eq!(matching("ERROR Exception", &events), [1, 2]);
    let events = [
        "[WARN] Failed to process the request",
        "[ERROR] Unable to continue: Failed to process the request",
        "[WARN] Failed to parse the request",
    ];
    assert_eq!(matching("Failed to process the request", &events), [1, 2]);
}

/// Archived doc, "OR Pattern Matching": three example events.
const OR_EVENTS: [&str; 3] = ["ERROR WARN message", "ERROR message", "WARN message"];

#[test]
fn archived_doc_or_pattern_matching_in_terms() {
    // "`ERROR` matches examples 1 and 2. `?ERROR ?WARN` matches examples 1, 2, and 3 ... `ERROR WARN` only
    // matches example 1 ... ERROR -WARN matches example 2".
    assert_eq!(matching("ERROR", &OR_EVENTS), [1, 2]);
    assert_eq!(matching("?ERROR ?WARN", &OR_EVENTS), [1, 2, 3]);
    assert_eq!(matching("ERROR WARN", &OR_EVENTS), [1]);
    assert_eq!(matching("ERROR -WARN", &OR_EVENTS), [2]);
}

#[test]
fn terms_are_case_sensitive() {
    // Doc: "Filter patterns are case sensitive."
    assert_eq!(matching("error", &OR_EVENTS), Vec::<usize>::new());
    assert_eq!(matching("%error%", &OR_EVENTS), Vec::<usize>::new());
}

#[test]
fn doc_empty_pattern_and_quoted_space_match_everything() {
    // Archived doc example 1 ("The filter pattern "" matches all log events") and the doc's `" "`.
    for text in ["", "   ", "\"\"", "\" \""] {
        assert_eq!(matching(text, &OR_EVENTS), [1, 2, 3], "{text:?}");
    }
}

#[test]
fn exclusion_only_pattern_matches_what_lacks_the_term() {
    // Lightsail GetContainerLog's filterPattern doc: "-ERROR" returns every event without ERROR.
    assert_eq!(matching("-ERROR", &OR_EVENTS), [3]);
}

#[test]
fn question_groups_follow_the_cdk_any_term_group_shape() {
    // aws-cdk-lib `FilterPattern.anyTermGroup(["ERROR", "MainThread"], ["WARN", "Deadlock"])` writes
    // `?"ERROR" "MainThread" ?"WARN" "Deadlock"`: each `?` starts a group whose terms must all appear.
    let events = [
        "ERROR in MainThread",
        "ERROR in worker",
        "WARN Deadlock found",
        "WARN slow",
    ];
    assert_eq!(
        matching("?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"", &events),
        [1, 3]
    );
}

#[test]
fn quoted_phrases_hold_punctuation_and_escaped_quotes() {
    let events = ["GET /pets HTTP/1.1", "say \"hi\" now", "GET /petsitter"];
    assert_eq!(matching("\"GET /pets \"", &events), [1]);
    assert_eq!(matching(r#""say \"hi\"""#, &events), [2]);
}

#[test]
fn unquoted_punctuation_is_an_error_that_says_to_quote() {
    let FilterPatternError::Syntax { column, expected, .. } = error("GET /pets") else {
        panic!("syntax error")
    };
    assert_eq!(column, 5);
    assert!(expected.contains("double quotes"), "{expected}");
    let FilterPatternError::Syntax { column, .. } = error("ERROR:") else {
        panic!("syntax error")
    };
    assert_eq!(column, 6);
}

#[test]
fn regex_rules_from_the_supported_regex_section() {
    // "%something!% would be rejected since '!' is not supported"; "The ( and ) operators are not
    // supported"; "Multi-byte characters are not supported".
    for bad in ["%something!%", "%(a|b)%", "%é%"] {
        assert!(matches!(error(bad), FilterPatternError::Regex { .. }), "{bad}");
    }
    // The regexes the doc shows: `%10\.10\.0\.1%` style escapes, alternation, optional characters; the
    // hex escape \x28 that stands for '(' (ministryofjustice PR #5137 after AWS rejected parentheses).
    let events = ["color 10.10.0.1", "colour grey", "call f(x)"];
    assert_eq!(matching(r"%10\.10\.0\.1%", &events), [1]);
    assert_eq!(matching("%colou?r%", &events), [1, 2]);
    assert_eq!(matching("%gray|grey%", &events), [2]);
    assert_eq!(matching(r"%f\x28x\x29%", &events), [3]);
    assert_eq!(matching("%^call%", &events), [3]);
}

// ---- JSON log events ----

/// Archived doc, "JSON Metric Filter Examples": the example event, on one line.
const JSON_EVENT: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "ThisFlag": true}"#;

#[test]
fn doc_json_examples_match_the_example_event() {
    for text in [
        r#"{ $.eventType = "UpdateTrail" }"#,
        "{ $.sourceIPAddress != 123.123.* }",
        r#"{ $.arrayKey[0] = "value" }"#,
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ] {
        assert!(pattern(text).matches(JSON_EVENT), "{text} should match");
    }
}

#[test]
fn doc_json_examples_negated_do_not_match() {
    for text in [
        r#"{ $.eventType = "PutEvent" }"#,
        "{ $.sourceIPAddress != 111.111.* }",
        r#"{ $.arrayKey[1] = "value" }"#,
        "{ $.objectList[1].id = 1 }",
        "{ $.ThisFlag IS NULL }",
        "{ $.SomeObject NOT EXISTS }",
        "{ $.ThisFlag IS FALSE }",
        // "If arrayKey is not an array this will be false."
        r#"{ $.eventType[0] = "UpdateTrail" }"#,
    ] {
        assert!(!pattern(text).matches(JSON_EVENT), "{text} should not match");
    }
}

#[test]
fn doc_json_string_wildcards_at_start_or_end_only() {
    // "*Event will match PutEvent and GetEvent. Event* will match EventId and EventName. Ev*ent will only
    // match the actual string Ev*ent."
    let event = |name: &str| format!(r#"{{"eventName": "{name}"}}"#);
    assert!(pattern("{ $.eventName = *Event }").matches(&event("PutEvent")));
    assert!(pattern("{ $.eventName = *Event }").matches(&event("GetEvent")));
    assert!(pattern("{ $.eventName = Event* }").matches(&event("EventId")));
    assert!(!pattern("{ $.eventName = Ev*ent }").matches(&event("Event")));
    assert!(pattern("{ $.eventName = Ev*ent }").matches(&event("Ev*ent")));
}

#[test]
fn archived_doc_or_pattern_matching_in_json() {
    // "{$.foo = bar} matches pattern 1, {$.foo = baz } matches pattern 2, and {$.foo = bar || $.foo = baz }
    // matches pattern 1 and 2."
    let events = [r#"{"foo": "bar"}"#, r#"{"foo": "baz"}"#];
    assert_eq!(matching("{$.foo = bar}", &events), [1]);
    assert_eq!(matching("{$.foo = baz }", &events), [2]);
    assert_eq!(matching("{$.foo = bar || $.foo = baz }", &events), [1, 2]);
}

/// Archived doc, "JSON Compound Conditions": the example event, on one line.
const COMPOUND_EVENT: &str = r#"{"user": {"id": 1, "email": "John.Stiles@example.com"}, "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}], "actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}"#;

#[test]
fn doc_json_compound_conditions_follow_the_documented_precedence() {
    let cases = [
        (
            r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#,
            true,
        ),
        (
            r#"{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }"#,
            false,
        ),
        (
            r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }"#,
            true,
        ),
        (
            r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }"#,
            false,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(pattern(text).matches(COMPOUND_EVENT), expected, "{text}");
    }
}

#[test]
fn doc_json_selector_on_an_array_matches_neither_equal_nor_not_equal() {
    // "both {$.users = 1} and {$.users != 1} will fail to match a log event where users is an array".
    let event = r#"{"users": [1, 2, 3]}"#;
    assert!(!pattern("{$.users = 1}").matches(event));
    assert!(!pattern("{$.users != 1}").matches(event));
}

#[test]
fn doc_json_numeric_comparisons() {
    // The doc's numeric examples, each against a value on either side of its bound.
    let cases = [
        ("{ $.latency >= 500 }", r#"{"latency": 500}"#, r#"{"latency": 499.9}"#),
        (
            "{ $.numbers[0] < 10e3 }",
            r#"{"numbers": [9999]}"#,
            r#"{"numbers": [10000]}"#,
        ),
        (
            "{ $.numbers[0] < 10e-3 }",
            r#"{"numbers": [0.001]}"#,
            r#"{"numbers": [0.01]}"#,
        ),
        (
            "{ $.processes[4].averageRuntime <= 55.5 }",
            r#"{"processes": [0,0,0,0,{"averageRuntime": 55.5}]}"#,
            r#"{"processes": [0,0,0,0,{"averageRuntime": 55.6}]}"#,
        ),
        (
            "{ $.errorCode = 400 }",
            r#"{"errorCode": 400}"#,
            r#"{"errorCode": 401}"#,
        ),
        (
            "{ $.errorCode != 500 }",
            r#"{"errorCode": 400}"#,
            r#"{"errorCode": 500}"#,
        ),
        ("{ $.latency > +1000 }", r#"{"latency": 1001}"#, r#"{"latency": 1000}"#),
    ];
    for (text, yes, no) in cases {
        let compiled = pattern(text);
        assert!(compiled.matches(yes), "{text} on {yes}");
        assert!(!compiled.matches(no), "{text} on {no}");
    }
}

#[test]
fn doc_publishing_values_latency_equals_star_means_present() {
    // "Publishing numerical values found in log entries": `{ $.latency = * }` on `{"latency": 50, ...}`.
    let compiled = pattern("{ $.latency = * }");
    assert!(compiled.matches(r#"{"latency": 50, "requestType": "GET"}"#));
    assert!(!compiled.matches(r#"{"requestType": "GET"}"#));
}

#[test]
fn json_numbers_compare_with_quoted_numbers_of_api_gateway_access_logs() {
    // API Gateway's console JSON access-log format quotes every value ("status":"503").
    let line = r#"{"requestId":"r1","status":"503","responseLatency":"120"}"#;
    assert!(pattern("{ $.status = 5* && $.responseLatency > 100 }").matches(line));
    assert!(pattern("{ $.status >= 500 }").matches(line));
    assert!(!pattern("{ $.status = 2* }").matches(line));
    assert!(!pattern("{ $.responseLatency > 120 }").matches(line));
}

#[test]
fn json_pattern_does_not_match_non_json_or_non_object_lines() {
    let compiled = pattern("{ $.status = * }");
    for line in [
        "status 200",
        "[1, 2]",
        "{\"status\": 200",
        "{\"status\": 200} trailing",
        "",
    ] {
        assert!(!compiled.matches(line), "{line}");
    }
}

#[test]
fn json_regex_values_and_wildcard_selectors() {
    let line =
        r#"{"message": "bind: address already in use", "items": [{"id": 1}, {"id": 7}], "tags": {"a": "x", "b": "y"}}"#;
    // aws-cdk-lib `FilterPattern.regexValue('$.message', '=', 'bind: address already in use')`.
    assert!(pattern("{ $.message = %bind: address already in use% }").matches(line));
    assert!(pattern("{ $.message != %^listen% }").matches(line));
    assert!(pattern("{ $.items[*].id = 7 }").matches(line));
    assert!(!pattern("{ $.items[*].id = 8 }").matches(line));
    assert!(pattern("{ $.tags.* = y }").matches(line));
    assert!(pattern("{ $.items[*].name NOT EXISTS }").matches(line));
}

#[test]
fn json_parse_errors_name_the_column_and_what_was_expected() {
    let cases = [
        ("{ $.a = 1", 10, "closing '}'"),
        ("{ a = 1 }", 3, "selector starting with $"),
        ("{ $.a ~ 1 }", 7, "an operator"),
        ("{ $.a > abc }", 9, "a number after"),
        ("{ $.a IS MAYBE }", 10, "NULL, TRUE or FALSE"),
        ("{ ($.a = 1 }", 12, "')'"),
        ("{ $.a[x] = 1 }", 7, "an array index"),
        ("{ $.a = 1 } extra", 13, "end of pattern"),
    ];
    for (text, want_column, want_expected) in cases {
        match error(text) {
            FilterPatternError::Syntax { column, expected, .. } => {
                assert_eq!(column, want_column, "{text}: {expected}");
                assert!(expected.contains(want_expected), "{text}: {expected}");
            }
            other => panic!("{text}: {other}"),
        }
    }
}

#[test]
fn at_most_two_regexes_per_json_or_delimited_pattern() {
    // Doc quota: "There is a limit of 2 regex for each filter pattern when creating a delimited or JSON
    // filter pattern".
    assert!(FilterPattern::parse("{ $.a = %x% || $.b = %y% }").is_ok());
    assert_eq!(
        error("{ $.a = %x% || $.b = %y% || $.c = %z% }"),
        FilterPatternError::TooManyRegexes { count: 3 }
    );
    assert_eq!(
        error("[a = %x%, b = %y%, c = %z%]"),
        FilterPatternError::TooManyRegexes { count: 3 }
    );
}

// ---- Space-delimited log events ----

/// Archived doc, "Using Metric Filters to Extract Values from Space-Delimited Log Events".
const CLF: [&str; 3] = [
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355"#,
];

#[test]
fn doc_space_delimited_fields_and_ellipsis() {
    assert_eq!(
        matching("[ip, user, username, timestamp, request, status_code, bytes]", &CLF),
        [1, 2, 3]
    );
    assert_eq!(matching("[..., status_code, bytes]", &CLF), [1, 2, 3]);
    assert_eq!(matching("[ip, user, ..., status_code, bytes]", &CLF), [1, 2, 3]);
    assert_eq!(matching("[ip, user, ...]", &CLF), [1, 2, 3]);
    // Without `...` the count must be exact.
    assert_eq!(
        matching("[ip, user, username, timestamp, request, status_code]", &CLF),
        Vec::<usize>::new()
    );
}

#[test]
fn doc_space_delimited_conditions() {
    let cases: [(&str, &[usize]); 6] = [
        (
            "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
            &[1, 2, 3],
        ),
        (
            "[ip, user, username, timestamp, request, status_code, bytes > 5000]",
            &[2],
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 200, bytes]",
            &[1, 3],
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 5*, bytes]",
            &[2],
        ),
        (
            "[ip, user, username, timestamp, request = *gif*, status_code = 2*, bytes]",
            &[1, 3],
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 500 || status_code = 404, bytes]",
            &[2],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(matching(text, &CLF), expected, "{text}");
    }
}

#[test]
fn archived_doc_or_pattern_matching_in_space_delimited() {
    // "[w1=ERROR, w2] matches pattern 2 because ERROR is the first word, and [w1=ERROR || w1=WARN, w2]
    // matches patterns 2 and 3." (The page's third example, `[w1!=ERROR&&w1!=WARN, w2]` "matches pattern 1",
    // contradicts its own two-field rule and is not pinned here.)
    assert_eq!(matching("[w1=ERROR, w2]", &OR_EVENTS), [2]);
    assert_eq!(matching("[w1=ERROR || w1=WARN, w2]", &OR_EVENTS), [2, 3]);
    assert_eq!(
        matching("[w1!=ERROR&&w1!=WARN, w2, w3]", &OR_EVENTS),
        Vec::<usize>::new()
    );
}

#[test]
fn doc_extracted_fields_name_named_fields_and_number_the_rest() {
    // Archived doc: `[..., request=*.html*, status_code=4*,]` on a 404 line extracts $status_code, $request,
    // $7, $4, $3, $2, $1.
    let line = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /products/index.html HTTP/1.0" 404 1534"#;
    let compiled = pattern("[..., request=*.html*, status_code=4*,]");
    let fields = compiled.extract(line).expect("matches");
    let expected = [
        ("$1", "127.0.0.1"),
        ("$2", "-"),
        ("$3", "frank"),
        ("$4", "10/Oct/2000:13:25:15 -0700"),
        ("$request", "GET /products/index.html HTTP/1.0"),
        ("$status_code", "404"),
        ("$7", "1534"),
    ];
    let got: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (name.as_str(), *value)).collect();
    assert_eq!(got, expected);
    assert!(compiled.extract(&line.replace(" 404 ", " 200 ")).is_none());
    assert!(pattern("ERROR").extract("ERROR").is_none());
}

#[test]
fn space_delimited_regex_and_cross_field_conditions() {
    assert_eq!(matching("[..., status = %^5[0-9]{2}$%, bytes]", &CLF), [2]);
    assert_eq!(matching("[..., status = 200 && bytes < 2000, bytes]", &CLF), [1]);
}

#[test]
fn space_delimited_parse_errors() {
    assert!(matches!(
        error("[a, ..., b, ...]"),
        FilterPatternError::Syntax { column: 13, .. }
    ));
    assert_eq!(
        error("[a = 1 && b = 2, c]"),
        FilterPatternError::UnknownField {
            column: 11,
            name: "b".to_owned()
        }
    );
    assert!(matches!(error("[a b]"), FilterPatternError::Syntax { column: 4, .. }));
    assert!(matches!(error("[a, b"), FilterPatternError::Syntax { column: 6, .. }));
    assert!(matches!(error("[a > x]"), FilterPatternError::Syntax { column: 6, .. }));
}

#[test]
fn messages_with_more_fields_than_the_stack_holds_still_match() {
    let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
    let message = words.join(" ");
    assert!(pattern("[first = w0, ...]").matches(&message));
    assert!(pattern("[..., last = w99]").matches(&message));
    assert!(pattern("[..., before = w98, last]").matches(&message));
    assert!(!pattern("[..., last = w98]").matches(&message));
    let fields = pattern("[first, ..., last]").extract(&message).expect("matches");
    assert_eq!(fields.len(), 100);
    assert_eq!(
        fields.last().map(|(name, value)| (name.as_str(), *value)),
        Some(("$last", "w99"))
    );
}

#[test]
fn split_fields_keeps_brackets_and_quotes_whole() {
    assert_eq!(
        delimited::split_fields(r#"  a "b c"  [d e] f	g "unterminated"#),
        ["a", "b c", "d e", "f", "g", "unterminated"]
    );
}

#[test]
fn kind_and_display() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FilterPattern>();
    assert_eq!(pattern("ERROR").kind(), PatternKind::Terms);
    assert_eq!(pattern(" { $.a = 1 }").kind(), PatternKind::Json);
    assert_eq!(pattern("[a]").kind(), PatternKind::SpaceDelimited);
    assert_eq!(pattern("?A ?B").to_string(), "?A ?B");
    assert_eq!(
        "ERROR".parse::<FilterPattern>().map(|p| p.as_str().to_owned()),
        Ok("ERROR".to_owned())
    );
}

/// The examples of docs/analyzer.md, "Filter patterns", on its three-line access log.
#[test]
fn docs_analyzer_md_examples() {
    let log = [
        r#"{ "requestId":"r1", "httpMethod":"GET", "resourcePath":"/pets", "status":"200", "responseLatency":"12" }"#,
        r#"{ "requestId":"r2", "httpMethod":"POST", "resourcePath":"/orders", "status":"503", "responseLatency":"870" }"#,
        r#"{ "requestId":"r3", "httpMethod":"GET", "resourcePath":"/pets/{petId}", "status":"404", "responseLatency":"4" }"#,
    ];
    assert_eq!(matching("{ $.status = 5* && $.responseLatency > 100 }", &log), [2]);
    assert_eq!(
        matching("{ $.resourcePath = /pets* || $.status >= 500 }", &log),
        [1, 2, 3]
    );
    assert_eq!(matching(r#""POST" -"/health""#, &log), [2]);
    assert!(matches!(
        error(r#"%"status":"4[0-9]{2}"%"#),
        FilterPatternError::Regex { column: 1, .. }
    ));
    assert_eq!(
        matching("[..., key = responseLatency, latency = %[0-9]{3}%, end]", &log),
        [2]
    );
    let FilterPatternError::Syntax { column, .. } = error("GET /pets") else {
        panic!("syntax error")
    };
    assert_eq!(column, 5);
    assert_eq!(
        error("{ $.a = 1").to_string(),
        "filter pattern, column 10: expected '&&', '||' or the closing '}', found end of pattern"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(
        matches!(error(&deep), FilterPatternError::Syntax { column: 67, .. }),
        "{:?}",
        error(&deep)
    );
    let fine = format!("{{ {}$.a = 1{} }}", "(".repeat(64), ")".repeat(64));
    assert!(pattern(&fine).matches(r#"{"a": 1}"#));
    let deep = format!("[{}a = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
    assert!(matches!(error(&deep), FilterPatternError::Syntax { column: 66, .. }));
}

/// A JSON value of up to three levels over the keys `a`, `b`, `c`.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..300).prop_map(Value::from),
        "[a-c0-9*]{0,3}".prop_map(Value::String),
        // Strings the fast path must hand over or unescape: brackets first, quotes, backslashes, controls.
        "[a{\\[\"\\\\\n\u{e9}1 ]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// JSON patterns whose selectors reach into the documents [`json_value`] makes.
const JSON_PATTERNS: [&str; 12] = [
    "{ $.a = * }",
    "{ $.a.b = 1* }",
    "{ $.a[0] != x }",
    "{ $.a[1].c > 5 }",
    "{ $.b IS NULL || $.c IS TRUE }",
    "{ $.a NOT EXISTS && $.b.a NOT EXISTS }",
    "{ $.a[*].b = *a* }",
    "{ $.*.c <= 100 }",
    "{ $.c[0][1] = 2 || $.c[2] = %^[0-9]+$% }",
    "{ $.a.a.a = a }",
    "{ $.b[*][*] IS FALSE }",
    "{ ($.a = 1 || $.b = 2) && $.c != 3 }",
];

proptest! {
    #[test]
    fn selective_json_parsing_agrees_with_the_whole_document(
        value in json_value(),
        index in 0..JSON_PATTERNS.len(),
    ) {
        let document = serde_json::json!({"a": value.clone(), "b": value.clone(), "c": value});
        let message = document.to_string();
        let Compiled::Json(compiled) = pattern(JSON_PATTERNS[index]).compiled else {
            panic!("a JSON pattern");
        };
        prop_assert_eq!(compiled.matches(&message), compiled.matches_fully_parsed(&message), "{}", message);
    }

    /// Term patterns against a reference: split into `?` groups, each term a plain `str::contains`.
    #[test]
    fn term_patterns_agree_with_a_naive_reference(
        terms in prop::collection::vec(("[?-]?", "[a-c]{1,2}"), 1..5),
        message in "[a-c ]{0,16}",
    ) {
        let text: Vec<String> = terms.iter().map(|(prefix, word)| format!("{prefix}{word}")).collect();
        let compiled = pattern(&text.join(" "));
        let mut groups: Vec<Vec<(bool, &str)>> = Vec::new();
        for (prefix, word) in &terms {
            if prefix == "?" || groups.is_empty() {
                groups.push(Vec::new());
            }
            if let Some(group) = groups.last_mut() {
                group.push((prefix == "-", word.as_str()));
            }
        }
        let expected = groups
            .iter()
            .any(|group| group.iter().all(|(exclude, word)| message.contains(word) != *exclude));
        prop_assert_eq!(compiled.matches(&message), expected);
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = FilterPattern::parse(&text);
    }

    #[test]
    fn parse_and_match_never_panic_on_pattern_like_text(
        text in r#"[ \[\]{}()$.*,?"%&|!=<>_a-c0-9\-]{0,40}"#,
        message in r#"[ \[\]{}"a-c0-9:,.]{0,40}"#,
    ) {
        if let Ok(compiled) = FilterPattern::parse(&text) {
            let _ = compiled.matches(&message);
            let _ = compiled.extract(&message);
        }
    }

    #[test]
    fn a_quoted_phrase_matches_exactly_the_messages_containing_it(
        phrase in "[a-z ]{1,8}",
        message in "[a-z ]{0,20}",
    ) {
        prop_assume!(!phrase.trim().is_empty());
        let compiled = FilterPattern::parse(&format!("\"{phrase}\"")).expect("a phrase parses");
        prop_assert_eq!(compiled.matches(&message), message.contains(&phrase));
    }
}

/// The raw-line prefilter of `= "text"` / `= text*` never rejects a line the parse would accept.
#[test]
fn the_key_value_prefilter_only_rejects_lines_that_cannot_match() {
    let status_5xx = pattern("{ $.status = 5* }");
    for (line, expected) in [
        (r#"{ "status":"503", "ip": "1.2.3.4" }"#, true),
        (r#"{ "status" :  "503" }"#, true),
        (r#"{"status":"200"}"#, false),
        // A number's compared text is serde's (`5e2` is `500.0`), not the line's.
        (r#"{"status":5e2}"#, true),
        (r#"{"status":0.5e1}"#, true),
        // The name as a value, then as a key.
        (r#"{"field":"status","status":"500"}"#, true),
        (r#"{"field":"status","code":"500"}"#, false),
        // An escaped key: the prefilter steps aside when the line has a backslash.
        (r#"{"st\u0061tus":"500"}"#, true),
    ] {
        assert_eq!(status_5xx.matches(line), expected, "{line}");
    }
    let nested = pattern(r#"{ $.a.b = "x" && $.c > 1 }"#);
    assert!(nested.matches(r#"{"a":{"b":"x"},"c":2}"#));
    assert!(!nested.matches(r#"{"a":{"b":"y"},"c":2}"#));
}
