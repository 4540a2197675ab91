//! AWS WAF's web ACL traffic log record: one JSON object per line, with the field names, order and
//! shapes of AWS WAF's documentation ("Log fields for protection pack (web ACL) traffic" and "Log examples
//! for protection pack (web ACL) traffic" in the AWS WAF Developer Guide), so tools that read AWS WAF logs
//! (Athena tables, CloudWatch Logs Insights queries, SIEM parsers) read Moat's unchanged.
//!
//! A [`WafLogRecord`] borrows everything; [`WafLogRecord::render`] appends the line to a caller-owned
//! buffer. Request bodies are never logged (AWS does not log them either). Values the configuration
//! names for redaction (AWS's `RedactedFields`: a header, the query string, the URI path, the method) are
//! written as `REDACTED`, as AWS does.

use crate::text::{write_escaped, write_u64, Escape};

/// `terminatingRuleMatchDetails` / `ruleMatchDetails` entry: where a SQL-injection or XSS rule matched.
#[derive(Debug, Clone, Copy)]
pub struct MatchDetail<'a> {
    /// `SQL_INJECTION` or `XSS`.
    pub condition_type: &'a str,
    /// `LOW` or `HIGH` for SQL injection; `None` for XSS.
    pub sensitivity_level: Option<&'a str>,
    /// `HEADER`, `QUERY_STRING`, `URI`, `BODY`, `COOKIE`...
    pub location: &'a str,
    /// The matched tokens, e.g. `["10", "AND", "1"]`.
    pub matched_data: &'a [String],
}

/// A rule inside a rule group, as `terminatingRule` or in `nonTerminatingMatchingRules`.
#[derive(Debug, Clone, Copy)]
pub struct GroupRule<'a> {
    /// The rule's name.
    pub rule_id: &'a str,
    /// The action applied: `BLOCK`, `ALLOW`, `COUNT`, `CAPTCHA`, `CHALLENGE`.
    pub action: &'a str,
    /// The rule's own action when the configuration overrode it (`RuleActionOverrides`).
    pub overridden_action: Option<&'a str>,
    /// SQLi/XSS match details.
    pub match_details: &'a [MatchDetail<'a>],
}

/// One `ruleGroupList` entry: a rule group the request was evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct RuleGroupEntry<'a> {
    /// `ruleGroupId`, e.g. `AWS#AWSManagedRulesSQLiRuleSet` for a managed group, or the group's ARN.
    pub rule_group_id: &'a str,
    /// The group's rule that terminated evaluation, if one did.
    pub terminating_rule: Option<GroupRule<'a>>,
    /// The group's matching Count rules.
    pub non_terminating_matching_rules: &'a [GroupRule<'a>],
    /// Rules the configuration excluded (`ExcludedRules`), each logged with `exclusionType` `EXCLUDED_AS_COUNT`.
    pub excluded_rules: &'a [&'a str],
}

/// One `rateBasedRuleList` entry.
#[derive(Debug, Clone, Copy)]
pub struct RateBasedEntry<'a> {
    /// The rule's id (Moat uses its name).
    pub rate_based_rule_id: &'a str,
    /// The rule's name.
    pub rate_based_rule_name: &'a str,
    /// `IP`, `FORWARDED_IP`, `CUSTOMKEYS` or `CONSTANT`.
    pub limit_key: &'a str,
    /// The rule's `Limit`.
    pub max_rate_allowed: u64,
    /// The rule's `EvaluationWindowSec` (a string in AWS's records).
    pub evaluation_window_sec: u64,
    /// `limitValue`: the aggregated key's value for IP-keyed rules (the address).
    pub limit_value: Option<&'a str>,
    /// `customValues` of a `CUSTOM_KEYS` rule: (key type such as `HEADER`, key name, value).
    pub custom_values: &'a [(&'a str, &'a str, &'a str)],
}

/// A matching rule outside any group, in `nonTerminatingMatchingRules`.
#[derive(Debug, Clone, Copy)]
pub struct NonTerminatingRule<'a> {
    /// The rule's name.
    pub rule_id: &'a str,
    /// `COUNT` (or `CAPTCHA`/`CHALLENGE` with a valid token).
    pub action: &'a str,
    /// SQLi/XSS match details.
    pub rule_match_details: &'a [MatchDetail<'a>],
}

/// `httpRequest`: the request as AWS WAF logs it (no body).
#[derive(Debug, Clone, Copy)]
pub struct HttpRequestLog<'a> {
    /// The client address WAF evaluated.
    pub client_ip: &'a str,
    /// ISO 3166 alpha-2 country, or `-` when unknown.
    pub country: &'a str,
    /// Request headers in the order received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The URI path.
    pub uri: &'a str,
    /// The query string, without `?` (empty when there is none).
    pub args: &'a str,
    /// `HTTP/1.1`, `HTTP/2.0`...
    pub http_version: &'a str,
    /// The method.
    pub http_method: &'a str,
    /// The gateway's request id.
    pub request_id: &'a str,
}

/// Parts of the request written as `REDACTED` (AWS's `LoggingConfiguration.RedactedFields`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Redaction<'a> {
    /// Header names (case-insensitive) whose values are redacted.
    pub headers: &'a [&'a str],
    /// Redact `args`.
    pub query_string: bool,
    /// Redact `uri`.
    pub uri_path: bool,
    /// Redact `httpMethod`.
    pub method: bool,
}

/// One AWS WAF log record.
#[derive(Debug, Clone, Copy)]
pub struct WafLogRecord<'a> {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The web ACL's ARN.
    pub webacl_id: &'a str,
    /// The rule that terminated evaluation, or `Default_Action`.
    pub terminating_rule_id: &'a str,
    /// `REGULAR`, `RATE_BASED`, `MANAGED_RULE_GROUP` or `GROUP`.
    pub terminating_rule_type: &'a str,
    /// `ALLOW`, `BLOCK`, `CAPTCHA` or `CHALLENGE`.
    pub action: &'a str,
    /// SQLi/XSS details of the terminating rule.
    pub terminating_rule_match_details: &'a [MatchDetail<'a>],
    /// `httpSourceId`: for API Gateway, `{account}:{apiId}:{stage}`.
    pub http_source_id: &'a str,
    /// Rule groups evaluated.
    pub rule_group_list: &'a [RuleGroupEntry<'a>],
    /// Rate-based rules that limited the request.
    pub rate_based_rule_list: &'a [RateBasedEntry<'a>],
    /// Matching non-terminating rules outside groups.
    pub non_terminating_matching_rules: &'a [NonTerminatingRule<'a>],
    /// Headers inserted by `CustomRequestHandling` (`null` when none).
    pub request_headers_inserted: &'a [(&'a str, &'a str)],
    /// The status of a custom response (`null` when none was sent).
    pub response_code_sent: Option<u16>,
    /// The request.
    pub http_request: HttpRequestLog<'a>,
    /// Labels the request carries after evaluation (the field is left out when there are none).
    pub labels: &'a [&'a str],
}

/// The value written in place of a redacted one.
pub const REDACTED: &str = "REDACTED";

fn string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    write_escaped(out, value, Escape::Json);
    out.push(b'"');
}

fn key(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn list<T>(out: &mut Vec<u8>, items: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, value) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, value);
    }
    out.push(b']');
}

fn match_details(out: &mut Vec<u8>, details: &[MatchDetail<'_>]) {
    list(out, details, |out, d| {
        out.push(b'{');
        key(out, "conditionType");
        string(out, d.condition_type);
        if let Some(level) = d.sensitivity_level {
            out.push(b',');
            key(out, "sensitivityLevel");
            string(out, level);
        }
        out.push(b',');
        key(out, "location");
        string(out, d.location);
        out.push(b',');
        key(out, "matchedData");
        list(out, d.matched_data, |out, s| string(out, s));
        out.push(b'}');
    });
}

fn group_rule(out: &mut Vec<u8>, rule: &GroupRule<'_>) {
    out.push(b'{');
    key(out, "ruleId");
    string(out, rule.rule_id);
    out.push(b',');
    key(out, "action");
    string(out, rule.action);
    out.push(b',');
    key(out, "overriddenAction");
    match rule.overridden_action {
        Some(action) => string(out, action),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    key(out, "ruleMatchDetails");
    match_details(out, rule.match_details);
    out.push(b'}');
}

fn name_values(out: &mut Vec<u8>, pairs: &[(&str, &str)], redact: impl Fn(&str) -> bool) {
    list(out, pairs, |out, (name, value)| {
        out.push(b'{');
        key(out, "name");
        string(out, name);
        out.push(b',');
        key(out, "value");
        string(out, if redact(name) { REDACTED } else { value });
        out.push(b'}');
    });
}

impl WafLogRecord<'_> {
    /// Appends the record as one JSON line (ending in `\n`), with `redaction` applied.
    pub fn render(&self, redaction: &Redaction<'_>, out: &mut Vec<u8>) {
        out.push(b'{');
        key(out, "timestamp");
        write_u64(out, self.timestamp_ms);
        out.extend_from_slice(b",\"formatVersion\":1,");
        key(out, "webaclId");
        string(out, self.webacl_id);
        out.push(b',');
        key(out, "terminatingRuleId");
        string(out, self.terminating_rule_id);
        out.push(b',');
        key(out, "terminatingRuleType");
        string(out, self.terminating_rule_type);
        out.push(b',');
        key(out, "action");
        string(out, self.action);
        out.push(b',');
        key(out, "terminatingRuleMatchDetails");
        match_details(out, self.terminating_rule_match_details);
        out.extend_from_slice(b",\"httpSourceName\":\"APIGW\",");
        key(out, "httpSourceId");
        string(out, self.http_source_id);
        out.push(b',');
        key(out, "ruleGroupList");
        list(out, self.rule_group_list, |out, g| {
            out.push(b'{');
            key(out, "ruleGroupId");
            string(out, g.rule_group_id);
            out.push(b',');
            key(out, "terminatingRule");
            match &g.terminating_rule {
                Some(rule) => group_rule(out, rule),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
            key(out, "nonTerminatingMatchingRules");
            list(out, g.non_terminating_matching_rules, group_rule);
            out.push(b',');
            key(out, "excludedRules");
            if g.excluded_rules.is_empty() {
                out.extend_from_slice(b"null");
            } else {
                list(out, g.excluded_rules, |out, rule| {
                    out.extend_from_slice(b"{\"exclusionType\":\"EXCLUDED_AS_COUNT\",");
                    key(out, "ruleId");
                    string(out, rule);
                    out.push(b'}');
                });
            }
            out.push(b'}');
        });
        out.push(b',');
        key(out, "rateBasedRuleList");
        list(out, self.rate_based_rule_list, |out, r| {
            out.push(b'{');
            key(out, "rateBasedRuleId");
            string(out, r.rate_based_rule_id);
            out.push(b',');
            key(out, "rateBasedRuleName");
            string(out, r.rate_based_rule_name);
            out.push(b',');
            key(out, "limitKey");
            string(out, r.limit_key);
            out.push(b',');
            key(out, "maxRateAllowed");
            write_u64(out, r.max_rate_allowed);
            out.push(b',');
            key(out, "evaluationWindowSec");
            out.push(b'"');
            write_u64(out, r.evaluation_window_sec);
            out.push(b'"');
            if let Some(value) = r.limit_value {
                out.push(b',');
                key(out, "limitValue");
                string(out, value);
            }
            if !r.custom_values.is_empty() {
                out.push(b',');
                key(out, "customValues");
                list(out, r.custom_values, |out, (kind, name, value)| {
                    out.push(b'{');
                    key(out, "key");
                    string(out, kind);
                    out.push(b',');
                    key(out, "name");
                    string(out, name);
                    out.push(b',');
                    key(out, "value");
                    string(out, value);
                    out.push(b'}');
                });
            }
            out.push(b'}');
        });
        out.push(b',');
        key(out, "nonTerminatingMatchingRules");
        list(out, self.non_terminating_matching_rules, |out, r| {
            out.push(b'{');
            key(out, "ruleId");
            string(out, r.rule_id);
            out.push(b',');
            key(out, "action");
            string(out, r.action);
            out.push(b',');
            key(out, "ruleMatchDetails");
            match_details(out, r.rule_match_details);
            out.push(b'}');
        });
        out.push(b',');
        key(out, "requestHeadersInserted");
        if self.request_headers_inserted.is_empty() {
            out.extend_from_slice(b"null");
        } else {
            name_values(out, self.request_headers_inserted, |_| false);
        }
        out.push(b',');
        key(out, "responseCodeSent");
        match self.response_code_sent {
            Some(code) => write_u64(out, u64::from(code)),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        let req = &self.http_request;
        key(out, "httpRequest");
        out.push(b'{');
        key(out, "clientIp");
        string(out, req.client_ip);
        out.push(b',');
        key(out, "country");
        string(out, req.country);
        out.push(b',');
        key(out, "headers");
        name_values(out, req.headers, |name| {
            redaction.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
        });
        out.push(b',');
        key(out, "uri");
        string(out, if redaction.uri_path { REDACTED } else { req.uri });
        out.push(b',');
        key(out, "args");
        string(out, if redaction.query_string { REDACTED } else { req.args });
        out.push(b',');
        key(out, "httpVersion");
        string(out, req.http_version);
        out.push(b',');
        key(out, "httpMethod");
        string(out, if redaction.method { REDACTED } else { req.http_method });
        out.push(b',');
        key(out, "requestId");
        string(out, req.request_id);
        out.push(b'}');
        if !self.labels.is_empty() {
            out.push(b',');
            key(out, "labels");
            list(out, self.labels, |out, label| {
                out.push(b'{');
                key(out, "name");
                string(out, label);
                out.push(b'}');
            });
        }
        out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests;
