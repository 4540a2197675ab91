//! `moatctl traces` as users run it: the real binary on a temporary file of segment documents (and on
//! stdin), as tables, as JSON, with an X-Ray filter expression, and with a bad one.

mod common;

use common::{moatctl, text};

use serde_json::{json, Value};

/// Three gateway segments in Moat's shape (name, ids, times, http request/response, flags, annotations),
/// with the X-Ray daemon header in front of the second.
fn segments() -> String {
    let segment = |n: u32, method: &str, path: &str, status: u16, ms: f64| {
        let mut document = json!({
            "name": "petstore/prod",
            "id": format!("{:016x}", 0x1000 + n),
            "trace_id": format!("1-5f000000-{n:024x}"),
            "start_time": 1_764_111_600.0 + f64::from(n),
            "end_time": 1_764_111_600.0 + f64::from(n) + ms / 1000.0,
            "origin": "AWS::ApiGateway::Stage",
            "http": {
                "request": {"method": method, "url": format!("https://api.example.com/prod{path}"), "client_ip": "192.0.2.1"},
                "response": {"status": status, "content_length": 42}
            },
            "annotations": {"aws:api_id": "a1b2c3d4e5", "aws:api_stage": "prod", "moat_canary": false}
        });
        if status >= 500 {
            document["fault"] = json!(true);
        }
        document.to_string()
    };
    format!(
        "{}\n{{\"format\": \"json\", \"version\": 1}}\n{}\n{}\n",
        segment(1, "GET", "/pets", 200, 12.0),
        segment(2, "POST", "/orders", 502, 870.0),
        segment(3, "GET", "/pets/7", 404, 4.0)
    )
}

#[test]
fn table_report_from_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("segments.jsonl");
    std::fs::write(&path, segments()).expect("fixture written");
    let output = moatctl(&["traces", path.to_str().expect("utf-8 path"), "--top", "2"], None);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert!(stdout.contains("traces     3\n"), "{stdout}");
    assert!(stdout.contains("faults     1 (33.3%)"), "{stdout}");
    assert!(
        stdout.contains(
            "1-5f000000-000000000000000000000002  870.0 ms  POST    https://api.example.com/prod/orders     502"
        ),
        "{stdout}"
    );
    // --top 2 keeps two slowest traces.
    assert!(!stdout.contains("1-5f000000-000000000000000000000003    "), "{stdout}");
    assert!(text(&output.stderr).is_empty(), "{}", text(&output.stderr));
}

#[test]
fn json_report_with_a_filter_from_stdin() {
    let output = moatctl(
        &["traces", "-", "--json", "--filter", "fault OR http.status = 404"],
        Some(&segments()),
    );
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["traces"], 2);
    assert_eq!(report["faults"], 1);
    assert_eq!(report["errors"], 1);
    assert_eq!(report["by_status"], json!({"404": 1, "502": 1}));
    assert_eq!(report["slowest"][0]["url"], "https://api.example.com/prod/orders");
}

#[test]
fn a_bad_filter_fails_with_its_column() {
    let output = moatctl(
        &["traces", "-", "--filter", "http.url CONTAINS pets"],
        Some(&segments()),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--filter") && stderr.contains("column 19"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn lines_that_are_not_documents_are_reported_on_stderr() {
    let input = format!("{}garbage\n", segments());
    let output = moatctl(&["traces", "-", "--json"], Some(&input));
    assert!(output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("skipped 1 line(s)") && stderr.contains("line 5"),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_fails_with_its_path() {
    let output = moatctl(&["traces", "/nonexistent/segments.jsonl"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("/nonexistent/segments.jsonl"),
        "{}",
        text(&output.stderr)
    );
}

/// The example of docs/analyzer.md, "moatctl traces": its segments, run as the doc runs them, print the
/// output the doc shows.
#[test]
fn the_documented_example_prints_what_the_doc_shows() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/analyzer.md")).expect("docs");
    let section = doc.split("## moatctl traces").nth(1).expect("the traces section");
    let heredoc = section
        .split("<<'EOF2'\n")
        .nth(1)
        .and_then(|rest| rest.split("\nEOF2\n").next());
    let segments = heredoc.expect("the segments heredoc");
    let command = "moatctl traces /tmp/segments.jsonl --top 2\n```\n\n```\n";
    let shown = section
        .split(command)
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("the output block");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("segments.jsonl");
    std::fs::write(&path, format!("{segments}\n")).expect("segments written");
    let output = moatctl(&["traces", path.to_str().expect("utf-8 path"), "--top", "2"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), shown);
}

#[test]
fn since_and_until_keep_traces_that_start_in_the_range() {
    let count = |args: &[&str]| {
        let mut all = vec!["traces", "-", "--json"];
        all.extend_from_slice(args);
        let output = moatctl(&all, Some(&segments()));
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
        report["traces"].clone()
    };
    // The fixture's traces start at 1764111601, ...602 and ...603 (seconds); the arguments are epoch ms.
    assert_eq!(count(&["--since", "1764111602000"]), 2);
    assert_eq!(count(&["--since", "1764111601000", "--until", "1764111602000"]), 2);
    assert_eq!(count(&["--until", "2025-11-25T23:00:00Z"]), 0);
    let output = moatctl(&["traces", "-", "--since", "2h", "--until", "3h"], Some(&segments()));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is not before --until"),
        "{}",
        text(&output.stderr)
    );
    let output = moatctl(&["traces", "-", "--since", "yesterday"], Some(&segments()));
    assert!(text(&output.stderr).contains("--since"), "{}", text(&output.stderr));
}
