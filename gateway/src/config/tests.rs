use super::*;

fn check(text: &str) -> Result<Gateway, ConfigErrors> {
    load_str(
        text,
        "test.yaml",
        Path::new("."),
        LoadOptions {
            open_sinks: false,
            threads: Some(1),
        },
    )
}

const GOOD: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /products/{id}":
        integration: {type: http_proxy, uri: "http://${stageVariables.backend}/p/{id}"}
      "GET /health":
        integration: {type: mock, body: '{"ok":true}'}
    stages:
      prod:
        variables: {backend: "127.0.0.1:9"}
        canary: {percent: 10, variables: {backend: "127.0.0.1:10"}}
"#;

#[test]
fn a_good_config_compiles() {
    let gateway = check(GOOD).expect("valid");
    let api = &gateway.apis[0];
    assert_eq!(api.id.len(), 10);
    let stage = api.stages.get("prod").expect("stage");
    assert_eq!(stage.main.routes.len(), 2);
    let canary = stage.canary.as_ref().expect("canary");
    assert!((canary.percent - 10.0).abs() < f64::EPSILON);
}

#[test]
fn unknown_field_names_path_and_line() {
    let text = GOOD.replace("canary: {percent: 10,", "canary: {percnt: 10,");
    let errors = check(&text).expect_err("invalid");
    assert_eq!(errors.errors.len(), 1);
    let e = &errors.errors[0];
    assert_eq!(e.path, "apis[0].stages.prod.canary.percnt");
    assert_eq!(e.line, Some(14));
    assert!(e.message.contains("unknown field `percnt`"), "{}", e.message);
}

#[test]
fn semantic_errors_are_all_reported_with_lines() {
    let text = GOOD
        .replace("percent: 10", "percent: 150")
        .replace("${stageVariables.backend}", "${stageVariables.nope}")
        .replace("type: rest", "type: rest\n    gateway_responses: {NOPE: {status: 200}}");
    let errors = check(&text).expect_err("invalid");
    let rendered = errors.to_string();
    assert!(
        rendered.contains("test.yaml:15: apis[0].stages.prod.canary.percent: 150 is not a percentage"),
        "{rendered}"
    );
    assert!(
        rendered.contains("apis[0].routes[\"GET /products/{id}\"].integration.uri: uses `${stageVariables.nope}`"),
        "{rendered}"
    );
    assert!(rendered.contains("gateway_responses.NOPE"), "{rendered}");
    assert!(
        errors.errors.len() >= 4,
        "stage and canary variants both report the variable: {rendered}"
    );
}

#[test]
fn json_configs_load_too() {
    let text = r#"{
  "listen": "127.0.0.1:0",
  "apis": [{"name": "a", "type": "http", "routes": {"$default": {"integration": {"type": "mock"}}},
            "stages": {"$default": {}}}],
  "bogus": 1
}"#;
    let errors = load_str(
        text,
        "c.json",
        Path::new("."),
        LoadOptions {
            open_sinks: false,
            threads: None,
        },
    )
    .expect_err("invalid");
    assert_eq!(errors.errors[0].path, "bogus");
    assert_eq!(errors.errors[0].line, Some(5));
}

#[test]
fn rest_apis_have_no_default_route_or_stage() {
    let text = GOOD
        .replace("\"GET /health\"", "\"$default\"")
        .replace("      prod:", "      $default:");
    let rendered = check(&text).expect_err("invalid").to_string();
    assert!(rendered.contains("REST APIs have no `$default` route"), "{rendered}");
    assert!(rendered.contains("a stage name is"), "{rendered}");
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert!(parse_duration("5").is_err());
    assert!(parse_duration("1.5s").is_err());
}
