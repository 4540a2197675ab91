//! `moatctl canary` on lines rendered by Moat's own access-log writer (`moat-formats`), so the field names
//! and value shapes the judge reads (`isCanaryRequest`, `requestTime` in CLF, `status`, `responseLatency`,
//! `wafResponseCode`) are the ones the gateway writes.

use moat_analyzer::canary::analyze_events;
use moat_analyzer::canary::config::JudgeConfig;
use moat_analyzer::canary::judge::{Classification, Verdict};
use moat_analyzer::canary::report::Report;
use moat_analyzer::canary::selection::Selector;
use moat_analyzer::event::LogEvent;
use moat_formats::access_log::{AccessLogFormat, REST_DEFAULT};
use moat_formats::record::{ApiType, RequestRecord, WafRecord};

/// 2026-11-25T22:00:00Z.
const START_MS: u64 = 1_795_644_000_000;

struct Side {
    seed: u64,
    canary: bool,
    server_errors: f64,
    waf_blocks: f64,
}

fn record(rng: &mut fastrand::Rng, i: u64, side: &Side, api: ApiType) -> (RequestRecord<'static>, bool) {
    let blocked = rng.f64() < side.waf_blocks;
    let status = if blocked {
        403
    } else if rng.f64() < side.server_errors {
        502
    } else {
        200
    };
    let latency = if rng.f64() < 0.05 {
        rng.u64(200..400)
    } else {
        rng.u64(20..60)
    };
    let record = RequestRecord {
        api_type: Some(api),
        account_id: "123456789012",
        api_id: "a1b2c3d4e5",
        stage: "prod",
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extended_request_id: "J3tzkF4pIAMFqXg=",
        domain_name: "api.example.com",
        domain_prefix: "api",
        source_ip: "198.51.100.7",
        user_agent: Some("curl/8.5.0"),
        http_method: "GET",
        path: "/prod/pets/42",
        resource_path: Some("/pets/{id}"),
        route_key: Some("GET /pets/{id}"),
        resource_id: Some("x1y2z3"),
        protocol: "HTTP/1.1",
        status,
        response_length: 27,
        request_length: 0,
        // 4000 requests over 10 minutes, as the log phase stamps them (ms).
        request_time_epoch_ms: START_MS + i * 150 + rng.u64(0..150),
        response_latency_ms: latency,
        integration: None,
        error: None,
        waf: None,
        xray_trace_id: "1-6537bde9-0123456789abcdef01234567",
        is_canary: side.canary,
        base_path_matched: None,
    };
    (record, blocked)
}

fn render(format: &AccessLogFormat, api: ApiType, sides: [Side; 2]) -> Vec<String> {
    let mut out = Vec::new();
    for side in &sides {
        let mut rng = fastrand::Rng::with_seed(side.seed);
        for i in 0..4000 {
            let (mut rec, blocked) = record(&mut rng, i, side, api);
            let waf = WafRecord {
                web_acl_arn: "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/moat/1",
                response_code: if blocked { "WAF_BLOCK" } else { "WAF_ALLOW" },
                latency_ms: 1,
                status: rec.status,
            };
            rec.waf = Some(waf);
            format.render(&rec, &mut out);
        }
    }
    String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn judge(lines: &[String]) -> Report {
    let config = JudgeConfig::default();
    let baseline = Selector::parse(&config.baseline).expect("selector");
    let canary = Selector::parse(&config.canary).expect("selector");
    analyze_events(lines.iter().map(LogEvent::from_message), &config, baseline, canary).expect("judged")
}

fn class(report: &Report, name: &str) -> Classification {
    report
        .metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.classification)
        .expect(name)
}

fn side(seed: u64, canary: bool, server_errors: f64) -> Side {
    Side {
        seed,
        canary,
        server_errors,
        waf_blocks: 0.0,
    }
}

#[test]
fn moat_default_format_works_with_the_default_selectors() {
    for api in [ApiType::Rest, ApiType::Http] {
        let format = AccessLogFormat::default_for(api);
        let same = judge(&render(&format, api, [side(1, false, 0.01), side(2, true, 0.01)]));
        assert_eq!(
            (same.requests.baseline, same.requests.canary),
            (4000, 4000),
            "{api:?}: {:?}",
            same.notes
        );
        assert_eq!(same.input.no_time, 0, "requestTime (CLF) is read");
        assert_eq!(same.verdict, Verdict::Pass, "{api:?}:\n{}", same.to_text());
        assert!(same
            .metrics
            .iter()
            .any(|m| m.name == "latency_p99" && m.canary.requests == 4000));

        let failing = judge(&render(&format, api, [side(1, false, 0.01), side(2, true, 0.03)]));
        assert_eq!(
            class(&failing, "server_error_rate"),
            Classification::High,
            "{api:?}:\n{}",
            failing.to_text()
        );
        assert_eq!(failing.verdict, Verdict::Fail);
        assert_eq!(failing.omitted.len(), 1, "the default format has no WAF field");
    }
}

#[test]
fn waf_blocks_from_a_format_with_waf_response_code() {
    let template = REST_DEFAULT.replace(" }", ", \"wafResponseCode\":\"$context.wafResponseCode\" }");
    let format = AccessLogFormat::compile(&template, ApiType::Rest).expect("valid format");
    let baseline = Side {
        waf_blocks: 0.01,
        ..side(1, false, 0.01)
    };
    let canary = Side {
        waf_blocks: 0.04,
        ..side(2, true, 0.01)
    };
    let report = judge(&render(&format, ApiType::Rest, [baseline, canary]));
    assert!(report.omitted.is_empty(), "{:?}", report.omitted);
    assert_eq!(
        class(&report, "waf_block_rate"),
        Classification::High,
        "{}",
        report.to_text()
    );
    let waf = report.metrics.iter().find(|m| m.name == "waf_block_rate").expect("waf");
    assert!(waf.canary.value.expect("rate") > 0.03, "{:?}", waf.canary);
}
