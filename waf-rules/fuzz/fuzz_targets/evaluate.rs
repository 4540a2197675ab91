//! Request evaluation on arbitrary requests against every managed rule group Moat ships plus custom rules on
//! every request component: no input may panic. The input is split into method, path, query, headers and body
//! at 0xFF bytes (see ../README.md for the layout).
#![no_main]

use std::net::IpAddr;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use moat_waf::{managed, Header, HttpRequest, Resources, WebAcl};

static ACL: LazyLock<WebAcl> = LazyLock::new(|| {
    let mut resources = Resources::new("123456789012", "us-east-1");
    managed::register_builtin(&mut resources).expect("shipped groups");
    let groups: Vec<String> = managed::GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| {
            format!(
                r#"{{"Name":"g{i}","Priority":{i},"Statement":{{"ManagedRuleGroupStatement":{{"VendorName":"{}","Name":"{}"}}}},
                "OverrideAction":{{"Count":{{}}}},"VisibilityConfig":{{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"g{i}"}}}}"#,
                g.vendor_name, g.name
            )
        })
        .collect();
    let custom = r#"{"Name":"json","Priority":100,"Action":{"Count":{}},
      "Statement":{"SqliMatchStatement":{"FieldToMatch":{"JsonBody":{"MatchPattern":{"All":{}},"MatchScope":"ALL","InvalidFallbackBehavior":"EVALUATE_AS_STRING","OversizeHandling":"MATCH"}},
      "TextTransformations":[{"Priority":0,"Type":"URL_DECODE_UNI"},{"Priority":1,"Type":"HTML_ENTITY_DECODE"},{"Priority":2,"Type":"JS_DECODE"}],"SensitivityLevel":"HIGH"}},
      "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"json"}},
      {"Name":"cookies","Priority":101,"Action":{"Count":{}},
      "Statement":{"XssMatchStatement":{"FieldToMatch":{"Cookies":{"MatchPattern":{"All":{}},"MatchScope":"ALL","OversizeHandling":"CONTINUE"}},
      "TextTransformations":[{"Priority":0,"Type":"BASE64_DECODE_EXT"},{"Priority":1,"Type":"CSS_DECODE"}]}},
      "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"cookies"}},
      {"Name":"rate","Priority":102,"Action":{"Block":{}},
      "Statement":{"RateBasedStatement":{"Limit":100,"AggregateKeyType":"IP"}},
      "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"rate"}}"#;
    let text = format!(
        r#"{{"Name":"fuzz","DefaultAction":{{"Allow":{{}}}},"Rules":[{},{custom}],
        "VisibilityConfig":{{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"fuzz"}}}}"#,
        groups.join(",")
    );
    WebAcl::load(&text, &resources).expect("fuzz ACL")
});

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let mut next = || std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("");
    let (method, path, query) = (next(), next(), next());
    let header_text = next();
    let headers: Vec<Header<'_>> = header_text
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| Header { name, value: value.as_bytes() })
        .collect();
    let body = parts.next().unwrap_or_default();
    let acl = &*ACL;
    let request = HttpRequest {
        client_ip: IpAddr::from([198, 51, 100, data.len() as u8]),
        method,
        uri_path: path,
        query_string: query,
        http_version: "HTTP/1.1",
        headers: &headers,
        body: &body[..body.len().min(acl.body_inspection_limit())],
        body_size: body.len() as u64,
        now_ms: 1_764_000_000_000,
    };
    let mut scratch = acl.scratch();
    let decision = acl.evaluate(&request, &mut scratch);
    let _ = (decision.action(), decision.labels().count(), decision.terminating_rule_id());
});
