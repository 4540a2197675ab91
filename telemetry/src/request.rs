//! [`FinishedRequest`]: the facts of one finished request that every trace and metric exporter builds
//! from (X-Ray segment, OTLP span, EMF and OTLP metrics). The gateway fills one per request on its
//! log path, off the request path; exporters never see the gateway's internal types.

use std::net::IpAddr;

/// The X-Ray trace context of a request: the ids in `X-Amzn-Trace-Id` (and W3C `traceparent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace id: 32-bit Unix epoch seconds then 96 random bits, as in `Root=1-{8 hex}-{24 hex}`;
    /// the same 128 bits are the W3C / OTLP trace id.
    pub trace_id: u128,
    /// The gateway's own segment (span) id: the `Parent` it sends to the integration.
    pub segment_id: u64,
    /// The caller's segment id, when the request carried one (`Parent=` or the `traceparent` parent).
    pub parent_id: Option<u64>,
    /// Whether this request is sampled (traced).
    pub sampled: bool,
}

/// The integration call of a request, when one was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationCall {
    /// `http_proxy`, `mock`, ...
    pub kind: &'static str,
    /// The URL called (after parameter and stage-variable substitution), when HTTP.
    pub url: Option<String>,
    /// The method sent to the integration.
    pub method: String,
    /// When the call started, microseconds since the Unix epoch.
    pub start_us: u64,
    /// When it ended, microseconds since the Unix epoch.
    pub end_us: u64,
    /// The status it answered, when it answered.
    pub status: Option<u16>,
    /// Why it failed (timeout, connection refused, ...), when it did.
    pub error: Option<String>,
    /// Whether it failed by timing out (API Gateway answers 504).
    pub timed_out: bool,
}

/// The WAF's decision on a request, when the stage has a web ACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WafOutcome {
    /// `ALLOW`, `BLOCK`, `COUNT`, `CAPTCHA`, `CHALLENGE`.
    pub action: String,
    /// The rule that ended evaluation, or `Default_Action`.
    pub terminating_rule_id: String,
    /// The web ACL's ARN or name.
    pub web_acl: String,
}

/// Everything the trace and metric exporters know about one finished request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinishedRequest {
    /// `$context.requestId`.
    pub request_id: String,
    /// `$context.extendedRequestId`.
    pub extended_request_id: String,
    /// The API's id (`$context.apiId`).
    pub api_id: String,
    /// The API's name (the `ApiName` metric dimension).
    pub api_name: String,
    /// `rest` or `http`.
    pub api_type: &'static str,
    /// The stage name (`$default` for an HTTP API's default stage).
    pub stage: String,
    /// Whether the stage's canary served the request.
    pub is_canary: bool,
    /// The route key (`GET /pets/{id}`) or, for REST APIs, the resource path (`/pets/{id}`); `None`
    /// when no route matched.
    pub resource: Option<String>,
    /// The request method.
    pub method: String,
    /// The full request URL as the client sent it (`https://api.example.com/prod/pets/1?x=1`).
    pub url: String,
    /// The request's Host (or `:authority`).
    pub host: Option<String>,
    /// The client's address (`$context.identity.sourceIp`).
    pub client_ip: IpAddr,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub protocol: &'static str,
    /// The status sent to the client.
    pub status: u16,
    /// Response body bytes sent.
    pub response_length: u64,
    /// When the request arrived, microseconds since the Unix epoch.
    pub start_us: u64,
    /// When the response ended, microseconds since the Unix epoch.
    pub end_us: u64,
    /// The gateway response type when the gateway answered itself (`THROTTLED`, `WAF_FILTERED`, ...).
    pub error_type: Option<String>,
    /// The integration call, when one was made.
    pub integration: Option<IntegrationCall>,
    /// The WAF's decision, when the stage has a web ACL.
    pub waf: Option<WafOutcome>,
    /// The trace context.
    pub trace: TraceContext,
}

/// The part of a finished request that metrics aggregate, borrowed from wherever the caller keeps it.
/// Recording metrics needs no allocation; the gateway builds an owned [`FinishedRequest`] only for
/// requests whose spans or segments are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestMetrics<'a> {
    /// `rest` or `http`.
    pub api_type: &'static str,
    /// The API id.
    pub api_id: &'a str,
    /// The API name.
    pub api_name: &'a str,
    /// The stage name.
    pub stage: &'a str,
    /// Whether the canary served it.
    pub is_canary: bool,
    /// The HTTP method.
    pub method: &'a str,
    /// The matched resource path (REST) or route key (HTTP API); `None` when no route matched.
    pub resource: Option<&'a str>,
    /// The response status.
    pub status: u16,
    /// Microseconds from arrival to the end of the response.
    pub latency_us: u64,
    /// Microseconds the integration took, when one was called.
    pub integration_latency_us: Option<u64>,
}

impl FinishedRequest {
    /// The request's metrics facts, borrowed.
    #[must_use]
    pub fn metrics(&self) -> RequestMetrics<'_> {
        RequestMetrics {
            api_type: self.api_type,
            api_id: &self.api_id,
            api_name: &self.api_name,
            stage: &self.stage,
            is_canary: self.is_canary,
            method: &self.method,
            resource: self.resource.as_deref(),
            status: self.status,
            latency_us: self.end_us.saturating_sub(self.start_us),
            integration_latency_us: self.integration.as_ref().map(|c| c.end_us.saturating_sub(c.start_us)),
        }
    }

    /// Milliseconds from arrival to the end of the response (the `Latency` metric).
    #[must_use]
    pub fn latency_ms(&self) -> f64 {
        self.end_us.saturating_sub(self.start_us) as f64 / 1000.0
    }

    /// Milliseconds the integration took (the `IntegrationLatency` metric), when one was called.
    #[must_use]
    pub fn integration_latency_ms(&self) -> Option<f64> {
        self.integration
            .as_ref()
            .map(|call| call.end_us.saturating_sub(call.start_us) as f64 / 1000.0)
    }

    /// Whether the request was throttled (a 429 the gateway sent itself), for X-Ray's `throttle` flag.
    #[must_use]
    pub fn throttled(&self) -> bool {
        self.status == 429
    }
}
