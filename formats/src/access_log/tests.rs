//! Compile-time rules: how variable names are lexed, and one test per [`FormatError`].
//! Rules: "Access logging for REST APIs",
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html>; names:
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html>
//! and <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html>.

use super::golden_tests::{http_record, rest_record};
use super::*;

fn compile(template: &str, api: ApiType) -> AccessLogFormat {
    match AccessLogFormat::compile(template, api) {
        Ok(f) => f,
        Err(e) => panic!("{template}: {e}"),
    }
}

fn render_rest(template: &str) -> String {
    let mut out = Vec::new();
    compile(template, ApiType::Rest).render(&rest_record(), &mut out);
    String::from_utf8(out).expect("UTF-8")
}

fn err(template: &str, api: ApiType) -> FormatError {
    match AccessLogFormat::compile(template, api) {
        Ok(_) => panic!("{template} should not compile"),
        Err(e) => e,
    }
}

#[test]
fn names_end_at_quotes_brackets_commas_and_trailing_dots() {
    assert_eq!(
        render_rest(r#"$context.requestId "$context.status""#).trim_end(),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef \"200\""
    );
    assert_eq!(
        render_rest("[$context.requestTime] $context.requestId,$context.status."),
        "[27/Oct/2023:13:40:57 +0000] c6af9ac6-7b61-11e6-9a41-93e8deadbeef,200.\n"
    );
    assert_eq!(
        render_rest("$context.requestId-$context.stage:$context.httpMethod/"),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef-prod:GET/\n"
    );
    assert_eq!(
        render_rest("<id>$context.requestId</id>"),
        "<id>c6af9ac6-7b61-11e6-9a41-93e8deadbeef</id>\n"
    );
}

#[test]
fn a_dollar_not_followed_by_a_letter_is_text() {
    assert_eq!(
        render_rest("$ $$ $5 $- $context.requestId $"),
        "$ $$ $5 $- c6af9ac6-7b61-11e6-9a41-93e8deadbeef $\n"
    );
}

#[test]
fn one_trailing_newline_is_allowed() {
    assert_eq!(
        render_rest("$context.requestId\n"),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef\n"
    );
    assert_eq!(
        render_rest("$context.requestId\r\n"),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef\n"
    );
    assert_eq!(
        compile("$context.requestId\n", ApiType::Rest).template(),
        "$context.requestId"
    );
}

#[test]
fn parametric_families_are_accepted_by_prefix() {
    let line = render_rest(
        "$context.requestId $context.authorizer.claims.email $context.authorizer.claims.custom.role \
         $context.authorizer.tenant $context.requestOverride.header.X-Custom-Header, \
         $context.responseOverride.header.Cache-Control. $context.requestOverride.querystring.q",
    );
    assert_eq!(line, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef - - - -, -. -\n");
    // HTTP has no overrides, but `authorizer.{property}` covers any authorizer context key, including
    // names that are REST-only exact variables.
    compile(
        "$context.requestId $context.authorizer.latency $context.authorizer.claims.sub",
        ApiType::Http,
    );
    assert!(matches!(
        err(
            "$context.requestId $context.requestOverride.header.X-Foo",
            ApiType::Http
        ),
        FormatError::UnsupportedForApiType {
            api: "http",
            supported: "rest",
            ..
        }
    ));
}

#[test]
fn http_extended_request_id_is_the_request_id() {
    let format = compile(
        "$context.extendedRequestId $context.routeKey $context.dataProcessed",
        ApiType::Http,
    );
    let rec = RequestRecord {
        extended_request_id: "ignored",
        request_length: 100,
        ..http_record()
    };
    let mut out = Vec::new();
    format.render(&rec, &mut out);
    assert_eq!(out, b"JqBWCgC-IAMEVjw= GET /pets/{id} 127\n");
}

#[test]
fn missing_values_render_as_dash() {
    let rec = RequestRecord {
        user_agent: Some(""),
        resource_path: None,
        integration: None,
        error: None,
        ..rest_record()
    };
    let format = compile(
        "$context.requestId ua=$context.identity.userAgent rp=$context.resourcePath st=$context.integration.status \
         lat=$context.integrationLatency err=$context.integrationErrorMessage waf=$context.wafResponseCode \
         canary=$context.isCanaryRequest caller=$context.identity.caller",
        ApiType::Rest,
    );
    let mut out = Vec::new();
    format.render(&rec, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef ua=- rp=- st=- lat=- err=- waf=- canary=false caller=-\n"
    );
}

#[test]
fn unknown_variable_names_the_variable_and_column() {
    let e = err("$context.requestId é $context.statuss", ApiType::Rest);
    assert_eq!(
        e,
        FormatError::UnknownVariable {
            name: "statuss".into(),
            column: 22
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("`$context.statuss`") && msg.contains("column 22") && msg.contains("docs/logging.md"),
        "{msg}"
    );
    // A typo is not a known name followed by text, and a known name cannot take extra segments.
    assert!(matches!(
        err("$context.requestIdd", ApiType::Rest),
        FormatError::UnknownVariable { .. }
    ));
    assert_eq!(
        err("$context.requestId $context.identity.sourceIp.v4", ApiType::Rest),
        FormatError::UnknownVariable {
            name: "identity.sourceIp.v4".into(),
            column: 20
        }
    );
    assert_eq!(
        err("$context.requestId $context.", ApiType::Rest),
        FormatError::UnknownVariable {
            name: String::new(),
            column: 20
        }
    );
    assert_eq!(
        err("$context $context.requestId", ApiType::Rest),
        FormatError::UnknownVariable {
            name: String::new(),
            column: 1
        }
    );
}

#[test]
fn variables_of_the_other_api_type_are_rejected() {
    let cases = [
        (
            "$context.requestId $context.resourcePath",
            ApiType::Http,
            "resourcePath",
            "http",
            "rest",
        ),
        (
            "$context.requestId $context.xrayTraceId",
            ApiType::Http,
            "xrayTraceId",
            "http",
            "rest",
        ),
        (
            "$context.requestId $context.wafResponseCode",
            ApiType::Http,
            "wafResponseCode",
            "http",
            "rest",
        ),
        (
            "$context.requestId $context.routeKey",
            ApiType::Rest,
            "routeKey",
            "rest",
            "http",
        ),
        (
            "$context.requestId $context.dataProcessed",
            ApiType::Rest,
            "dataProcessed",
            "rest",
            "http",
        ),
        (
            "$context.requestId $context.awsEndpointRequestId2",
            ApiType::Rest,
            "awsEndpointRequestId2",
            "rest",
            "http",
        ),
    ];
    for (template, api, name, api_s, supported) in cases {
        let e = err(template, api);
        assert_eq!(
            e,
            FormatError::UnsupportedForApiType {
                name: name.into(),
                column: 20,
                api: api_s,
                supported
            },
            "{template}"
        );
        assert!(e.to_string().contains(&format!("only for {supported} APIs")), "{e}");
    }
}

#[test]
fn a_request_id_is_required() {
    let e = err(r#"{"status":"$context.status"}"#, ApiType::Rest);
    assert_eq!(e, FormatError::MissingRequestId);
    assert!(e
        .to_string()
        .contains("`$context.requestId` or `$context.extendedRequestId`"));
    compile("$context.extendedRequestId", ApiType::Rest);
    compile("$context.extendedRequestId", ApiType::Http);
    assert_eq!(err("", ApiType::Http), FormatError::MissingRequestId);
}

#[test]
fn formats_are_one_line() {
    let e = err("$context.requestId\n$context.status", ApiType::Rest);
    assert_eq!(e, FormatError::MultipleLines { column: 19 });
    assert!(e.to_string().contains("single line"));
    assert_eq!(
        err("$context.requestId\r$context.status\n", ApiType::Rest),
        FormatError::MultipleLines { column: 19 }
    );
    assert_eq!(
        err("$context.requestId\n\n", ApiType::Rest),
        FormatError::MultipleLines { column: 19 }
    );
}

#[test]
fn only_context_variables_are_allowed() {
    let cases = [
        ("$context.requestId $input.body", "$input.body", 20),
        (
            "$util.escapeJavaScript($context.requestId)",
            "$util.escapeJavaScript",
            1,
        ),
        ("$context.requestId $stageVariables.env", "$stageVariables.env", 20),
        (
            "$context.requestId $method.request.header.x",
            "$method.request.header.x",
            20,
        ),
        ("${context.requestId}", "${context.requestId}", 1),
        ("$!context.requestId", "$!context.requestId", 1),
        ("$contextual $context.requestId", "$contextual", 1),
    ];
    for (template, reference, column) in cases {
        let e = err(template, ApiType::Rest);
        assert_eq!(
            e,
            FormatError::NotContextVariable {
                reference: reference.into(),
                column
            },
            "{template}"
        );
        assert!(e.to_string().contains("only `$context.<name>` variables"), "{e}");
    }
}

#[test]
fn presets_compile_and_are_found_by_name() {
    for api in [ApiType::Rest, ApiType::Http] {
        for preset in Preset::ALL {
            let format = AccessLogFormat::preset(preset, api);
            assert_eq!(format.template(), preset.template(api));
            assert_eq!(format.api_type(), api);
            assert_eq!(format.is_json(), matches!(preset, Preset::Json | Preset::Default));
            assert_eq!(Preset::from_name(&preset.name().to_uppercase()), Some(preset));
        }
    }
    assert_eq!(Preset::from_name("ndjson"), None);
    // The REST presets use REST-only variables, the HTTP ones HTTP-only `routeKey`.
    assert!(AccessLogFormat::compile(REST_CLF, ApiType::Http).is_err());
    assert!(AccessLogFormat::compile(HTTP_CLF, ApiType::Rest).is_err());
}

#[test]
fn the_variable_table_is_consistent() {
    let mut names: Vec<&str> = CONTEXT_VARIABLES.iter().map(|v| v.name).collect();
    let total = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), total, "duplicate names");
    for var in CONTEXT_VARIABLES {
        let lexable = var.prefix().unwrap_or(var.name);
        assert!(
            lexable.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'),
            "{}",
            var.name
        );
        assert!(
            var.supports(ApiType::Rest) || var.supports(ApiType::Http),
            "{}",
            var.name
        );
    }
    let rest = CONTEXT_VARIABLES.iter().filter(|v| v.supports(ApiType::Rest)).count();
    let http = CONTEXT_VARIABLES.iter().filter(|v| v.supports(ApiType::Http)).count();
    // Pinned so a change to the table is deliberate: 76 REST names in AWS's 2023 pages (counting
    // `requestOverride.*` as three families), 4 added in 2025, plus Moat's `isCanaryRequest`; 52 HTTP
    // names plus `isCanaryRequest`.
    assert_eq!((rest, http), (81, 53));
    assert!(variable("identity.sourceIp").is_some_and(|v| v.has_moat_value()));
    assert!(variable("identity.caller").is_some_and(|v| !v.has_moat_value()));
    assert!(variable("authorizer.claims.{property}").is_some_and(ContextVariable::is_parametric));
}

/// docs/logging.md lists every variable (the table there is the user-facing copy of this one).
#[test]
fn every_variable_is_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/logging.md");
    let doc = std::fs::read_to_string(path).expect("docs/logging.md");
    for var in CONTEXT_VARIABLES {
        assert!(
            doc.contains(&format!("`$context.{}`", var.name)),
            "docs/logging.md lacks `$context.{}`",
            var.name
        );
    }
}
