//! The X-Ray segment document of one sampled request, in the shape API Gateway writes for a stage
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-understanding-xray-traces.html>)
//! with the fields of the segment document reference
//! (<https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html>):
//!
//! - `name` `{api-name}/{stage}` (API Gateway's service name for a stage, "Sampling rule options":
//!   "Amazon API Gateway – `api-name/stage`"), `origin` `AWS::ApiGateway::Stage`, `resource_arn` the stage ARN;
//! - `http.request` (method, url, client_ip, user_agent, `x_forwarded_for` when the client address came
//!   from that header) and `http.response` (status, content_length);
//! - `aws.api_gateway` (account_id when configured, `rest_api_id` for REST APIs or `api_id` for HTTP APIs,
//!   stage, request_id) and `aws.xray.sampling_rule_name`;
//! - `annotations` `aws:api_id` and `aws:api_stage` as API Gateway writes them, plus Moat's
//!   `moat_canary` (bool) and `moat_waf_action` (when the stage has a web ACL);
//! - `metadata.default` {request_id, extended_request_id} as API Gateway writes it, plus `metadata.moat`
//!   {api_type, protocol, resource, error_type, waf {action, terminating_rule_id, web_acl}};
//! - `error` (4xx), `throttle` (429, with `error`), `fault` (5xx), written only when true;
//! - one `remote` subsegment for an HTTP integration call: named after the URL's host, with its method,
//!   URL, status, times, flags and, when it failed or timed out, a `cause` with one remote exception.
//!
//! Strings are cut to X-Ray's 250 characters (the name to 200, in X-Ray's character set). A document
//! over 64 KB loses its metadata; if it is still too large it is refused ([`SegmentError::TooLarge`]) for
//! the caller to count.

use serde::Serialize;

use crate::request::{FinishedRequest, IntegrationCall};
use crate::Record;

use super::MAX_DOCUMENT_BYTES;

/// The segment's `origin`.
pub const ORIGIN: &str = "AWS::ApiGateway::Stage";
/// Longest string value X-Ray keeps ("Values must be strings (up to 250 characters)").
const MAX_STRING_CHARS: usize = 250;
/// Longest segment name.
const MAX_NAME_CHARS: usize = 200;

/// What every segment of a gateway shares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentSettings {
    /// The region in the stage ARN (`us-east-1`).
    pub region: String,
    /// The account written as `aws.api_gateway.account_id`, when configured.
    pub account_id: Option<String>,
}

/// Facts about a request that [`FinishedRequest`] does not carry.
#[derive(Clone, Copy, Debug, Default)]
pub struct SegmentExtras<'a> {
    /// The sampling rule that sampled the request (`aws.xray.sampling_rule_name`).
    pub sampling_rule: Option<&'a str>,
    /// Whether `client_ip` was read from `X-Forwarded-For` (`http.request.x_forwarded_for`).
    pub client_ip_from_forwarded_for: bool,
}

/// Why no document was written.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// Even without metadata the document is over 64 KB.
    #[error("segment document of {bytes} bytes is over X-Ray's 64 KB")]
    TooLarge {
        /// Its size without metadata.
        bytes: usize,
    },
    /// Serialization failed (never expected: every field is a string, number or bool).
    #[error("segment document: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Serialize)]
struct Segment<'a> {
    name: String,
    id: String,
    trace_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    start_time: f64,
    end_time: f64,
    origin: &'static str,
    resource_arn: String,
    http: Http<'a>,
    aws: Aws<'a>,
    annotations: Annotations<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
    #[serde(flatten)]
    flags: Flags,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subsegments: Vec<Subsegment<'a>>,
}

#[derive(Serialize, Default)]
struct Flags {
    #[serde(skip_serializing_if = "is_false")]
    error: bool,
    #[serde(skip_serializing_if = "is_false")]
    throttle: bool,
    #[serde(skip_serializing_if = "is_false")]
    fault: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

impl Flags {
    fn from_status(status: u16) -> Flags {
        Flags {
            error: (400..500).contains(&status),
            throttle: status == 429,
            fault: status >= 500,
        }
    }
}

#[derive(Serialize)]
struct Http<'a> {
    request: HttpRequest<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<HttpResponse>,
}

#[derive(Serialize)]
struct HttpRequest<'a> {
    method: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    x_forwarded_for: bool,
}

#[derive(Serialize)]
struct HttpResponse {
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_length: Option<u64>,
}

#[derive(Serialize)]
struct Aws<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    xray: Option<XrayInfo<'a>>,
    api_gateway: ApiGatewayInfo<'a>,
}

#[derive(Serialize)]
struct XrayInfo<'a> {
    sampling_rule_name: &'a str,
}

#[derive(Serialize)]
struct ApiGatewayInfo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rest_api_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_id: Option<&'a str>,
    stage: &'a str,
    request_id: &'a str,
}

#[derive(Serialize)]
struct Annotations<'a> {
    #[serde(rename = "aws:api_id")]
    api_id: &'a str,
    #[serde(rename = "aws:api_stage")]
    api_stage: &'a str,
    moat_canary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    moat_waf_action: Option<&'a str>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    default: DefaultMetadata<'a>,
    moat: MoatMetadata<'a>,
}

#[derive(Serialize)]
struct DefaultMetadata<'a> {
    extended_request_id: &'a str,
    request_id: &'a str,
}

#[derive(Serialize)]
struct MoatMetadata<'a> {
    api_type: &'a str,
    protocol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waf: Option<WafMetadata<'a>>,
}

#[derive(Serialize)]
struct WafMetadata<'a> {
    action: &'a str,
    terminating_rule_id: &'a str,
    web_acl: &'a str,
}

#[derive(Serialize)]
struct Subsegment<'a> {
    id: String,
    name: String,
    start_time: f64,
    end_time: f64,
    namespace: &'static str,
    http: Http<'a>,
    #[serde(flatten)]
    flags: Flags,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<Cause<'a>>,
}

#[derive(Serialize)]
struct Cause<'a> {
    exceptions: [Exception<'a>; 1],
}

#[derive(Serialize)]
struct Exception<'a> {
    id: String,
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    remote: bool,
}

/// The segment document of `request` (which the caller sampled), as one JSON line.
///
/// # Errors
/// [`SegmentError::TooLarge`] when even the document without metadata is over 64 KB.
pub fn segment_document(
    request: &FinishedRequest,
    settings: &SegmentSettings,
    extras: &SegmentExtras<'_>,
) -> Result<String, SegmentError> {
    finish(build(request, settings, extras))
}

/// Serializes `segment`, without its metadata when it is over 64 KB with it.
fn finish(mut segment: Segment<'_>) -> Result<String, SegmentError> {
    let text = serde_json::to_string(&segment)?;
    if text.len() <= MAX_DOCUMENT_BYTES {
        return Ok(text);
    }
    segment.metadata = None;
    let text = serde_json::to_string(&segment)?;
    if text.len() <= MAX_DOCUMENT_BYTES {
        Ok(text)
    } else {
        Err(SegmentError::TooLarge { bytes: text.len() })
    }
}

/// [`segment_document`] as a [`Record`] stamped with the request's end, for an X-Ray sink.
///
/// # Errors
/// As [`segment_document`].
pub fn segment_record(
    request: &FinishedRequest,
    settings: &SegmentSettings,
    extras: &SegmentExtras<'_>,
) -> Result<Record, SegmentError> {
    let document = segment_document(request, settings, extras)?;
    Ok(Record::new((request.end_us / 1000) as i64, document))
}

/// `1-{8 hex}-{24 hex}`: the X-Ray form of a 128-bit trace id.
#[must_use]
pub fn xray_trace_id(trace_id: u128) -> String {
    format!("1-{:08x}-{:024x}", trace_id >> 96, trace_id & ((1 << 96) - 1))
}

/// The id of the integration subsegment, derived from the segment's id (SplitMix64) so the same
/// request always gets the same document.
#[must_use]
pub fn subsegment_id(segment_id: u64) -> u64 {
    let mut z = segment_id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stage ARN: `arn:{partition}:apigateway:{region}::/restapis/{api}/stages/{stage}` (`/apis/` for
/// HTTP APIs).
#[must_use]
pub fn stage_arn(region: &str, api_type: &str, api_id: &str, stage: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let apis = if api_type == "http" { "apis" } else { "restapis" };
    format!("arn:{partition}:apigateway:{region}::/{apis}/{api_id}/stages/{stage}")
}

fn build<'a>(request: &'a FinishedRequest, settings: &'a SegmentSettings, extras: &SegmentExtras<'a>) -> Segment<'a> {
    let is_rest = request.api_type != "http";
    let waf = request.waf.as_ref();
    Segment {
        name: segment_name(&format!("{}/{}", request.api_name, request.stage)),
        id: format!("{:016x}", request.trace.segment_id),
        trace_id: xray_trace_id(request.trace.trace_id),
        parent_id: request.trace.parent_id.map(|id| format!("{id:016x}")),
        start_time: seconds(request.start_us),
        end_time: seconds(request.end_us),
        origin: ORIGIN,
        resource_arn: stage_arn(&settings.region, request.api_type, &request.api_id, &request.stage),
        http: Http {
            request: HttpRequest {
                method: cap(&request.method),
                url: cap(&request.url),
                client_ip: Some(request.client_ip.to_string()),
                user_agent: request.user_agent.as_deref().map(cap),
                x_forwarded_for: extras.client_ip_from_forwarded_for,
            },
            response: Some(HttpResponse {
                status: request.status,
                content_length: Some(request.response_length),
            }),
        },
        aws: Aws {
            xray: extras.sampling_rule.map(|rule| XrayInfo {
                sampling_rule_name: cap(rule),
            }),
            api_gateway: ApiGatewayInfo {
                account_id: settings.account_id.as_deref().map(cap),
                rest_api_id: is_rest.then(|| cap(&request.api_id)),
                api_id: (!is_rest).then(|| cap(&request.api_id)),
                stage: cap(&request.stage),
                request_id: cap(&request.request_id),
            },
        },
        annotations: Annotations {
            api_id: cap(&request.api_id),
            api_stage: cap(&request.stage),
            moat_canary: request.is_canary,
            moat_waf_action: waf.map(|w| cap(&w.action)),
        },
        metadata: Some(Metadata {
            default: DefaultMetadata {
                extended_request_id: cap(&request.extended_request_id),
                request_id: cap(&request.request_id),
            },
            moat: MoatMetadata {
                api_type: request.api_type,
                protocol: request.protocol,
                resource: request.resource.as_deref().map(cap),
                error_type: request.error_type.as_deref().map(cap),
                waf: waf.map(|w| WafMetadata {
                    action: cap(&w.action),
                    terminating_rule_id: cap(&w.terminating_rule_id),
                    web_acl: cap(&w.web_acl),
                }),
            },
        }),
        flags: Flags::from_status(request.status),
        subsegments: request
            .integration
            .as_ref()
            .and_then(|call| integration_subsegment(call, request.trace.segment_id))
            .into_iter()
            .collect(),
    }
}

fn integration_subsegment(call: &IntegrationCall, segment_id: u64) -> Option<Subsegment<'_>> {
    let url = call.url.as_deref()?;
    let id = subsegment_id(segment_id);
    let flags = match call.status {
        Some(status) => Flags::from_status(status),
        None => Flags {
            fault: true,
            ..Flags::default()
        },
    };
    let cause = call.error.as_deref().map(|message| Cause {
        exceptions: [Exception {
            id: format!("{:016x}", subsegment_id(id)),
            message: cap(message),
            kind: if call.timed_out {
                "IntegrationTimeout"
            } else {
                "IntegrationError"
            },
            remote: true,
        }],
    });
    Some(Subsegment {
        id: format!("{id:016x}"),
        name: segment_name(url_host(url)),
        start_time: seconds(call.start_us),
        end_time: seconds(call.end_us),
        namespace: "remote",
        http: Http {
            request: HttpRequest {
                method: cap(&call.method),
                url: cap(url),
                client_ip: None,
                user_agent: None,
                x_forwarded_for: false,
            },
            response: call.status.map(|status| HttpResponse {
                status,
                content_length: None,
            }),
        },
        flags,
        cause,
    })
}

/// Epoch seconds with microseconds: the nearest `f64`, which prints as the exact 6-decimal value.
fn seconds(us: u64) -> f64 {
    us as f64 / 1_000_000.0
}

/// `s` cut to 250 characters.
fn cap(s: &str) -> &str {
    match s.char_indices().nth(MAX_STRING_CHARS) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// A segment name in X-Ray's character set (letters, numbers, whitespace and `_ . : / % & # = + \ - @`),
/// other characters replaced by `_`, at most 200 characters.
fn segment_name(name: &str) -> String {
    name.chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The host of an absolute URL, without user info or port (`https://u@h:8443/x` is `h`).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
