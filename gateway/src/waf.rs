//! The WAF phase: a stage's WebACL (AWS WAF v2 JSON, compiled by `moat-waf`) evaluated on every request
//! of the stage, after the stage is known and before routing, as AWS WAF runs in front of API Gateway (so
//! requests for routes that do not exist are inspected too).
//!
//! The request view borrows the request head and the first `body_inspection_limit` bytes of the body,
//! which are read ahead and then forwarded with the rest. Each worker thread keeps one evaluation scratch
//! per WebACL, so a decision allocates nothing once warm. The outcome is recorded for the access log
//! (`$context.wafResponseCode`, `$context.webaclArn`, `$context.waf.latency`) and, when the stage asks for
//! it, written as an AWS WAF log record.

use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use http::request::Parts;
use http::{HeaderName, HeaderValue};
use moat_formats::waf_log::{
    GroupRule, HttpRequestLog, MatchDetail, NonTerminatingRule, RateBasedEntry, Redaction, RuleGroupEntry, WafLogRecord,
};
use moat_waf::eval::RuleMatch;
use moat_waf::{Action, Decision, Header, HttpRequest, Scratch, WebAcl};
use rustc_hash::FxHashMap;

use crate::body::{BodyLimitError, LimitedBody, PrefixedBody};
use crate::log_sink::LogSink;

/// A stage's WebACL and what to do with its decisions.
pub struct StageWaf {
    /// The compiled WebACL (shared by every stage that names the same file).
    pub acl: Arc<WebAcl>,
    /// `$context.webaclArn` and the log's `webaclId`.
    pub arn: Arc<str>,
    /// The log's `httpSourceId`: `{account}:{apiId}:{stage}`.
    pub http_source_id: Arc<str>,
    /// The WAF log, when configured.
    pub log: Option<WafLogging>,
}

impl std::fmt::Debug for StageWaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageWaf")
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

/// Where a stage's WAF log records go, and what they redact.
pub struct WafLogging {
    /// The sink (`None` while only checking a config).
    pub sink: Option<Arc<LogSink>>,
    /// Header names whose values are written as `REDACTED`.
    pub redacted_headers: Vec<String>,
    /// Redact the query string.
    pub redact_query_string: bool,
    /// Redact the URI path.
    pub redact_uri_path: bool,
    /// Redact the method.
    pub redact_method: bool,
}

/// What the WAF decided about a request, as the rest of the pipeline needs it.
#[derive(Debug)]
pub enum Verdict {
    /// Forward the request, with these headers added (`CustomRequestHandling`, `x-amzn-waf-` names).
    Pass(Vec<(HeaderName, HeaderValue)>),
    /// Block with the stage's `WAF_FILTERED` gateway response (403 `{"message":"Forbidden"}`).
    Block,
    /// Block with the rule's custom response.
    Custom {
        /// Status code.
        status: u16,
        /// Response headers.
        headers: Vec<(HeaderName, HeaderValue)>,
        /// Body and its content type.
        body: Option<(&'static str, String)>,
    },
    /// CAPTCHA or Challenge: Moat cannot verify AWS WAF tokens, so it answers as AWS does for a request
    /// without a valid token (405 for CAPTCHA, 202 for Challenge), with `x-amzn-waf-action`.
    Puzzle(Action),
}

/// The access-log facts of a WAF decision.
#[derive(Debug, Clone)]
pub struct WafFacts {
    /// The WebACL's ARN.
    pub arn: Arc<str>,
    /// Whether the request was blocked (`WAF_BLOCK`) or let through (`WAF_ALLOW`).
    pub blocked: bool,
    /// Milliseconds spent evaluating.
    pub latency_ms: u64,
    /// `$context.waf.status`: 200 when let through, else the status of the WAF's answer.
    pub status: u16,
}

thread_local! {
    /// One evaluation scratch per WebACL on this worker thread.
    static SCRATCH: RefCell<FxHashMap<usize, Scratch>> = RefCell::new(FxHashMap::default());
}

/// Whether a request may carry a body worth reading ahead.
fn may_have_body(parts: &Parts, body: &PrefixedBody<LimitedBody>) -> bool {
    use http_body::Body;
    !body.is_end_stream() && body.size_hint().upper() != Some(0) && parts.method != http::Method::HEAD
}

/// Evaluates `waf` on the request; reads the body ahead up to the inspection limit first.
///
/// # Errors
/// The body's own error while reading ahead (too large, too slow, client gone).
pub async fn inspect(
    waf: &StageWaf,
    parts: &Parts,
    body: &mut PrefixedBody<LimitedBody>,
    client_ip: IpAddr,
    request_id: &str,
    epoch_ms: u64,
) -> Result<(Verdict, WafFacts), BodyLimitError> {
    let limit = waf.acl.body_inspection_limit();
    let body_size = crate::pipeline::content_length(&parts.headers).unwrap_or(0);
    if may_have_body(parts, body) {
        body.read_ahead(limit).await?;
    }
    let inspected = &body.prefix()[..body.prefix().len().min(limit)];
    let started = Instant::now();
    let headers: Vec<Header<'_>> = parts
        .headers
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect();
    let request = HttpRequest {
        client_ip,
        method: parts.method.as_str(),
        uri_path: parts.uri.path(),
        query_string: parts.uri.query().unwrap_or(""),
        http_version: crate::logging::protocol_text(parts.version),
        headers: &headers,
        body: inspected,
        body_size: body_size.max(body.prefix().len() as u64),
        now_ms: epoch_ms,
    };
    let key = Arc::as_ptr(&waf.acl) as usize;
    let verdict = SCRATCH.with(|cell| {
        let mut scratches = cell.borrow_mut();
        let scratch = scratches.entry(key).or_insert_with(|| waf.acl.scratch());
        let decision = waf.acl.evaluate(&request, scratch);
        if let Some(logging) = &waf.log {
            write_log(waf, logging, &decision, &request, request_id);
        }
        verdict_of(&decision)
    });
    let status = match &verdict {
        Verdict::Pass(_) => 200,
        Verdict::Block => 403,
        Verdict::Custom { status, .. } => *status,
        Verdict::Puzzle(action) => action.response_status().unwrap_or(403),
    };
    let facts = WafFacts {
        arn: Arc::clone(&waf.arn),
        blocked: !matches!(verdict, Verdict::Pass(_)),
        latency_ms: crate::pipeline::duration_ms(started.elapsed()),
        status,
    };
    Ok((verdict, facts))
}

fn header_pair(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_bytes(name.as_bytes()).ok()?,
        HeaderValue::from_str(value).ok()?,
    ))
}

fn verdict_of(decision: &Decision<'_>) -> Verdict {
    match decision.action() {
        Action::Allow | Action::Count => Verdict::Pass(
            decision
                .insert_headers()
                .filter_map(|(name, value)| header_pair(name, value))
                .collect(),
        ),
        Action::Block => match decision.custom_response() {
            None => Verdict::Block,
            Some(custom) => Verdict::Custom {
                status: custom.status,
                headers: custom
                    .headers
                    .iter()
                    .filter_map(|(name, value)| header_pair(name, value))
                    .collect(),
                body: custom
                    .body
                    .map(|text| (custom.content_type.map_or("text/plain", |t| t.mime()), text.to_owned())),
            },
        },
        action @ (Action::Captcha | Action::Challenge) => Verdict::Puzzle(action),
    }
}

/// One rule match's details with the matched tokens as text, for the borrowed log record to point into.
struct OwnedDetail {
    condition_type: &'static str,
    sensitivity_level: Option<&'static str>,
    location: &'static str,
    tokens: Vec<String>,
}

/// A matching rule with its details owned.
struct OwnedRule<'s> {
    rule_id: &'s str,
    action: &'static str,
    overridden: Option<&'static str>,
    details: Vec<OwnedDetail>,
}

impl<'s> OwnedRule<'s> {
    fn of(m: &RuleMatch<'s>) -> OwnedRule<'s> {
        OwnedRule {
            rule_id: m.rule_id,
            action: m.action.as_str(),
            overridden: m.overridden_action.map(Action::as_str),
            details: owned_details(m.match_details()),
        }
    }

    /// The group-rule shape of the log record, with `details` the views of `self.details`.
    fn group_rule<'a>(&'a self, details: &'a [MatchDetail<'a>]) -> GroupRule<'a> {
        GroupRule {
            rule_id: self.rule_id,
            action: self.action,
            overridden_action: self.overridden,
            match_details: details,
        }
    }
}

fn owned_details<'s>(details: impl Iterator<Item = moat_waf::eval::MatchDetail<'s>>) -> Vec<OwnedDetail> {
    details
        .map(|d| OwnedDetail {
            condition_type: d.condition_type,
            sensitivity_level: d.sensitivity_level,
            location: d.location,
            tokens: d
                .matched_data()
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect(),
        })
        .collect()
}

/// The log record's views of owned details.
fn views(owned: &[OwnedDetail]) -> Vec<MatchDetail<'_>> {
    owned
        .iter()
        .map(|d| MatchDetail {
            condition_type: d.condition_type,
            sensitivity_level: d.sensitivity_level,
            location: d.location,
            matched_data: &d.tokens,
        })
        .collect()
}

/// Renders the decision as an AWS WAF log record into the stage's WAF log (on the request path: the record
/// borrows the evaluation scratch, which the next request reuses).
fn write_log(waf: &StageWaf, logging: &WafLogging, decision: &Decision<'_>, req: &HttpRequest<'_>, request_id: &str) {
    let Some(sink) = &logging.sink else { return };
    let terminating = decision.terminating_rule();
    let term_details = terminating
        .as_ref()
        .map(|t| owned_details(t.match_details()))
        .unwrap_or_default();
    let term_views = views(&term_details);

    // Owned rules first, then their detail views, then the records that borrow both.
    let groups: Vec<_> = decision.rule_group_list().collect();
    let group_terms: Vec<Option<OwnedRule<'_>>> = groups
        .iter()
        .map(|g| g.terminating_rule().as_ref().map(OwnedRule::of))
        .collect();
    let group_counts: Vec<Vec<OwnedRule<'_>>> = groups
        .iter()
        .map(|g| g.non_terminating_matching_rules().map(|m| OwnedRule::of(&m)).collect())
        .collect();
    let group_excluded: Vec<Vec<&str>> = groups
        .iter()
        .map(|g| g.excluded_rules().map(|m| m.rule_id).collect())
        .collect();
    let term_group_views: Vec<Vec<MatchDetail<'_>>> = group_terms
        .iter()
        .map(|rule| rule.as_ref().map_or_else(Vec::new, |r| views(&r.details)))
        .collect();
    let count_views: Vec<Vec<Vec<MatchDetail<'_>>>> = group_counts
        .iter()
        .map(|rules| rules.iter().map(|r| views(&r.details)).collect())
        .collect();
    let count_rules: Vec<Vec<GroupRule<'_>>> = group_counts
        .iter()
        .zip(&count_views)
        .map(|(rules, views)| rules.iter().zip(views).map(|(r, v)| r.group_rule(v)).collect())
        .collect();
    let rule_group_list: Vec<RuleGroupEntry<'_>> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| RuleGroupEntry {
            rule_group_id: g.rule_group_id,
            terminating_rule: group_terms[i].as_ref().map(|r| r.group_rule(&term_group_views[i])),
            non_terminating_matching_rules: &count_rules[i],
            excluded_rules: &group_excluded[i],
        })
        .collect();

    let top: Vec<OwnedRule<'_>> = decision
        .non_terminating_matching_rules()
        .map(|m| OwnedRule::of(&m))
        .collect();
    let top_views: Vec<Vec<MatchDetail<'_>>> = top.iter().map(|r| views(&r.details)).collect();
    let non_terminating: Vec<NonTerminatingRule<'_>> = top
        .iter()
        .zip(&top_views)
        .map(|(r, views)| NonTerminatingRule {
            rule_id: r.rule_id,
            action: r.action,
            rule_match_details: views,
        })
        .collect();

    let client_ip = req.client_ip.to_string();
    let rate: Vec<RateBasedEntry<'_>> = decision
        .rate_based_rule_list()
        .map(|r| RateBasedEntry {
            rate_based_rule_id: r.rate_based_rule_name,
            rate_based_rule_name: r.rate_based_rule_name,
            limit_key: r.limit_key,
            max_rate_allowed: r.max_rate_allowed,
            evaluation_window_sec: u64::from(r.evaluation_window_sec),
            limit_value: (r.limit_key == "IP").then_some(client_ip.as_str()),
            custom_values: &[],
        })
        .collect();
    let inserted: Vec<(&str, &str)> = if decision.action() == Action::Block {
        Vec::new()
    } else {
        decision.insert_headers().collect()
    };
    let header_text: Vec<(&str, std::borrow::Cow<'_, str>)> = req
        .headers
        .iter()
        .map(|h| (h.name, String::from_utf8_lossy(h.value)))
        .collect();
    let headers: Vec<(&str, &str)> = header_text.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    let labels: Vec<&str> = decision.labels().collect();
    let record = WafLogRecord {
        timestamp_ms: req.now_ms,
        webacl_id: &waf.arn,
        terminating_rule_id: decision.terminating_rule_id(),
        terminating_rule_type: terminating.as_ref().map_or("REGULAR", |t| t.rule_type.as_str()),
        action: decision.action().as_str(),
        terminating_rule_match_details: &term_views,
        http_source_id: &waf.http_source_id,
        rule_group_list: &rule_group_list,
        rate_based_rule_list: &rate,
        non_terminating_matching_rules: &non_terminating,
        request_headers_inserted: &inserted,
        response_code_sent: decision.custom_response().map(|c| c.status),
        http_request: HttpRequestLog {
            client_ip: &client_ip,
            country: "-",
            headers: &headers,
            uri: req.uri_path,
            args: req.query_string,
            http_version: req.http_version,
            http_method: req.method,
            request_id,
        },
        labels: &labels,
    };
    let redacted: Vec<&str> = logging.redacted_headers.iter().map(String::as_str).collect();
    let redaction = Redaction {
        headers: &redacted,
        query_string: logging.redact_query_string,
        uri_path: logging.redact_uri_path,
        method: logging.redact_method,
    };
    sink.write_with(|out| record.render(&redaction, out));
}
