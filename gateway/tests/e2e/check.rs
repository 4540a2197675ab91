//! Spec 13-14: `moat check` accepts valid files and rejects invalid ones naming the file, the line and the field
//! path of every error; every file in `examples/` passes.

use std::path::{Path, PathBuf};

use crate::harness::{moat_check, tempdir};

const VALID: &str = r#"
listen: 127.0.0.1:0
server: {threads: 1, grace_period: 10s, trusted_proxies: ["10.0.0.0/8"], account_id: "123456789012", region: us-east-1}
limits: {max_header_bytes: 10240, max_body_bytes: 10485760, header_read_timeout: 10s, body_read_timeout: 30s, idle_timeout: 60s, max_connections: 10000, http2_max_concurrent_streams: 100}
domains:
  - name: a.example.test
    mappings: [{base_path: "", api: shop, stage: prod}, {base_path: v2, api: orders, stage: "$default"}]
apis:
  - name: shop
    type: rest
    id: abc123defg
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://127.0.0.1:9/p/{id}"}}
      "ANY /orders/{proxy+}": {integration: {type: http_proxy, uri: "http://${stageVariables.backend}/o/{proxy}", timeout: 500ms}}
      "GET /health": {integration: {type: mock, status: 200, headers: {content-type: application/json}, body: '{"ok":true}'}}
    deployments:
      v2: {routes: {"GET /health": {integration: {type: mock, body: '{"version":2}'}}}}
    stages:
      prod:
        variables: {backend: "127.0.0.1:9"}
        canary: {percent: 10, deployment: v2, variables: {backend: "127.0.0.1:10"}}
        access_log: {destination: /tmp/moat-e2e-check/access.log, format: json}
        execution_log: {level: INFO, data_trace: false, destination: /tmp/moat-e2e-check/exec.log}
    gateway_responses:
      MISSING_AUTHENTICATION_TOKEN: {status: 404, headers: {x-custom: "yes"}, body: '{"error":$context.error.messageString,"type":"$context.error.responseType"}'}
  - name: orders
    type: http
    routes:
      "$default": {integration: {type: http_proxy, uri: "http://127.0.0.1:9/"}}
    stages:
      "$default":
        access_log: {destination: stdout, format: '{"requestId":"$context.requestId","status":"$context.status"}'}
"#;

/// Writes `yaml` to a temp file and runs `moat check` on it.
fn check(yaml: &str) -> (i32, String, PathBuf, tempfile::TempDir) {
    let dir = tempdir();
    let file = dir.path().join("moat.yaml");
    std::fs::write(&file, yaml).expect("write");
    let (code, out) = moat_check(&file);
    (code, out, file, dir)
}

/// 1-based line of the first line containing `needle`.
fn line_of(yaml: &str, needle: &str) -> usize {
    yaml.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in config"))
        + 1
}

/// Whether `out` names line `line` as `:LINE` or `line LINE`.
fn mentions_line(out: &str, line: usize) -> bool {
    let n = line.to_string();
    let bytes = out.as_bytes();
    let mut i = 0;
    while let Some(pos) = out[i..].find(&n) {
        let at = i + pos;
        let end = at + n.len();
        let before_ok = out[..at].ends_with(':') || out[..at].to_ascii_lowercase().ends_with("line ");
        let after_ok = end == out.len() || !bytes[end].is_ascii_digit();
        let digit_before = at > 0 && bytes[at - 1].is_ascii_digit();
        if before_ok && after_ok && !digit_before {
            return true;
        }
        i = end;
    }
    false
}

/// Asserts one reported error: the file, the line and the field path (and any extra words) all appear.
fn assert_error(out: &str, file: &Path, line: usize, path: &str, words: &[&str]) {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("moat.yaml");
    assert!(out.contains(name), "stderr does not name the file {name}:\n{out}");
    assert!(out.contains(path), "stderr does not name the field path {path}:\n{out}");
    assert!(
        mentions_line(out, line),
        "stderr does not name line {line} (for {path}):\n{out}"
    );
    for w in words {
        assert!(out.contains(w), "stderr does not mention {w:?} (for {path}):\n{out}");
    }
}

#[test]
fn check_accepts_a_valid_file() {
    let (code, out, _, _dir) = check(VALID);
    assert_eq!(code, 0, "moat check on a valid file:\n{out}");
}

#[test]
fn check_rejects_unknown_field_naming_file_line_and_path() {
    let yaml = VALID.replace(
        "        variables: {backend: \"127.0.0.1:9\"}",
        "        variabls: {backend: \"127.0.0.1:9\"}",
    );
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for an unknown field:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "variabls:"),
        "apis[0].stages.prod",
        &["variabls"],
    );
}

#[test]
fn check_rejects_canary_percent_over_100() {
    let yaml = VALID.replace("canary: {percent: 10,", "canary: {percent: 150,");
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for percent 150:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "percent: 150"),
        "apis[0].stages.prod.canary.percent",
        &["150"],
    );
}

#[test]
fn check_rejects_unknown_context_variable_in_access_log_format() {
    let yaml = VALID.replace(
        r#"format: '{"requestId":"$context.requestId","status":"$context.status"}'"#,
        r#"format: '{"requestId":"$context.requestId","nope":"$context.bogusVariable"}'"#,
    );
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for an unknown $context variable:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "bogusVariable"),
        "apis[1].stages.$default.access_log.format",
        &["$context.bogusVariable"],
    );
}

#[test]
fn check_rejects_route_uri_using_undefined_stage_variable() {
    let yaml = VALID.replace(
        "http://${stageVariables.backend}/o/{proxy}",
        "http://${stageVariables.missingVar}/o/{proxy}",
    );
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for an undefined stage variable:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "missingVar"),
        "apis[0].routes",
        &["missingVar", "integration.uri"],
    );
}

#[test]
fn check_rejects_mapping_to_unknown_api() {
    let yaml = VALID.replace("{base_path: v2, api: orders,", "{base_path: v2, api: nope,");
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for a mapping to an unknown API:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "api: nope"),
        "domains[0].mappings[1].api",
        &["nope"],
    );
}

#[test]
fn check_reports_every_error_in_one_file() {
    let yaml = VALID
        .replace("canary: {percent: 10,", "canary: {percent: 150,")
        .replace(
            r#""status":"$context.status"}'"#,
            r#""nope":"$context.bogusVariable"}'"#,
        )
        .replace(
            "http://${stageVariables.backend}/o/{proxy}",
            "http://${stageVariables.missingVar}/o/{proxy}",
        )
        .replace("{base_path: v2, api: orders,", "{base_path: v2, api: nope,");
    let (code, out, file, _dir) = check(&yaml);
    assert_eq!(code, 1, "exit code for four errors:\n{out}");
    assert_error(
        &out,
        &file,
        line_of(&yaml, "percent: 150"),
        "apis[0].stages.prod.canary.percent",
        &[],
    );
    assert_error(
        &out,
        &file,
        line_of(&yaml, "bogusVariable"),
        "apis[1].stages.$default.access_log.format",
        &["bogusVariable"],
    );
    assert_error(
        &out,
        &file,
        line_of(&yaml, "missingVar"),
        "apis[0].routes",
        &["missingVar"],
    );
    assert_error(
        &out,
        &file,
        line_of(&yaml, "api: nope"),
        "domains[0].mappings[1].api",
        &["nope"],
    );
}

#[test]
fn every_example_config_passes_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.yaml in {}", dir.display());
    let failed: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let (code, out) = moat_check(f);
            (code != 0).then(|| format!("{} (exit {code}):\n{out}", f.display()))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "examples failing `moat check`:\n{}",
        failed.join("\n")
    );
}
