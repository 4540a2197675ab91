//! Static checks of the managed rule groups in `rules/aws/*.json` (Moat's rules under AWS's names), no engine needed.
//!
//! Each file must be an AWS WAF v2 rule group as `aws wafv2 get-rule-group` prints it, with every rule AWS documents
//! for that group (name, label, action: the table below, from AWS's managed rule group pages), statements and fields
//! of the WAFv2 API model only, regexes that compile under a size limit, and base64 search strings of at most 200
//! bytes. The IP sets the IP reputation group references must exist in `rules/aws/ipsets/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use moat_waf::transform::TransformationType;
use regex_automata::meta;
use serde_json::{Map, Value};

/// (group, label namespace, [(rule, label relative to the namespace, action)]), as AWS documents them.
/// Rule names and labels are not related by a mechanical transform (`UserAgent_BadBots_HEADER` labels
/// `BadBots_Header`, `SQLiExtendedPatterns_URIPATH` labels `..._UriPath` but `SQLi_URIPATH` labels `..._URIPath`).
/// (rule name, label relative to the group's namespace, AWS's action).
type AwsRule = (&'static str, &'static str, &'static str);
/// (group name, label namespace, rules).
type AwsGroup = (&'static str, &'static str, &'static [AwsRule]);

const AWS_GROUPS: &[AwsGroup] = &[
    (
        "AWSManagedRulesCommonRuleSet",
        "core-rule-set",
        &[
            ("NoUserAgent_HEADER", "NoUserAgent_Header", "Block"),
            ("UserAgent_BadBots_HEADER", "BadBots_Header", "Block"),
            ("SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", "Block"),
            (
                "SizeRestrictions_Cookie_HEADER",
                "SizeRestrictions_Cookie_Header",
                "Block",
            ),
            ("SizeRestrictions_BODY", "SizeRestrictions_Body", "Block"),
            ("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", "Block"),
            ("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", "Block"),
            ("EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie", "Block"),
            ("EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", "Block"),
            (
                "EC2MetaDataSSRF_QUERYARGUMENTS",
                "EC2MetaDataSSRF_QueryArguments",
                "Block",
            ),
            ("GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", "Block"),
            ("GenericLFI_URIPATH", "GenericLFI_URIPath", "Block"),
            ("GenericLFI_BODY", "GenericLFI_Body", "Block"),
            ("RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath", "Block"),
            (
                "RestrictedExtensions_QUERYARGUMENTS",
                "RestrictedExtensions_QueryArguments",
                "Block",
            ),
            ("GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", "Block"),
            ("GenericRFI_BODY", "GenericRFI_Body", "Block"),
            ("GenericRFI_URIPATH", "GenericRFI_URIPath", "Block"),
            ("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", "Block"),
            (
                "CrossSiteScripting_QUERYARGUMENTS",
                "CrossSiteScripting_QueryArguments",
                "Block",
            ),
            ("CrossSiteScripting_BODY", "CrossSiteScripting_Body", "Block"),
            ("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", "Block"),
        ],
    ),
    (
        "AWSManagedRulesSQLiRuleSet",
        "sql-database",
        &[
            ("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", "Block"),
            (
                "SQLiExtendedPatterns_QUERYARGUMENTS",
                "SQLiExtendedPatterns_QueryArguments",
                "Block",
            ),
            ("SQLi_BODY", "SQLi_Body", "Block"),
            ("SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body", "Block"),
            ("SQLiExtendedPatterns_HEADER", "SQLiExtendedPatterns_Header", "Block"),
            ("SQLiExtendedPatterns_URIPATH", "SQLiExtendedPatterns_UriPath", "Block"),
            ("SQLi_COOKIE", "SQLi_Cookie", "Block"),
            ("SQLi_URIPATH", "SQLi_URIPath", "Block"),
        ],
    ),
    (
        "AWSManagedRulesKnownBadInputsRuleSet",
        "known-bad-inputs",
        &[
            (
                "JavaDeserializationRCE_HEADER",
                "JavaDeserializationRCE_Header",
                "Block",
            ),
            ("JavaDeserializationRCE_BODY", "JavaDeserializationRCE_Body", "Block"),
            (
                "JavaDeserializationRCE_URIPATH",
                "JavaDeserializationRCE_URIPath",
                "Block",
            ),
            (
                "JavaDeserializationRCE_QUERYSTRING",
                "JavaDeserializationRCE_QueryString",
                "Block",
            ),
            ("Host_localhost_HEADER", "Host_Localhost_Header", "Block"),
            ("PROPFIND_METHOD", "Propfind_Method", "Block"),
            ("ExploitablePaths_URIPATH", "ExploitablePaths_URIPath", "Block"),
            ("Log4JRCE_HEADER", "Log4JRCE_Header", "Block"),
            ("Log4JRCE_QUERYSTRING", "Log4JRCE_QueryString", "Block"),
            ("Log4JRCE_BODY", "Log4JRCE_Body", "Block"),
            ("Log4JRCE_URIPATH", "Log4JRCE_URIPath", "Block"),
            ("ReactJSRCE_BODY", "ReactJSRCE_Body", "Block"),
        ],
    ),
    (
        "AWSManagedRulesLinuxRuleSet",
        "linux-os",
        &[
            ("LFI_URIPATH", "LFI_URIPath", "Block"),
            ("LFI_QUERYSTRING", "LFI_QueryString", "Block"),
            ("LFI_HEADER", "LFI_Header", "Block"),
        ],
    ),
    (
        "AWSManagedRulesUnixRuleSet",
        "posix-os",
        &[
            (
                "UNIXShellCommandsVariables_QUERYSTRING",
                "UNIXShellCommandsVariables_QueryString",
                "Block",
            ),
            (
                "UNIXShellCommandsVariables_BODY",
                "UNIXShellCommandsVariables_Body",
                "Block",
            ),
            (
                "UNIXShellCommandsVariables_HEADER",
                "UNIXShellCommandsVariables_Header",
                "Block",
            ),
        ],
    ),
    (
        "AWSManagedRulesWindowsRuleSet",
        "windows-os",
        &[
            ("WindowsShellCommands_HEADER", "WindowsShellCommands_Header", "Block"),
            (
                "WindowsShellCommands_QUERYARGUMENTS",
                "WindowsShellCommands_QueryArguments",
                "Block",
            ),
            (
                "WindowsShellCommands_QUERYSTRING",
                "WindowsShellCommands_QueryString",
                "Block",
            ),
            ("WindowsShellCommands_URIPATH", "WindowsShellCommands_UriPath", "Block"),
            ("WindowsShellCommands_BODY", "WindowsShellCommands_Body", "Block"),
            ("PowerShellCommands_COOKIE", "PowerShellCommands_Cookie", "Block"),
            (
                "PowerShellCommands_QUERYARGUMENTS",
                "PowerShellCommands_QueryArguments",
                "Block",
            ),
            ("PowerShellCommands_BODY", "PowerShellCommands_Body", "Block"),
        ],
    ),
    (
        "AWSManagedRulesPHPRuleSet",
        "php-app",
        &[
            (
                "PHPHighRiskMethodsVariables_HEADER",
                "PHPHighRiskMethodsVariables_Header",
                "Block",
            ),
            (
                "PHPHighRiskMethodsVariables_QUERYSTRING",
                "PHPHighRiskMethodsVariables_QueryString",
                "Block",
            ),
            (
                "PHPHighRiskMethodsVariables_BODY",
                "PHPHighRiskMethodsVariables_Body",
                "Block",
            ),
            (
                "PHPHighRiskMethodsVariables_URIPATH",
                "PHPHighRiskMethodsVariables_URIPath",
                "Block",
            ),
        ],
    ),
    (
        "AWSManagedRulesAdminProtectionRuleSet",
        "admin-protection",
        &[("AdminProtection_URIPATH", "AdminProtection_URIPath", "Block")],
    ),
    (
        "AWSManagedRulesAmazonIpReputationList",
        "amazon-ip-list",
        &[
            ("AWSManagedIPReputationList", "AWSManagedIPReputationList", "Block"),
            ("AWSManagedReconnaissanceList", "AWSManagedReconnaissanceList", "Block"),
            ("AWSManagedIPDDoSList", "AWSManagedIPDDoSList", "Count"),
        ],
    ),
];

/// Groups that must exist (the others in `AWS_GROUPS` are checked when present).
const REQUIRED: &[&str] = &[
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
];

/// Upper bound on a compiled regex's NFA (bytes). The largest rule regex needs well under this.
const NFA_SIZE_LIMIT: usize = 4 << 20;

const STATEMENTS: &[&str] = &[
    "ByteMatchStatement",
    "RegexMatchStatement",
    "SqliMatchStatement",
    "XssMatchStatement",
    "SizeConstraintStatement",
    "AndStatement",
    "OrStatement",
    "NotStatement",
    "IPSetReferenceStatement",
    "RegexPatternSetReferenceStatement",
    "LabelMatchStatement",
    "GeoMatchStatement",
];
const FIELDS: &[&str] = &[
    "SingleHeader",
    "SingleQueryArgument",
    "AllQueryArguments",
    "UriPath",
    "QueryString",
    "Body",
    "Method",
    "JsonBody",
    "Headers",
    "Cookies",
    "HeaderOrder",
    "JA3Fingerprint",
    "JA4Fingerprint",
    "UriFragment",
];
const POSITIONAL: &[&str] = &["EXACTLY", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CONTAINS_WORD"];
const OVERSIZE: &[&str] = &["CONTINUE", "MATCH", "NO_MATCH"];
const ACTIONS: &[&str] = &["Block", "Allow", "Count", "Captcha", "Challenge"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn groups() -> BTreeMap<String, Value> {
    let dir = root().join("rules/aws");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            out.insert(stem, load(&path));
        }
    }
    out
}

fn obj<'a>(v: &'a Value, ctx: &str) -> &'a Map<String, Value> {
    v.as_object().unwrap_or_else(|| panic!("{ctx}: not an object"))
}

fn string<'a>(v: &'a Value, key: &str, ctx: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{ctx}: {key} missing or not a string"))
}

/// The single `{"Kind": {...}}` entry of a tagged union (statement, field, action).
fn single<'a>(v: &'a Value, allowed: &[&str], ctx: &str) -> (&'a str, &'a Value) {
    let m = obj(v, ctx);
    assert_eq!(
        m.len(),
        1,
        "{ctx}: expected exactly one member, got {:?}",
        m.keys().collect::<Vec<_>>()
    );
    let (k, v) = m.iter().next().unwrap_or_else(|| unreachable!());
    assert!(allowed.contains(&k.as_str()), "{ctx}: {k} is not one of {allowed:?}");
    (k.as_str(), v)
}

/// Decodes standard base64 with padding; `None` for anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, chunk) in b.chunks(4).enumerate() {
        let last = i == b.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

fn check_transformations(v: &Value, ctx: &str) {
    let list = v
        .get("TextTransformations")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{ctx}: TextTransformations"));
    assert!(!list.is_empty(), "{ctx}: TextTransformations is empty (use NONE)");
    let mut priorities = BTreeSet::new();
    for t in list {
        let p = t
            .get("Priority")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("{ctx}: transformation Priority"));
        assert!(priorities.insert(p), "{ctx}: duplicate transformation priority {p}");
        let ty = string(t, "Type", ctx);
        assert!(
            TransformationType::from_aws_name(ty).is_some(),
            "{ctx}: unknown transformation {ty}"
        );
    }
}

fn check_field(v: &Value, ctx: &str) {
    let field = v.get("FieldToMatch").unwrap_or_else(|| panic!("{ctx}: FieldToMatch"));
    let (kind, body) = single(field, FIELDS, &format!("{ctx}: FieldToMatch"));
    match kind {
        "SingleHeader" | "SingleQueryArgument" => {
            let name = string(body, "Name", ctx);
            assert_eq!(
                name,
                name.to_ascii_lowercase(),
                "{ctx}: header names are matched lower-case"
            );
        }
        "Headers" | "Cookies" => {
            let pattern = body
                .get("MatchPattern")
                .unwrap_or_else(|| panic!("{ctx}: {kind}.MatchPattern"));
            let keys: Vec<_> = obj(pattern, ctx).keys().map(String::as_str).collect();
            assert!(
                keys.iter().all(|k| [
                    "All",
                    "IncludedHeaders",
                    "ExcludedHeaders",
                    "IncludedCookies",
                    "ExcludedCookies"
                ]
                .contains(k)),
                "{ctx}: {kind}.MatchPattern {keys:?}"
            );
            assert!(
                ["ALL", "KEY", "VALUE"].contains(&string(body, "MatchScope", ctx)),
                "{ctx}: MatchScope"
            );
            assert!(
                OVERSIZE.contains(&string(body, "OversizeHandling", ctx)),
                "{ctx}: OversizeHandling"
            );
        }
        "Body" | "JsonBody" => {
            if let Some(o) = body.get("OversizeHandling") {
                assert!(
                    o.as_str().is_some_and(|o| OVERSIZE.contains(&o)),
                    "{ctx}: OversizeHandling"
                );
            }
        }
        _ => assert!(obj(body, ctx).is_empty(), "{ctx}: {kind} takes no members"),
    }
}

#[derive(Default)]
struct Counts {
    regexes: usize,
    byte_matches: usize,
    ipset_arns: Vec<String>,
}

fn check_statement(v: &Value, ctx: &str, counts: &mut Counts) {
    let (kind, s) = single(v, STATEMENTS, ctx);
    let ctx = &format!("{ctx} > {kind}");
    match kind {
        "AndStatement" | "OrStatement" => {
            let list = s
                .get("Statements")
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{ctx}: Statements"));
            assert!(list.len() >= 2, "{ctx}: needs at least two statements");
            for (i, x) in list.iter().enumerate() {
                check_statement(x, &format!("{ctx}[{i}]"), counts);
            }
        }
        "NotStatement" => check_statement(
            s.get("Statement").unwrap_or_else(|| panic!("{ctx}: Statement")),
            ctx,
            counts,
        ),
        "RegexMatchStatement" => {
            let re = string(s, "RegexString", ctx);
            assert!(
                !re.is_empty() && re.len() <= 512,
                "{ctx}: RegexString length {}",
                re.len()
            );
            let config = meta::Config::new().nfa_size_limit(Some(NFA_SIZE_LIMIT));
            if let Err(e) = meta::Regex::builder().configure(config).build(re) {
                panic!("{ctx}: {re:?} does not compile: {e}");
            }
            check_field(s, ctx);
            check_transformations(s, ctx);
            counts.regexes += 1;
        }
        "ByteMatchStatement" => {
            let raw = string(s, "SearchString", ctx);
            let bytes = base64_decode(raw).unwrap_or_else(|| panic!("{ctx}: SearchString {raw:?} is not base64"));
            assert!(
                !bytes.is_empty() && bytes.len() <= 200,
                "{ctx}: SearchString decodes to {} bytes",
                bytes.len()
            );
            assert!(
                POSITIONAL.contains(&string(s, "PositionalConstraint", ctx)),
                "{ctx}: PositionalConstraint"
            );
            // A search string must be able to match its transformed field.
            let lowered = s["TextTransformations"].as_array().is_some_and(|t| {
                t.iter().any(|t| {
                    matches!(
                        t["Type"].as_str(),
                        Some("LOWERCASE" | "CMD_LINE" | "CMD_LINE_UNIX" | "CMD_LINE_WIN")
                    )
                })
            });
            if lowered {
                assert!(
                    !bytes.iter().any(u8::is_ascii_uppercase),
                    "{ctx}: upper-case search string after LOWERCASE"
                );
            }
            check_field(s, ctx);
            check_transformations(s, ctx);
            counts.byte_matches += 1;
        }
        "SqliMatchStatement" => {
            assert!(
                ["LOW", "HIGH"].contains(&string(s, "SensitivityLevel", ctx)),
                "{ctx}: SensitivityLevel"
            );
            check_field(s, ctx);
            check_transformations(s, ctx);
        }
        "XssMatchStatement" => {
            check_field(s, ctx);
            check_transformations(s, ctx);
        }
        "SizeConstraintStatement" => {
            assert!(
                ["EQ", "NE", "LE", "LT", "GE", "GT"].contains(&string(s, "ComparisonOperator", ctx)),
                "{ctx}: ComparisonOperator"
            );
            assert!(s.get("Size").and_then(Value::as_u64).is_some(), "{ctx}: Size");
            check_field(s, ctx);
            check_transformations(s, ctx);
        }
        "IPSetReferenceStatement" => counts.ipset_arns.push(string(s, "ARN", ctx).to_string()),
        other => panic!("{ctx}: {other} is in the API model but not expected in Moat's managed groups"),
    }
}

#[test]
fn every_group_has_the_wrapper_and_rules_aws_documents() {
    let groups = groups();
    for required in REQUIRED {
        assert!(groups.contains_key(*required), "rules/aws/{required}.json is missing");
    }
    let mut total = Counts::default();
    for (file, doc) in &groups {
        let ctx = format!("rules/aws/{file}.json");
        let top = obj(doc, &ctx);
        assert!(
            top.keys().all(|k| k == "RuleGroup" || k == "LockToken"),
            "{ctx}: top-level keys {:?}",
            top.keys()
        );
        let g = doc.get("RuleGroup").unwrap_or_else(|| panic!("{ctx}: RuleGroup"));
        let name = string(g, "Name", &ctx);
        assert_eq!(name, file, "{ctx}: Name must match the file name");
        let (_, namespace, expected) = AWS_GROUPS
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("{ctx}: {name} is not a group in the AWS table of this test"));
        for key in ["Id", "ARN", "Description"] {
            assert!(!string(g, key, &ctx).is_empty(), "{ctx}: {key}");
        }
        assert!(
            g.get("Capacity").and_then(Value::as_u64).is_some_and(|c| c > 0),
            "{ctx}: Capacity"
        );
        let prefix = format!("awswaf:managed:aws:{namespace}:");
        assert_eq!(string(g, "LabelNamespace", &ctx), prefix, "{ctx}: LabelNamespace");
        check_visibility(g, name, &ctx);

        let rules = g
            .get("Rules")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{ctx}: Rules"));
        let mut names = BTreeSet::new();
        let mut priorities = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for rule in rules {
            let rname = string(rule, "Name", &ctx);
            let rctx = format!("{ctx}: {rname}");
            assert!(names.insert(rname), "{rctx}: duplicate rule name");
            let p = rule
                .get("Priority")
                .and_then(Value::as_u64)
                .unwrap_or_else(|| panic!("{rctx}: Priority"));
            assert!(priorities.insert(p), "{rctx}: duplicate priority {p}");
            let (action, action_body) = single(
                rule.get("Action").unwrap_or_else(|| panic!("{rctx}: Action")),
                ACTIONS,
                &rctx,
            );
            assert!(action_body.is_object(), "{rctx}: Action body");
            check_visibility(rule, rname, &rctx);
            let rule_labels = rule
                .get("RuleLabels")
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{rctx}: RuleLabels"));
            let own: Vec<_> = rule_labels.iter().map(|l| string(l, "Name", &rctx)).collect();
            let (_, label, aws_action) = expected
                .iter()
                .find(|(r, _, _)| *r == rname)
                .unwrap_or_else(|| panic!("{rctx}: not a rule AWS documents for {name}"));
            assert_eq!(
                own.first(),
                Some(label),
                "{rctx}: first RuleLabel must be AWS's label {prefix}{label}"
            );
            assert_eq!(action, *aws_action, "{rctx}: AWS's action is {aws_action}");
            labels.extend(own.iter().map(|l| format!("{prefix}{l}")));
            let mut counts = Counts::default();
            check_statement(
                rule.get("Statement").unwrap_or_else(|| panic!("{rctx}: Statement")),
                &rctx,
                &mut counts,
            );
            total.regexes += counts.regexes;
            total.byte_matches += counts.byte_matches;
            total.ipset_arns.extend(counts.ipset_arns);
        }
        let documented: BTreeSet<&str> = expected.iter().map(|(r, _, _)| *r).collect();
        assert_eq!(names, documented, "{ctx}: rule names differ from AWS's");
        let available: BTreeSet<String> = g
            .get("AvailableLabels")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{ctx}: AvailableLabels"))
            .iter()
            .map(|l| string(l, "Name", &ctx).to_string())
            .collect();
        assert_eq!(
            available, labels,
            "{ctx}: AvailableLabels must list every label the rules add"
        );
    }
    assert!(
        total.regexes > 100 && total.byte_matches > 50,
        "{} regexes, {} byte matches",
        total.regexes,
        total.byte_matches
    );
    check_ipsets(&total.ipset_arns);
}

fn check_visibility(v: &Value, name: &str, ctx: &str) {
    let vc = v
        .get("VisibilityConfig")
        .unwrap_or_else(|| panic!("{ctx}: VisibilityConfig"));
    for key in ["SampledRequestsEnabled", "CloudWatchMetricsEnabled"] {
        assert!(
            vc.get(key).and_then(Value::as_bool).is_some(),
            "{ctx}: VisibilityConfig.{key}"
        );
    }
    assert_eq!(string(vc, "MetricName", ctx), name, "{ctx}: MetricName");
}

/// Every referenced IP set is shipped as `rules/aws/ipsets/*.json` in `get-ip-set` shape.
fn check_ipsets(arns: &[String]) {
    let dir = root().join("rules/aws/ipsets");
    let mut shipped = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        let doc = load(&path);
        let ctx = path.display().to_string();
        let set = doc.get("IPSet").unwrap_or_else(|| panic!("{ctx}: IPSet"));
        assert!(
            ["IPV4", "IPV6"].contains(&string(set, "IPAddressVersion", &ctx)),
            "{ctx}: IPAddressVersion"
        );
        assert!(
            set.get("Addresses").and_then(Value::as_array).is_some(),
            "{ctx}: Addresses"
        );
        let name = string(set, "Name", &ctx);
        assert_eq!(
            Some(name),
            path.file_stem().and_then(|s| s.to_str()),
            "{ctx}: Name must match the file name"
        );
        shipped.insert(string(set, "ARN", &ctx).to_string(), name.to_string());
    }
    assert!(!arns.is_empty(), "no IPSetReferenceStatement found");
    for arn in arns {
        assert!(
            shipped.contains_key(arn),
            "IP set {arn} is referenced but not shipped in rules/aws/ipsets/"
        );
    }
}

#[test]
fn base64_decoder_is_strict() {
    assert_eq!(base64_decode("L2V0Yy9wYXNzd2Q=").as_deref(), Some(&b"/etc/passwd"[..]));
    assert_eq!(base64_decode("UFJPUEZJTkQ=").as_deref(), Some(&b"PROPFIND"[..]));
    assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
    assert_eq!(base64_decode("YWJj").as_deref(), Some(&b"abc"[..]));
    for bad in ["", "YQ", "YQ=", "Y===", "YQ==YQ==", "L2V0Yy9w!XNzd2Q="] {
        assert_eq!(base64_decode(bad), None, "{bad:?}");
    }
}
