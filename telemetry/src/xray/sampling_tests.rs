use super::*;

/// `aws xray get-sampling-rules` output from the X-Ray developer guide ("Using sampling rules with the
/// X-Ray API", <https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sampling.html>).
const GET_SAMPLING_RULES: &str = r#"{
  "SamplingRuleRecords": [
    { "SamplingRule": { "RuleName": "Default", "RuleARN": "arn:aws:xray:us-east-1::sampling-rule/Default",
        "ResourceARN": "*", "Priority": 10000, "FixedRate": 0.01, "ReservoirSize": 0, "ServiceName": "*",
        "ServiceType": "*", "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1, "Attributes": {} },
      "CreatedAt": 0.0, "ModifiedAt": 1530558121.0 },
    { "SamplingRule": { "RuleName": "base-scorekeep", "RuleARN": "arn:aws:xray:us-east-1::sampling-rule/base-scorekeep",
        "ResourceARN": "*", "Priority": 9000, "FixedRate": 0.1, "ReservoirSize": 2, "ServiceName": "Scorekeep",
        "ServiceType": "*", "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1, "Attributes": {} },
      "CreatedAt": 1530573954.0, "ModifiedAt": 1530920505.0 },
    { "SamplingRule": { "RuleName": "polling-scorekeep", "RuleARN": "arn:aws:xray:us-east-1::sampling-rule/polling-scorekeep",
        "ResourceARN": "*", "Priority": 5000, "FixedRate": 0.003, "ReservoirSize": 0, "ServiceName": "Scorekeep",
        "ServiceType": "*", "Host": "*", "HTTPMethod": "GET", "URLPath": "/api/state/*", "Version": 1, "Attributes": {} },
      "CreatedAt": 1530918163.0, "ModifiedAt": 1530918163.0 }
  ]
}"#;

fn request<'a>(service: &'a str, method: &'a str, path: &'a str) -> SamplingRequest<'a> {
    SamplingRequest {
        host: "api.example.com",
        method,
        url_path: path,
        service_name: service,
        service_type: "AWS::ApiGateway::Stage",
        resource_arn: "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/dev",
    }
}

#[test]
fn pasted_get_sampling_rules_output_is_evaluated_by_priority() {
    let sampler = Sampler::from_json(GET_SAMPLING_RULES).unwrap();
    let order: Vec<_> = sampler.rules().map(|(name, priority, ..)| (name, priority)).collect();
    assert_eq!(
        order,
        [
            ("polling-scorekeep", 5000),
            ("base-scorekeep", 9000),
            ("Default", 10_000)
        ]
    );
    assert_eq!(
        sampler.rules().last().map(|(_, _, reservoir, rate)| (reservoir, rate)),
        Some((0, 0.01)),
        "the pasted Default replaces the built-in reservoir and rate"
    );
    let (_, rule) = sampler.decide(&request("Scorekeep", "GET", "/api/state/init/1"), 1);
    assert_eq!(rule, "polling-scorekeep");
    let (_, rule) = sampler.decide(&request("scorekeep", "post", "/api/state/x"), 1);
    assert_eq!(rule, "base-scorekeep", "matching is case-insensitive; POST is not GET");
    let (_, rule) = sampler.decide(&request("other/dev", "GET", "/api/state/x"), 1);
    assert_eq!(rule, "Default");
}

#[test]
fn equal_priorities_are_ordered_by_name() {
    let rule = |name: &str| SamplingRuleConfig {
        rule_name: name.to_owned(),
        priority: 10,
        ..default_rule()
    };
    let sampler = Sampler::new(vec![rule("zeta"), rule("alpha")]).unwrap();
    assert_eq!(sampler.decide(&SamplingRequest::default(), 0).1, "alpha");
}

#[test]
fn wildcards_follow_xray() {
    let cases = [
        ("*", "anything", true),
        ("/api/*", "/api/", true),
        ("/api/*", "/api", false),
        ("/pets/?", "/pets/1", true),
        ("/pets/?", "/pets/12", false),
        ("/pets/?", "/pets/é", true),
        ("*.example.com", "API.Example.COM", true),
        ("a*b*c", "aXXbYYbZZc", true),
        ("a*b*c", "aXXbYYbZZ", false),
        ("GET", "get", true),
        ("??", "a", false),
        (
            "*a",
            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            false,
        ),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(Pattern::new(pattern).matches(text), expected, "{pattern} ~ {text}");
    }
    assert!(Pattern::new("/x").matches(""), "an unknown attribute matches");
}

#[test]
fn reservoir_is_per_second_then_fixed_rate() {
    let never = SamplingRuleConfig {
        rule_name: "r".to_owned(),
        priority: 1,
        reservoir_size: 3,
        fixed_rate: 0.0,
        ..default_rule()
    };
    let sampler = Sampler::new(vec![never]).unwrap();
    let req = SamplingRequest::default();
    let second: Vec<_> = (0..5).map(|_| sampler.decide(&req, 100).0).collect();
    assert_eq!(
        second,
        [
            Decision::Reservoir,
            Decision::Reservoir,
            Decision::Reservoir,
            Decision::NotSampled,
            Decision::NotSampled
        ]
    );
    assert_eq!(
        sampler.decide(&req, 101).0,
        Decision::Reservoir,
        "a new second refills it"
    );
}

#[test]
fn default_rule_is_one_per_second_plus_five_percent() {
    let sampler = Sampler::default();
    let req = SamplingRequest::default();
    assert_eq!(sampler.decide(&req, 7), (Decision::Reservoir, "Default"));
    let n = 200_000;
    let sampled = (0..n).filter(|_| sampler.decide(&req, 7).0.sampled()).count();
    let rate = sampled as f64 / f64::from(n);
    // 5 % of 200,000: standard deviation ~0.05 %, so 4.7..5.3 % is > 6 sigma.
    assert!((0.047..0.053).contains(&rate), "{rate}");
}

#[test]
fn reservoir_is_shared_exactly_across_threads() {
    let rule = SamplingRuleConfig {
        rule_name: "r".to_owned(),
        priority: 1,
        reservoir_size: 1000,
        fixed_rate: 0.0,
        ..default_rule()
    };
    let sampler = std::sync::Arc::new(Sampler::new(vec![rule]).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sampler = sampler.clone();
            std::thread::spawn(move || {
                (0..5000)
                    .filter(|_| sampler.decide(&SamplingRequest::default(), 42).0.sampled())
                    .count()
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 1000);
}

#[test]
fn invalid_rules_name_the_field() {
    let base = r#""RuleName": "r", "Priority": 1, "ReservoirSize": 1, "FixedRate": 0.5"#;
    let cases = [
        (format!(r#"[{{{base}, "Host": ""}}]"#), "Host"),
        (
            r#"[{"RuleName": "r", "Priority": 0, "ReservoirSize": 1, "FixedRate": 0.5}]"#.to_owned(),
            "Priority",
        ),
        (
            r#"[{"RuleName": "r", "Priority": 1, "ReservoirSize": 1, "FixedRate": 1.5}]"#.to_owned(),
            "FixedRate",
        ),
        (format!(r#"[{{{base}, "HTTPMethod": "PROPFINDXXXX"}}]"#), "HTTPMethod"),
        (format!(r#"[{{{base}, "Attributes": {{"x": "y"}}}}]"#), "Attributes"),
        (format!(r#"[{{{base}, "Version": 2}}]"#), "Version"),
        (
            r#"[{"RuleName": "Default", "Priority": 10000, "ReservoirSize": 1, "FixedRate": 0.1, "Host": "a"}]"#
                .to_owned(),
            "Host",
        ),
    ];
    for (json, field) in cases {
        match Sampler::from_json(&json) {
            Err(SamplingConfigError::Field { field: got, .. }) => assert_eq!(got, field, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
    let err =
        Sampler::from_json(r#"[{"RuleName": "r", "Priority": 1, "ReservoirSize": -1, "FixedRate": 0.5}]"#).unwrap_err();
    assert!(err.to_string().contains("[0].ReservoirSize"), "{err}");
    let err = Sampler::from_json(&format!("[{{{base}}}, {{{base}}}]")).unwrap_err();
    assert_eq!(err, SamplingConfigError::Duplicate("r".to_owned()));
}
