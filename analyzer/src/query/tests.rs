//! Tests of the query language: the parser and its errors, and semantics checked against AWS's documentation
//! pages (named in each test). The scanner, the executor's merging and the writers are in `tests_execution.rs`.

use super::ast::{Command, Period};
use super::lexer::period;
use super::parser::parse_query;
use super::scan::parse_clf_time;
use super::value::{sort_order, Val};
use super::{query_events, QueryError};
use crate::event::LogEvent;

pub(super) fn event(message: &str) -> LogEvent {
    LogEvent::from_message(message)
}

pub(super) fn event_at(ms: i64, message: &str) -> LogEvent {
    LogEvent {
        timestamp: Some(ms),
        ..LogEvent::from_message(message)
    }
}

/// Runs a query over messages and renders every cell.
pub(super) fn run(query: &str, messages: &[&str]) -> Vec<Vec<String>> {
    render(
        query_events(query, messages.iter().map(|m| event(m)))
            .expect("query runs")
            .rows,
    )
}

pub(super) fn render(rows: Vec<Vec<Val<'static>>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| r.iter().map(|v| v.render().into_owned()).collect())
        .collect()
}

fn cols(query: &str) -> Vec<String> {
    query_events(query, Vec::new()).expect("query runs").columns
}

fn syntax_error(query: &str) -> (usize, usize, String) {
    match super::compile(query, false) {
        Err(QueryError::Syntax { line, column, message }) => (line, column, message),
        other => panic!("expected a syntax error for {query:?}, got {other:?}"),
    }
}

pub(super) const T0: i64 = 1_795_645_856_000; // 2026-11-25 22:30:56 UTC

// ---- parser ----

#[test]
fn pipes_and_hash_comments_per_the_query_syntax_page() {
    // "CloudWatch Logs Insights language query syntax": commands separated by `|`, comments set off by `#`.
    let q = parse_query("fields @timestamp, @message # the default columns\n| filter status = 500 # errors\n| limit 5")
        .expect("parses");
    assert_eq!(q.commands.len(), 3);
    assert!(matches!(q.commands[2], Command::Limit(5)));
}

#[test]
fn errors_name_line_column_and_what_was_expected() {
    let (line, column, message) = syntax_error("stats count(*) by status\n| frob x");
    assert_eq!((line, column), (2, 3));
    assert!(message.contains("unknown command `frob`"), "{message}");
    let (_, column, message) = syntax_error("filter status =");
    assert_eq!(column, 16);
    assert_eq!(message, "expected a field, value or function call, found end of query");
    let (_, column, message) = syntax_error("fields strlenx(ip)");
    assert_eq!(column, 8);
    assert!(message.contains("unknown function `strlenx`"), "{message}");
    let (_, _, message) = syntax_error("stats medianish(x)");
    assert!(message.contains("unknown aggregate function `medianish`"), "{message}");
    let (_, _, message) = syntax_error("fields count(*)");
    assert!(
        message.contains("use it in `stats`") || message.contains("expected"),
        "{message}"
    );
    let (_, _, message) = syntax_error("limit 0");
    assert!(message.contains("from 1 to 100000"), "{message}");
    let (_, _, message) = syntax_error("parse @message \"a=* b=*\" as a");
    assert!(message.contains("2 `*` but 1 names"), "{message}");
    let (_, _, message) = syntax_error("fields a | filter b = \"open");
    assert!(message.contains("unterminated string"), "{message}");
    let (_, column, message) = syntax_error("filter @message like /a(b/");
    assert_eq!(column, 22);
    assert!(message.contains("bad regex /a(b/"), "{message}");
    let (_, column, message) = syntax_error("parse @message /(\\d+) ms/");
    assert_eq!(column, 16);
    assert!(message.contains("no named group"), "{message}");
    let (_, column, message) = syntax_error("fields 5m as x");
    assert_eq!(column, 8);
    assert!(message.contains("only valid as an argument of bin()"), "{message}");
    let (_, column, message) = syntax_error("fields a | fields strlen(5m)");
    assert_eq!(column, 19);
    assert!(message.contains("does not take a time period"), "{message}");
    let (_, _, message) = syntax_error("pattern @message");
    assert!(message.contains("not supported"), "{message}");
}

#[test]
fn only_limit_may_follow_dedup_per_the_dedup_page() {
    let (_, _, message) = syntax_error("dedup server | sort @timestamp desc");
    assert!(message.contains("only `limit` may follow `dedup`"), "{message}");
    assert!(parse_query("sort @timestamp desc | dedup server | limit 3").is_ok());
}

#[test]
fn slash_is_division_after_an_operand_and_a_regex_where_an_operand_is_expected() {
    assert_eq!(
        run(
            "fields responseLatency / 2 as half | display half",
            &[r#"{"responseLatency":"9"}"#]
        ),
        [["4.5"]]
    );
    assert_eq!(
        run("filter @message like /b+c/ | display @message", &["abbc", "ac"]),
        [["abbc"]]
    );
}

#[test]
fn bin_units_per_the_stats_page() {
    // "stats": ms msec millisecond, s sec second, m min minute, h hr hour, d day, w week, mo mon month,
    // q qtr quarter, y yr year; plural s on multi-letter units.
    assert_eq!(period(5.0, "m"), Some(Period::Millis(300_000)));
    assert_eq!(period(2.0, "hrs"), Some(Period::Millis(7_200_000)));
    assert_eq!(period(30.0, "secs"), Some(Period::Millis(30_000)));
    assert_eq!(period(100.0, "ms"), Some(Period::Millis(100)));
    assert_eq!(period(1.0, "w"), Some(Period::Millis(604_800_000)));
    assert_eq!(period(1.0, "mo"), Some(Period::Months(1)));
    assert_eq!(period(1.0, "qtr"), Some(Period::Months(3)));
    assert_eq!(period(2.0, "years"), Some(Period::Months(24)));
    assert_eq!(period(1.0, "fortnight"), None);
}

// ---- semantics ----

#[test]
fn arithmetic_examples_from_the_operations_and_functions_page() {
    // "Boolean, comparison, numeric, datetime, and other functions": `2 ^ 3` returns 8, `10 % 3` returns 1.
    assert_eq!(
        run(
            "fields 2 ^ 3 as p, 10 % 3 as r, 7 - 2 * 3 as m | display p, r, m",
            &["x"]
        ),
        [["8", "1", "1"]]
    );
}

#[test]
fn json_string_numbers_compare_as_numbers() {
    let lines = [
        r#"{"status":"200","lat":"5"}"#,
        r#"{"status":"503","lat":"40"}"#,
        r#"{"status":200,"lat":7}"#,
    ];
    assert_eq!(run("filter status = 200 | display lat", &lines), [["5"], ["7"]]);
    assert_eq!(run("filter status = \"200\" | display lat", &lines), [["5"], ["7"]]);
    assert_eq!(run("filter lat > 6 | display status", &lines), [["503"], ["200"]]);
    assert_eq!(
        run("filter status >= 500 and lat < 100 | display lat", &lines),
        [["40"]]
    );
}

#[test]
fn string_booleans_filter_as_booleans() {
    let lines = [
        r#"{"id":"a","isCanaryRequest":"true"}"#,
        r#"{"id":"b","isCanaryRequest":"false"}"#,
        r#"{"id":"c"}"#,
    ];
    assert_eq!(run("filter isCanaryRequest | display id", &lines), [["a"]]);
    assert_eq!(run("filter not isCanaryRequest | display id", &lines), [["b"], ["c"]]);
}

#[test]
fn count_star_counts_rows_and_count_field_counts_present_values() {
    let lines = [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"a":null}"#, "plain text"];
    assert_eq!(
        run("stats count(*) as all, count(a) as with_a, count() as also_all", &lines),
        [["4", "1", "4"]]
    );
}

#[test]
fn pct_is_the_exact_nearest_rank_percentile() {
    let lines: Vec<String> = (1..=1000).rev().map(|i| format!(r#"{{"lat":"{i}"}}"#)).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let rows = run(
        "stats pct(lat, 99) as p99, percentile(lat, 50) as p50, pct(lat, 100) as p100, pct(lat, 0) as p0",
        &refs,
    );
    assert_eq!(rows, [["990", "500", "1000", "1"]]);
    let ten: Vec<String> = (1..=10).map(|i| format!(r#"{{"lat":{i}}}"#)).collect();
    let refs: Vec<&str> = ten.iter().map(String::as_str).collect();
    assert_eq!(
        run("stats pct(lat, 50), pct(lat, 95), pct(lat, 10)", &refs),
        [["5", "10", "1"]]
    );
}

#[test]
fn stats_functions_sum_avg_min_max_stddev_count_distinct() {
    let lines = [
        r#"{"v":"2","k":"a"}"#,
        r#"{"v":"4","k":"b"}"#,
        r#"{"v":"4","k":"a"}"#,
        r#"{"v":"5","k":"a"}"#,
        r#"{"k":"c"}"#,
    ];
    let rows = run(
        "stats sum(v), avg(v), min(v), max(v), count_distinct(k), stddev(v)",
        &lines,
    );
    assert_eq!(rows[0][..5], ["15", "3.75", "2", "5", "3"]);
    let sd: f64 = rows[0][5].parse().expect("number");
    assert!((sd - 1.2583).abs() < 1e-3, "sample standard deviation, got {sd}");
}

#[test]
fn earliest_and_latest_follow_timestamp() {
    let events = vec![
        event_at(T0 + 2000, r#"{"v":"mid"}"#),
        event_at(T0, r#"{"v":"first"}"#),
        event_at(T0 + 9000, r#"{"v":"last"}"#),
    ];
    let rows = render(
        query_events("stats earliest(v) as e, latest(v) as l", events)
            .expect("runs")
            .rows,
    );
    assert_eq!(rows, [["first", "last"]]);
}

#[test]
fn bin_rounds_down_to_utc_boundaries() {
    // T0 is 2026-11-25 22:30:56 UTC.
    let events = || vec![event_at(T0, "x")];
    let one = |q: &str| render(query_events(q, events()).expect("runs").rows)[0][0].clone();
    assert_eq!(
        one("stats count(*) by bin(1m) as b | display b"),
        "2026-11-25 22:30:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(5m) as b | display b"),
        "2026-11-25 22:30:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(1h) as b | display b"),
        "2026-11-25 22:00:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(1d) as b | display b"),
        "2026-11-25 00:00:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(1mo) as b | display b"),
        "2026-11-01 00:00:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(1q) as b | display b"),
        "2026-10-01 00:00:00.000"
    );
    assert_eq!(
        one("stats count(*) by bin(1y) as b | display b"),
        "2026-01-01 00:00:00.000"
    );
    assert_eq!(
        one("fields dateceil(@timestamp, 1h) as c | display c"),
        "2026-11-25 23:00:00.000"
    );
    assert_eq!(
        one("fields datefloor(@timestamp, 1w) as c | display c"),
        "2026-11-19 00:00:00.000"
    );
    assert_eq!(one("fields toMillis(@timestamp) as c | display c"), T0.to_string());
    assert_eq!(
        one("fields fromMillis(1795645856000) as c | display c"),
        "2026-11-25 22:30:56.000"
    );
}

#[test]
fn access_log_timestamp_comes_from_request_time() {
    let clf = r#"{"requestTime":"25/Nov/2026:23:30:56 +0100","status":"200"}"#;
    let epoch = r#"{"requestTimeEpoch":1795645856000,"requestTime":"garbage","status":"200"}"#;
    let line = r#"10.0.0.1 - - [25/Nov/2026:22:30:56 +0000] "GET / HTTP/1.1" 200 11 id"#;
    assert_eq!(
        run("fields @timestamp | display @timestamp", &[clf, epoch, line]),
        [
            ["2026-11-25 22:30:56.000"],
            ["2026-11-25 22:30:56.000"],
            ["2026-11-25 22:30:56.000"]
        ]
    );
    assert_eq!(parse_clf_time("25/Nov/2026:22:30:56 +0000"), Some(T0));
    assert_eq!(parse_clf_time("25/Foo/2026:22:30:56 +0000"), None);
}

#[test]
fn sort_uses_the_natural_order_of_the_sort_page() {
    // "sort": all non-number values before number values; digit runs compare by length then value; other
    // characters by code point. The page's ascending example, without its equal-valued "01".
    let expected = [
        "!:",
        "#",
        "*%04",
        "0#",
        "5A",
        "111A",
        "2345_",
        "@",
        "@_",
        "A",
        "A9876fghj",
        "a12345hfh",
        "0",
        "1",
        "2",
        "3",
    ];
    let mut shuffled: Vec<String> = expected.iter().rev().map(|s| format!(r#"{{"v":"{s}"}}"#)).collect();
    shuffled.swap(2, 9);
    let refs: Vec<&str> = shuffled.iter().map(String::as_str).collect();
    let rows = run("sort v asc | display v", &refs);
    assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), expected);
    let rows = run("sort v desc | display v", &refs);
    assert_eq!(rows.iter().rev().map(|r| r[0].as_str()).collect::<Vec<_>>(), expected);
    assert!(sort_order(&Val::Null, &Val::Num(1.0)).is_gt(), "nulls sort last");
}

#[test]
fn sort_several_keys_then_limit_is_top_n_per_the_limit_page() {
    // "limit": `fields @timestamp, @message | sort @timestamp desc | limit 25` returns the 25 most recent events.
    let events: Vec<LogEvent> = (0..100)
        .map(|i| event_at(T0 + i * 1000, &format!("event {i}")))
        .collect();
    let rows = render(
        query_events("fields @timestamp, @message | sort @timestamp desc | limit 25", events)
            .expect("runs")
            .rows,
    );
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0][1], "event 99");
    assert_eq!(rows[24][1], "event 75");
    let lines = [r#"{"a":"1","b":"x"}"#, r#"{"a":"2","b":"y"}"#, r#"{"a":"1","b":"z"}"#];
    assert_eq!(
        run("sort a desc, b asc | display a, b", &lines),
        [["2", "y"], ["1", "x"], ["1", "z"]]
    );
}

#[test]
fn dedup_keeps_the_first_in_sort_order_and_null_keys_per_the_dedup_page() {
    // "dedup": `fields @timestamp, server, severity, message | sort @timestamp desc | dedup server`; null values are
    // not duplicates; without a sort, the default order is @timestamp descending.
    let events = vec![
        event_at(T0, r#"{"server":"a","message":"old a"}"#),
        event_at(T0 + 1, r#"{"server":"b","message":"only b"}"#),
        event_at(T0 + 2, r#"{"server":"a","message":"new a"}"#),
        event_at(T0 + 3, r#"{"message":"no server 1"}"#),
        event_at(T0 + 4, r#"{"message":"no server 2"}"#),
    ];
    let q = "fields @timestamp, server | display message | sort @timestamp desc | dedup server";
    let rows = render(query_events(q, events.clone()).expect("runs").rows);
    assert_eq!(rows, [["no server 2"], ["no server 1"], ["new a"], ["only b"]]);
    let rows = render(
        query_events("display message | dedup server", events.clone())
            .expect("runs")
            .rows,
    );
    assert_eq!(rows, [["no server 2"], ["no server 1"], ["new a"], ["only b"]]);
    let limited = query_events("display message | dedup server | limit 3", events).expect("runs");
    assert_eq!(render(limited.rows), [["no server 2"], ["no server 1"], ["new a"]]);
}

#[test]
fn parse_glob_and_regex_examples_from_the_parse_page() {
    // "parse": `parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency)
    // by @method, @user`.
    let lines = [
        "user=ana, method:GET, latency := 10",
        "user=ana, method:GET, latency := 30",
        "user=bo, method:PUT, latency := 7",
        "unmatched",
    ];
    let rows = run(
        r#"parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency) by @method, @user"#,
        &lines,
    );
    assert_eq!(rows, [["GET", "ana", "20"], ["PUT", "bo", "7"], ["", "", ""]]);
    // `parse @message /(?<NetworkInterface>eni-.*?) / | display NetworkInterface, @message` on a VPC flow log.
    let flow = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
    let rows = run(
        "parse @message /(?<NetworkInterface>eni-.*?) / | display NetworkInterface",
        &[flow, "no eni here"],
    );
    assert_eq!(rows, [["eni-1235b8ca123456789"], [""]]);
    // parse of a named field; unmatched rows stay, without the fields.
    let rows = run(
        r#"parse url "/api/*/users/*" as v, id | display v, id"#,
        &[r#"{"url":"/api/v2/users/42"}"#, r#"{"url":"/x"}"#],
    );
    assert_eq!(rows, [["v2", "42"], ["", ""]]);
}

#[test]
fn unnest_makes_one_row_per_item_per_the_unnest_page() {
    // "unnest": `{ "events": [ { "name": "exception" }, { "name": "user action" } ] }` gives two records.
    let line = r#"{ "events": [ { "name": "exception" }, { "name": "user action" } ] }"#;
    assert_eq!(
        run("unnest events into event | display event.name", &[line]),
        [["exception"], ["user action"]]
    );
    assert_eq!(
        run(
            "unnest tags into t | stats count(*) by t",
            &[r#"{"tags":["a","b","a"]}"#]
        ),
        [["a", "2"], ["b", "1"]]
    );
}

#[test]
fn like_regex_in_and_not_in_filters() {
    let lines = [
        r#"{"path":"/Pets/1","m":"GET"}"#,
        r#"{"path":"/users","m":"POST"}"#,
        r#"{"path":"/pets/2","m":"DELETE"}"#,
    ];
    assert_eq!(run(r#"filter path like "pets" | display path"#, &lines), [["/pets/2"]]);
    assert_eq!(
        run("filter path like /(?i)pets/ | display path", &lines),
        [["/Pets/1"], ["/pets/2"]]
    );
    assert_eq!(run("filter path =~ /^\\/users$/ | display path", &lines), [["/users"]]);
    assert_eq!(
        run(r#"filter path not like "pets" | display path"#, &lines),
        [["/Pets/1"], ["/users"]]
    );
    assert_eq!(
        run(r#"filter m in ["GET", "DELETE"] | display m"#, &lines),
        [["GET"], ["DELETE"]]
    );
    assert_eq!(
        run(r#"filter m not in ["GET", "DELETE"] | display m"#, &lines),
        [["POST"]]
    );
    assert_eq!(
        run(r#"filter not (m = "GET" or m = "POST") | display m"#, &lines),
        [["DELETE"]]
    );
}

#[test]
fn string_functions() {
    let line = r#"{"s":"  Hello, World  ","e":"","b":"   ","n":null}"#;
    let q = "fields strlen(s) as a, toupper(trim(s)) as b, tolower(ltrim(s)) as c, concat(rtrim(s), \"!\") as d, \
             substr(trim(s), 7) as e2, substr(trim(s), 0, 5) as f, replace(s, \"l\", \"L\") as g, \
             strcontains(s, \"World\") as h, isempty(e) as i, isblank(b) as j, ispresent(n) as k, \
             coalesce(n, e, s) as l, ltrim(\"xxhixx\", \"x\") as m2 | display a, b, c, d, e2, f, g, h, i, j, k, l, m2";
    assert_eq!(
        run(q, &[line]),
        [[
            "16",
            "HELLO, WORLD",
            "hello, world  ",
            "  Hello, World!",
            "World",
            "Hello",
            "  HeLLo, WorLd  ",
            "1",
            "true",
            "true",
            "false",
            "",
            "hixx"
        ]]
    );
    assert_eq!(
        run(
            "fields isempty(missing) as a, isblank(missing) as b | display a, b",
            &["{}"]
        ),
        [["true", "true"]]
    );
}

#[test]
fn numeric_functions() {
    let q = "fields abs(-3) as a, ceil(1.2) as b, floor(1.8) as c, greatest(1, 7, 3) as d, least(4, 2, 9) as e, \
             log(1) as f, sqrt(16) as g, pow(2, 10) as h, 7 / 0 as i | display a, b, c, d, e, f, g, h, i";
    assert_eq!(run(q, &["x"]), [["3", "2", "1", "7", "2", "0", "4", "1024", ""]]);
}

#[test]
fn ip_functions() {
    let q = "fields isValidIp(ip) as a, isValidIpV4(ip) as b, isValidIpV6(ip) as c, isIpInSubnet(ip, \"10.0.0.0/8\") as d, \
             isIpv4InSubnet(ip, \"10.1.0.0/16\") as e, isIpv6InSubnet(ip, \"2001:db8::/32\") as f | display a, b, c, d, e, f";
    let lines = [r#"{"ip":"10.1.2.3"}"#, r#"{"ip":"2001:db8::1"}"#, r#"{"ip":"nope"}"#];
    assert_eq!(
        run(q, &lines),
        [
            ["true", "true", "false", "true", "true", "false"],
            ["true", "false", "true", "false", "false", "true"],
            ["false", "false", "false", "false", "false", "false"]
        ]
    );
}

#[test]
fn a_second_stats_aggregates_the_first_per_the_stats_page() {
    // "stats", section "Use multiple stats commands in a single query".
    let events: Vec<LogEvent> = (0..6)
        .map(|i| event_at(T0 + i * 20_000, r#"{"status":"200"}"#))
        .collect();
    let q =
        "stats count(*) as per_minute by bin(1m) | stats avg(per_minute) as avg_per_minute, max(per_minute) as peak";
    assert_eq!(render(query_events(q, events).expect("runs").rows), [["2", "3"]]);
}

#[test]
fn stats_groups_are_ordered_by_their_keys() {
    let lines = [r#"{"s":"500"}"#, r#"{"s":"200"}"#, r#"{"s":"404"}"#, r#"{"s":"200"}"#];
    assert_eq!(
        run("stats count(*) as n by s", &lines),
        [["200", "2"], ["404", "1"], ["500", "1"]]
    );
    assert_eq!(
        run("stats count(*) as n by s | sort n desc | limit 1", &lines),
        [["200", "2"]]
    );
    assert_eq!(
        run(
            "stats count(*) as n by s | filter n < 2 | fields n * 10 as x | display s, x",
            &lines
        ),
        [["404", "10"], ["500", "10"]]
    );
}

#[test]
fn result_columns() {
    assert_eq!(cols("filter status = 200"), ["@timestamp", "@message"]);
    assert_eq!(cols("fields status, ip | filter status = 200"), ["status", "ip"]);
    assert_eq!(cols("fields status | display ip"), ["ip"]);
    assert_eq!(cols(r#"parse @message "a=*" as a"#), ["@timestamp", "@message", "a"]);
    assert_eq!(
        cols("stats count(*), pct(lat, 99) by status, bin(1m)"),
        ["status", "bin(1m)", "count(*)", "pct(lat, 99)"]
    );
}

#[test]
fn default_limit_is_ten_thousand_rows_per_the_limit_page() {
    // "limit": without `limit`, a query returns up to 10,000 log events.
    let events = (0..10_050).map(|i| event(&format!("line {i}")));
    assert_eq!(
        query_events("display @message", events).expect("runs").rows.len(),
        10_000
    );
    let events = (0..10_050).map(|i| event(&format!("line {i}")));
    assert_eq!(
        query_events("display @message | limit 10050", events)
            .expect("runs")
            .rows
            .len(),
        10_050
    );
}

#[test]
fn system_fields() {
    let mut e = event_at(T0, "hello");
    e.ingestion_time = Some(T0 + 5);
    e.log_stream = Some("stream-1".into());
    e.log_group = Some("group-1".into());
    let rows = render(
        query_events(
            "display @timestamp, @message, @logStream, @log, @ingestionTime",
            vec![e],
        )
        .expect("runs")
        .rows,
    );
    assert_eq!(
        rows,
        [[
            "2026-11-25 22:30:56.000",
            "hello",
            "stream-1",
            "group-1",
            "2026-11-25 22:30:56.005"
        ]]
    );
}
