//! Semantic checks that AWS applies when a WebACL or rule group is created, collected together.
//!
//! Everything that needs nothing beyond the document itself is checked here; references to IP sets, regex
//! pattern sets and rule groups, and regex compilation, are checked when an ACL is compiled.

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::transform::Chain;

/// Longest `ByteMatchStatement` search string (bytes).
pub const MAX_SEARCH_STRING: usize = 200;
/// Longest `RegexString` (characters).
pub const MAX_REGEX_LEN: usize = 512;
/// Largest `SizeConstraintStatement.Size`.
pub const MAX_SIZE: i64 = 21_474_836_480;

/// True when `s` is a valid label or label key: `^[0-9A-Za-z_\-:]+$`, at most 1024 bytes.
pub fn is_label_syntax(s: &str) -> bool {
    !s.is_empty() && s.len() <= 1024 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-:".contains(&b))
}

struct Checker<'a> {
    problems: Vec<Problem>,
    rule: Option<String>,
    bodies: &'a BTreeMap<String, CustomResponseBody>,
    in_rule_group: bool,
}

impl Checker<'_> {
    fn add(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            rule: self.rule.clone(),
            message: message.into(),
        });
    }

    fn rules(&mut self, rules: &[Rule]) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut priorities: HashMap<i64, usize> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("Rules[{i}]");
            self.rule = Some(rule.name.clone());
            if let Some(first) = names.insert(rule.name.as_str(), i) {
                self.add(
                    &format!("{path}.Name"),
                    format!("duplicate rule name (also Rules[{first}])"),
                );
            }
            if let Some(first) = priorities.insert(rule.priority, i) {
                self.add(
                    &format!("{path}.Priority"),
                    format!("duplicate priority {} (also Rules[{first}])", rule.priority),
                );
            }
            self.rule_body(rule, &path);
        }
        self.rule = None;
    }

    fn rule_body(&mut self, rule: &Rule, path: &str) {
        if rule.name.is_empty() || rule.name.len() > 128 {
            self.add(&format!("{path}.Name"), "rule names are 1 to 128 characters");
        }
        if rule.priority < 0 {
            self.add(&format!("{path}.Priority"), "priority must be 0 or more");
        }
        let is_group = matches!(
            rule.statement,
            Statement::ManagedRuleGroupStatement(_) | Statement::RuleGroupReferenceStatement(_)
        );
        match (is_group, &rule.action, &rule.override_action) {
            (true, None, Some(_)) | (false, Some(_), None) => {}
            (true, _, None) => self.add(path, "a rule group statement needs OverrideAction (and no Action)"),
            (true, Some(_), Some(_)) => self.add(&format!("{path}.Action"), "a rule group rule takes no Action"),
            (false, None, _) => self.add(path, "a rule needs an Action (OverrideAction is for rule groups)"),
            (false, Some(_), Some(_)) => self.add(
                &format!("{path}.OverrideAction"),
                "OverrideAction is only for rule group statements",
            ),
        }
        if let Some(action) = &rule.action {
            self.action(action, &format!("{path}.Action"));
        }
        if let Some(OverrideAction::Count(h)) = &rule.override_action {
            self.handling(h, &format!("{path}.OverrideAction.Count"));
        }
        for (j, label) in rule.rule_labels.iter().enumerate() {
            if !is_label_syntax(&label.name) {
                self.add(
                    &format!("{path}.RuleLabels[{j}].Name"),
                    format!("label {:?} does not match ^[0-9A-Za-z_\\-:]+$", label.name),
                );
            }
        }
        self.statement(&rule.statement, &format!("{path}.Statement"), true);
    }

    fn action(&mut self, action: &RuleAction, path: &str) {
        match action {
            RuleAction::Block(b) => self.block(b, &format!("{path}.Block")),
            RuleAction::Allow(h) => self.handling(h, &format!("{path}.Allow")),
            RuleAction::Count(h) => self.handling(h, &format!("{path}.Count")),
            RuleAction::Captcha(h) => self.handling(h, &format!("{path}.Captcha")),
            RuleAction::Challenge(h) => self.handling(h, &format!("{path}.Challenge")),
        }
    }

    fn block(&mut self, block: &BlockAction, path: &str) {
        let Some(resp) = &block.custom_response else { return };
        let path = format!("{path}.CustomResponse");
        if !(200..=599).contains(&resp.response_code) {
            self.add(&format!("{path}.ResponseCode"), "response codes are 200 to 599");
        }
        if let Some(key) = &resp.custom_response_body_key {
            if !self.bodies.contains_key(key) {
                self.add(
                    &format!("{path}.CustomResponseBodyKey"),
                    format!("unknown CustomResponseBodyKey {key:?}: not a key of CustomResponseBodies"),
                );
            }
        }
        for (i, h) in resp.response_headers.iter().enumerate() {
            if !is_header_name(&h.name) {
                self.add(&format!("{path}.ResponseHeaders[{i}].Name"), "not a valid header name");
            }
        }
    }

    fn handling(&mut self, h: &HandlingAction, path: &str) {
        let Some(crh) = &h.custom_request_handling else { return };
        if crh.insert_headers.is_empty() {
            self.add(
                &format!("{path}.CustomRequestHandling.InsertHeaders"),
                "at least one header is required",
            );
        }
        for (i, header) in crh.insert_headers.iter().enumerate() {
            if !is_header_name(&header.name) {
                self.add(
                    &format!("{path}.CustomRequestHandling.InsertHeaders[{i}].Name"),
                    "not a valid header name",
                );
            }
        }
    }

    fn transformations(&mut self, list: &[TextTransformation], path: &str) {
        let parsed: Result<Vec<_>, _> = list
            .iter()
            .map(|t| {
                t.kind.parse().map(|kind| crate::transform::TextTransformation {
                    priority: t.priority,
                    kind,
                })
            })
            .collect();
        match parsed {
            Ok(steps) => {
                if let Err(e) = Chain::from_aws(&steps) {
                    self.add(path, e.to_string());
                }
            }
            Err(e) => self.add(path, e.to_string()),
        }
        if list.is_empty() {
            self.add(path, "at least one text transformation is required (use NONE)");
        }
    }

    fn field(&mut self, field: &FieldToMatch, path: &str) {
        match field {
            FieldToMatch::SingleHeader(n) | FieldToMatch::SingleQueryArgument(n)
                if n.name.trim().is_empty() || n.name.len() > 64 =>
            {
                self.add(&format!("{path}.Name"), "names are 1 to 64 characters, not all blank");
            }
            FieldToMatch::JsonBody(j) => {
                let p = &j.match_pattern;
                match (&p.all, &p.included_paths) {
                    (Some(_), None) => {}
                    (None, Some(paths)) => {
                        if paths.is_empty() {
                            self.add(&format!("{path}.MatchPattern.IncludedPaths"), "at least one path");
                        }
                        for (i, ptr) in paths.iter().enumerate() {
                            if !is_json_pointer(ptr) {
                                self.add(
                                    &format!("{path}.MatchPattern.IncludedPaths[{i}]"),
                                    format!("{ptr:?} is not a JSON Pointer (RFC 6901: \"/a/0/b\", \"~0\", \"~1\")"),
                                );
                            }
                        }
                    }
                    _ => self.add(&format!("{path}.MatchPattern"), "exactly one of All and IncludedPaths"),
                }
            }
            FieldToMatch::Headers(h) => {
                let p = &h.match_pattern;
                self.pattern(
                    [
                        p.all.is_some(),
                        p.included_headers.is_some(),
                        p.excluded_headers.is_some(),
                    ],
                    [&p.included_headers, &p.excluded_headers],
                    &format!("{path}.MatchPattern"),
                    "All, IncludedHeaders and ExcludedHeaders",
                );
            }
            FieldToMatch::Cookies(c) => {
                let p = &c.match_pattern;
                self.pattern(
                    [
                        p.all.is_some(),
                        p.included_cookies.is_some(),
                        p.excluded_cookies.is_some(),
                    ],
                    [&p.included_cookies, &p.excluded_cookies],
                    &format!("{path}.MatchPattern"),
                    "All, IncludedCookies and ExcludedCookies",
                );
            }
            _ => {}
        }
    }

    fn pattern(&mut self, set: [bool; 3], lists: [&Option<Vec<String>>; 2], path: &str, what: &str) {
        if set.iter().filter(|&&s| s).count() != 1 {
            self.add(path, format!("exactly one of {what}"));
        }
        for list in lists.into_iter().flatten() {
            if list.is_empty() || list.len() > 199 {
                self.add(path, "name lists hold 1 to 199 names");
            }
        }
    }

    fn forwarded(&mut self, header: &str, path: &str) {
        if !is_header_name(header) {
            self.add(&format!("{path}.HeaderName"), "not a valid header name");
        }
    }

    fn statement(&mut self, st: &Statement, path: &str, top: bool) {
        let path = format!("{path}.{}", st.type_name());
        let path = path.as_str();
        match st {
            Statement::ByteMatchStatement(s) => {
                match (&s.search_string, &s.search_string_base64) {
                    (Some(b), None) | (None, Some(b)) => {
                        if b.is_empty() || b.len() > MAX_SEARCH_STRING {
                            self.add(
                                &format!("{path}.SearchString"),
                                format!("the search string is 1 to {MAX_SEARCH_STRING} bytes once decoded"),
                            );
                        }
                    }
                    _ => self.add(path, "exactly one of SearchString and SearchStringBase64 is required"),
                }
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::SqliMatchStatement(s) => {
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::XssMatchStatement(s) => {
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::SizeConstraintStatement(s) => {
                if !(0..=MAX_SIZE).contains(&s.size) {
                    self.add(&format!("{path}.Size"), format!("Size must be 0 to {MAX_SIZE}"));
                }
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::RegexMatchStatement(s) => {
                if s.regex_string.is_empty() || s.regex_string.chars().count() > MAX_REGEX_LEN {
                    self.add(
                        &format!("{path}.RegexString"),
                        format!("regexes are 1 to {MAX_REGEX_LEN} characters"),
                    );
                }
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::RegexPatternSetReferenceStatement(s) => {
                self.field(&s.field_to_match, &format!("{path}.FieldToMatch"));
                self.transformations(&s.text_transformations, &format!("{path}.TextTransformations"));
            }
            Statement::GeoMatchStatement(s) => {
                if s.country_codes.is_empty() {
                    self.add(&format!("{path}.CountryCodes"), "at least one country code");
                }
                for (i, c) in s.country_codes.iter().enumerate() {
                    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                        self.add(
                            &format!("{path}.CountryCodes[{i}]"),
                            format!("{c:?} is not an ISO 3166 alpha-2 code"),
                        );
                    }
                }
                if let Some(f) = &s.forwarded_ip_config {
                    self.forwarded(&f.header_name, &format!("{path}.ForwardedIPConfig"));
                }
            }
            Statement::AsnMatchStatement(s) => {
                if s.asn_list.is_empty() {
                    self.add(&format!("{path}.AsnList"), "at least one ASN");
                }
                if s.asn_list.iter().any(|&a| !(0..=4_294_967_295).contains(&a)) {
                    self.add(&format!("{path}.AsnList"), "ASNs are 0 to 4294967295");
                }
                if let Some(f) = &s.forwarded_ip_config {
                    self.forwarded(&f.header_name, &format!("{path}.ForwardedIPConfig"));
                }
            }
            Statement::IpSetReferenceStatement(s) => {
                if let Some(f) = &s.ip_set_forwarded_ip_config {
                    self.forwarded(&f.header_name, &format!("{path}.IPSetForwardedIPConfig"));
                }
            }
            Statement::LabelMatchStatement(s) => {
                if !is_label_syntax(&s.key) {
                    self.add(
                        &format!("{path}.Key"),
                        format!("{:?} does not match ^[0-9A-Za-z_\\-:]+$", s.key),
                    );
                }
            }
            Statement::AndStatement(AndStatement { statements })
            | Statement::OrStatement(OrStatement { statements }) => {
                if statements.is_empty() {
                    self.add(&format!("{path}.Statements"), "at least one statement is required");
                }
                for (i, s) in statements.iter().enumerate() {
                    self.statement(s, &format!("{path}.Statements[{i}]"), false);
                }
            }
            Statement::NotStatement(n) => self.statement(&n.statement, &format!("{path}.Statement"), false),
            Statement::RateBasedStatement(r) => {
                if !top {
                    self.add(path, "a RateBasedStatement can only be a rule's top-level statement");
                }
                if !(10..=2_000_000_000).contains(&r.limit) {
                    self.add(&format!("{path}.Limit"), "Limit must be 10 to 2000000000");
                }
                if let Some(w) = r.evaluation_window_sec {
                    if ![60, 120, 300, 600].contains(&w) {
                        self.add(
                            &format!("{path}.EvaluationWindowSec"),
                            "EvaluationWindowSec is 60, 120, 300 or 600",
                        );
                    }
                }
                match r.aggregate_key_type {
                    AggregateKeyType::CustomKeys if r.custom_keys.is_empty() || r.custom_keys.len() > 5 => {
                        self.add(&format!("{path}.CustomKeys"), "CUSTOM_KEYS needs 1 to 5 custom keys");
                    }
                    AggregateKeyType::CustomKeys => {}
                    _ if !r.custom_keys.is_empty() => self.add(
                        &format!("{path}.CustomKeys"),
                        "CustomKeys is only for AggregateKeyType CUSTOM_KEYS",
                    ),
                    _ => {}
                }
                let uses_forwarded = r.aggregate_key_type == AggregateKeyType::ForwardedIp
                    || r.custom_keys
                        .iter()
                        .any(|k| matches!(k, RateBasedCustomKey::ForwardedIp(_)));
                match (&r.forwarded_ip_config, uses_forwarded) {
                    (None, true) => self.add(path, "FORWARDED_IP aggregation needs ForwardedIPConfig"),
                    (Some(f), _) => self.forwarded(&f.header_name, &format!("{path}.ForwardedIPConfig")),
                    _ => {}
                }
                for (i, key) in r.custom_keys.iter().enumerate() {
                    let kp = format!("{path}.CustomKeys[{i}]");
                    match key {
                        RateBasedCustomKey::Header(n)
                        | RateBasedCustomKey::Cookie(n)
                        | RateBasedCustomKey::QueryArgument(n) => {
                            if n.name.trim().is_empty() {
                                self.add(&kp, "a name is required");
                            }
                            self.transformations(&n.text_transformations, &format!("{kp}.TextTransformations"));
                        }
                        RateBasedCustomKey::QueryString(t) | RateBasedCustomKey::UriPath(t) => {
                            self.transformations(&t.text_transformations, &format!("{kp}.TextTransformations"))
                        }
                        RateBasedCustomKey::LabelNamespace(ns) if !is_label_syntax(&ns.namespace) => {
                            self.add(&format!("{kp}.LabelNamespace.Namespace"), "not a valid label namespace");
                        }
                        _ => {}
                    }
                }
                if let Some(s) = &r.scope_down_statement {
                    self.statement(s, &format!("{path}.ScopeDownStatement"), false);
                }
            }
            Statement::ManagedRuleGroupStatement(m) => {
                self.group_position(path, top);
                self.overrides(&m.rule_action_overrides, path);
                if let Some(s) = &m.scope_down_statement {
                    self.statement(s, &format!("{path}.ScopeDownStatement"), false);
                }
            }
            Statement::RuleGroupReferenceStatement(r) => {
                self.group_position(path, top);
                self.overrides(&r.rule_action_overrides, path);
            }
        }
    }

    fn group_position(&mut self, path: &str, top: bool) {
        if !top {
            self.add(path, "rule group statements can only be a rule's top-level statement");
        } else if self.in_rule_group {
            self.add(path, "a rule group cannot contain rule group statements");
        }
    }

    fn overrides(&mut self, overrides: &[RuleActionOverride], path: &str) {
        for (i, o) in overrides.iter().enumerate() {
            let p = format!("{path}.RuleActionOverrides[{i}].ActionToUse");
            // The group's own response bodies are not known here; keys are checked at compile time.
            match &o.action_to_use {
                RuleAction::Block(b) => {
                    if let Some(r) = &b.custom_response {
                        if !(200..=599).contains(&r.response_code) {
                            self.add(
                                &format!("{p}.Block.CustomResponse.ResponseCode"),
                                "response codes are 200 to 599",
                            );
                        }
                    }
                }
                other => self.action(other, &p),
            }
        }
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// RFC 6901: empty, or `/`-separated tokens in which `~` is followed by `0` or `1`.
pub fn is_json_pointer(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    if !p.starts_with('/') {
        return false;
    }
    let b = p.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0') | Some(b'1')))
}

/// Semantic checks for a WebACL.
pub(crate) fn web_acl(acl: &WebAclModel) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
        rule: None,
        bodies: &acl.custom_response_bodies,
        in_rule_group: false,
    };
    if acl.name.is_empty() || acl.name.len() > 128 {
        c.add("Name", "names are 1 to 128 characters");
    }
    match &acl.default_action {
        DefaultAction::Block(b) => c.block(b, "DefaultAction.Block"),
        DefaultAction::Allow(h) => c.handling(h, "DefaultAction.Allow"),
    }
    c.rules(&acl.rules);
    for (list, name) in [
        (
            &acl.pre_process_firewall_manager_rule_groups,
            "PreProcessFirewallManagerRuleGroups",
        ),
        (
            &acl.post_process_firewall_manager_rule_groups,
            "PostProcessFirewallManagerRuleGroups",
        ),
    ] {
        for (i, g) in list.iter().enumerate() {
            let s = &g.firewall_manager_statement;
            if s.managed_rule_group_statement.is_some() == s.rule_group_reference_statement.is_some() {
                c.add(
                    &format!("{name}[{i}].FirewallManagerStatement"),
                    "exactly one of ManagedRuleGroupStatement and RuleGroupReferenceStatement",
                );
            }
        }
    }
    c.problems
}

/// Semantic checks for a rule group.
pub(crate) fn rule_group(group: &RuleGroupModel) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
        rule: None,
        bodies: &group.custom_response_bodies,
        in_rule_group: true,
    };
    if group.name.is_empty() || group.name.len() > 128 {
        c.add("Name", "names are 1 to 128 characters");
    }
    c.rules(&group.rules);
    c.problems
}

/// Checks every address of an IP set.
pub(crate) fn ip_set(set: &IpSetModel) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, a) in set.addresses.iter().enumerate() {
        let ok = a.contains('/')
            && parse_cidr(a)
                .is_some_and(|(ip, len)| len > 0 && ip.is_ipv4() == (set.ip_address_version == IpAddressVersion::Ipv4));
        if !ok {
            problems.push(Problem {
                path: format!("Addresses[{i}]"),
                rule: None,
                message: format!(
                    "{a:?} is not an {} CIDR block with a prefix length of 1 or more (\"192.0.2.44/32\")",
                    if set.ip_address_version == IpAddressVersion::Ipv4 {
                        "IPv4"
                    } else {
                        "IPv6"
                    }
                ),
            });
        }
    }
    problems
}

/// Checks the lengths of a regex pattern set's patterns.
pub(crate) fn regex_pattern_set(set: &RegexPatternSetModel) -> Vec<Problem> {
    set.regular_expression_list
        .iter()
        .enumerate()
        .filter(|(_, r)| r.regex_string.is_empty() || r.regex_string.chars().count() > MAX_REGEX_LEN)
        .map(|(i, _)| Problem {
            path: format!("RegularExpressionList[{i}].RegexString"),
            rule: None,
            message: format!("regexes are 1 to {MAX_REGEX_LEN} characters"),
        })
        .collect()
}
