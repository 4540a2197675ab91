//! Tests of execution: the JSON field scanner (against serde_json), one worker and N workers agreeing on every
//! kind of query, time ranges, and the table/JSON/CSV writers.

use super::executor::RunOptions;
use super::output::{Format, RowWriter, Writer};
use super::scan::FieldScanner;
use super::tests::{event, render, run, T0};
use super::value::{format_timestamp, Val};
use super::{parse_when, query_bytes, query_events};

// ---- scanner ----

#[test]
fn scanner_reads_nested_arrays_and_escapes() {
    let scanner = FieldScanner::new(vec![
        ("a.b".into(), 0),
        ("c.1".into(), 1),
        ("esc".into(), 2),
        ("obj".into(), 3),
        ("n".into(), 4),
        ("t".into(), 5),
    ]);
    let line = r#"{"a":{"b":"deep","x":[1,{"y":2}]},"c":[true,"second"],"esc":"q\"\u00e9\n","obj":{"k":[1,2]},"n":-1.5e2,"t":true}"#;
    let mut row = vec![Val::Null; 6];
    scanner.scan(line, &mut row, &mut String::new()).expect("json");
    assert_eq!(row[0], Val::str("deep"));
    assert_eq!(row[1], Val::str("second"));
    assert_eq!(row[2], Val::str("q\"é\n"));
    assert_eq!(row[3], Val::str(r#"{"k":[1,2]}"#));
    assert_eq!(row[4], Val::Num(-150.0));
    assert_eq!(row[5], Val::Bool(true));
    assert!(scanner.scan("{\"a\":", &mut row, &mut String::new()).is_err());
    assert!(scanner.scan("plain", &mut row, &mut String::new()).is_err());
}

/// A small deterministic generator of nested JSON values (strings with escapes and non-ASCII text included).
fn random_json(seed: &mut u64, depth: u32) -> serde_json::Value {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    };
    let pick = next() % if depth == 0 { 4 } else { 6 };
    match pick {
        0 => serde_json::Value::from(next() as i64 - 1000),
        1 => serde_json::Value::from((next() % 10_000) as f64 / 8.0),
        2 => serde_json::Value::from(
            [
                "plain",
                "quo\"te",
                "back\\slash",
                "tab\tnew\nline",
                "é ü 漢字",
                "\u{1F600}",
                "",
            ][(next() % 7) as usize],
        ),
        3 => serde_json::Value::from(next() % 2 == 0),
        4 => {
            let n = next() % 4;
            serde_json::Value::Array((0..n).map(|_| random_json(seed, depth - 1)).collect())
        }
        _ => {
            let n = next() % 4;
            let mut map = serde_json::Map::new();
            for i in 0..n {
                map.insert(
                    format!("k{i}{}", ["", "_x", "é"][(i % 3) as usize]),
                    random_json(seed, depth - 1),
                );
            }
            serde_json::Value::Object(map)
        }
    }
}

#[test]
fn the_scanner_agrees_with_serde_json_on_generated_objects() {
    let mut seed = 42;
    for _ in 0..300 {
        let mut object = serde_json::Map::new();
        for i in 0..4 {
            object.insert(format!("f{i}"), random_json(&mut seed, 3));
        }
        let line = serde_json::Value::Object(object).to_string();
        let record = crate::record::Record::parse_json(&line).expect("valid json");
        let wanted: Vec<(String, usize)> = record
            .fields()
            .enumerate()
            .map(|(i, (name, _))| (name.to_owned(), i))
            .collect();
        let scanner = FieldScanner::new(wanted.clone());
        let mut row = vec![Val::Null; wanted.len()];
        scanner
            .scan(&line, &mut row, &mut String::new())
            .expect("the scanner reads what serde_json wrote");
        for (name, slot) in &wanted {
            let expected = super::scan::from_json(record.get(name).expect("field"));
            assert_eq!(row[*slot], expected, "{name} in {line}");
        }
    }
}

#[test]
fn malformed_and_non_json_lines_only_have_system_fields() {
    let lines = [
        r#"{"status":"200"}"#,
        r#"{"status":"500",}"#,
        "status=200",
        r#"{"status" : "404" }"#,
    ];
    assert_eq!(
        run("stats count(*) as n by status", &lines),
        [["200", "1"], ["404", "1"], ["", "2"]]
    );
}

// ---- one worker and N workers agree ----

fn corpus() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..6000u64 {
        let status = ["200", "200", "200", "404", "500"][(i * 7 % 5) as usize];
        let lat = (i * 37) % 211 + 1;
        let minute = i % 17;
        match i % 500 {
            0 => out.extend_from_slice(b"not json at all\r\n"),
            1 => out.extend_from_slice(b"{\"status\":\"\xff\xfe\",\"responseLatency\":\"1\"}\n"),
            2 => out.extend_from_slice(b"\n"),
            _ => out.extend_from_slice(
                format!(
                    "{{ \"requestId\":\"r{i}\", \"ip\": \"10.0.{}.{}\", \"requestTime\":\"25/Nov/2026:22:{minute:02}:{:02} +0000\", \"status\":\"{status}\", \"responseLatency\":\"{lat}\" }}\n",
                    i % 3,
                    i % 251,
                    i % 60
                )
                .as_bytes(),
            ),
        }
    }
    out
}

#[test]
fn one_worker_and_many_workers_give_the_same_answer() {
    let data = corpus();
    let queries = [
        "stats count(*), pct(responseLatency, 99), pct(responseLatency, 50) by status, bin(1m)",
        "stats count(*) by status",
        "stats avg(responseLatency), stddev(responseLatency), count_distinct(ip), min(responseLatency), max(responseLatency), sum(responseLatency), earliest(requestId), latest(requestId)",
        "filter status = 500 | fields requestId, responseLatency | limit 40",
        "filter responseLatency > 100 | sort responseLatency desc, requestId asc | limit 15",
        "fields requestId | filter ip like /10\\.0\\.2\\./ | dedup status | limit 10",
        "stats count(*) as c by status, bin(5m) | stats sum(c) as total, max(c) as most by status",
    ];
    for q in queries {
        let one = query_bytes(
            q,
            &data,
            &RunOptions {
                workers: 1,
                ..RunOptions::default()
            },
        )
        .expect("runs");
        for (workers, chunk) in [(2, 997), (4, 4096), (3, 1 << 20), (7, 64)] {
            let many = query_bytes(
                q,
                &data,
                &RunOptions {
                    workers,
                    chunk_size: Some(chunk),
                    ..RunOptions::default()
                },
            )
            .expect("runs");
            assert_eq!(one, many, "{q} with {workers} workers and {chunk}-byte chunks");
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        let events = text.lines().map(|l| event(l.trim_end_matches('\r')));
        let sequential = query_events(q, events).expect("runs");
        assert_eq!(one, sequential, "{q}: chunked and event-by-event paths agree");
    }
    let counted = query_bytes(
        "stats count(*) as n",
        &data,
        &RunOptions {
            workers: 4,
            chunk_size: Some(333),
            ..RunOptions::default()
        },
    )
    .expect("runs");
    assert_eq!(render(counted.rows), [["5988"]], "every non-empty line, once");
}

#[test]
fn since_and_until_keep_events_in_the_range() {
    let data = corpus();
    let since = parse_when("2026-11-25T22:05:00Z", 0).expect("time");
    let until = parse_when("2026-11-25T22:05:59.999Z", 0).expect("time");
    let options = RunOptions {
        workers: 2,
        since: Some(since),
        until: Some(until),
        ..RunOptions::default()
    };
    let rows = render(
        query_bytes("stats count(*) by bin(1m) as m | display m", &data, &options)
            .expect("runs")
            .rows,
    );
    assert_eq!(rows, [["2026-11-25 22:05:00.000"]]);
}

#[test]
fn when_forms() {
    let now = T0;
    assert_eq!(parse_when("15m", now).expect("t"), T0 - 900_000);
    assert_eq!(parse_when("now", now).expect("t"), T0);
    assert_eq!(parse_when("1795645856000", now).expect("t"), T0);
    assert_eq!(parse_when("2026-11-25T22:30:56Z", now).expect("t"), T0);
    assert_eq!(parse_when("2026-11-25 23:30:56+01:00", now).expect("t"), T0);
    assert_eq!(
        parse_when("2026-11-25", now).expect("t"),
        T0 - (22 * 3600 + 30 * 60 + 56) * 1000
    );
    assert!(parse_when("yesterday-ish", now).is_err());
    assert_eq!(format_timestamp(T0), "2026-11-25 22:30:56.000");
}

// ---- writers ----

fn write_all(format: Format, rows: &[Vec<Val<'static>>]) -> String {
    let mut writer = Writer::new(
        format,
        vec![("status".into(), 0), ("msg".into(), 1), ("n".into(), 2)],
        Vec::new(),
    );
    for row in rows {
        writer.write(row).expect("write");
    }
    writer.finish().expect("finish");
    String::from_utf8(writer.into_inner()).expect("utf-8")
}

#[test]
fn table_json_and_csv_output() {
    let rows = vec![
        vec![Val::str("200"), Val::str("plain"), Val::Num(3.0)],
        vec![Val::str("500"), Val::str("has, comma \"q\""), Val::Null],
        vec![Val::Null, Val::str("x"), Val::Num(0.25)],
    ];
    assert_eq!(
        write_all(Format::Table, &rows),
        "status  msg             n\n------  --------------  ----\n200     plain           3\n500     has, comma \"q\"\n        x               0.25\n"
    );
    assert_eq!(
        write_all(Format::Json, &rows),
        "{\"status\":\"200\",\"msg\":\"plain\",\"n\":3}\n{\"status\":\"500\",\"msg\":\"has, comma \\\"q\\\"\"}\n{\"msg\":\"x\",\"n\":0.25}\n"
    );
    assert_eq!(
        write_all(Format::Csv, &rows),
        "status,msg,n\n200,plain,3\n500,\"has, comma \"\"q\"\"\",\nx,0.25\n".replace("\nx,", "\n,x,")
    );
    assert_eq!(write_all(Format::Csv, &[]), "status,msg,n\n");
}
