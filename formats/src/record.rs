//! The facts about one finished request that the log phase reads: access-log `$context` variables and
//! execution-log lines are rendered from a [`RequestRecord`], so every sink sees the same values.

/// The kind of API, which decides the `$context` variables and gateway-response defaults that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// An API Gateway REST API (served under `/{stage}`, execution logs, 403 on no route).
    Rest,
    /// An API Gateway HTTP API (`$default` stage, access logs only, 404 on no route).
    Http,
}

impl ApiType {
    /// The name used in config files and messages: `rest` or `http`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ApiType::Rest => "rest",
            ApiType::Http => "http",
        }
    }
}

/// What the integration did, when one was called.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntegrationRecord<'a> {
    /// HTTP status the integration answered with; `None` when it never answered (timeout, refused).
    pub status: Option<u16>,
    /// Milliseconds from sending the integration request to its response head.
    pub latency_ms: u64,
    /// Why the integration failed (`$context.integration.error`), if it did.
    pub error: Option<&'a str>,
    /// The request id the integration returned (`x-amzn-RequestId` of the response), if any.
    pub request_id: Option<&'a str>,
}

/// The gateway error of a request that ended in a gateway response.
#[derive(Debug, Clone, Copy)]
pub struct ErrorRecord<'a> {
    /// `$context.error.message`, e.g. `Missing Authentication Token`.
    pub message: &'a str,
    /// `$context.error.responseType`, e.g. `MISSING_AUTHENTICATION_TOKEN`.
    pub response_type: &'a str,
    /// `$context.error.validationErrorString`: the detailed request-validation message, when request
    /// validation failed.
    pub validation_error: Option<&'a str>,
}

/// What the stage's WebACL decided, when the stage has one.
#[derive(Debug, Clone, Copy)]
pub struct WafRecord<'a> {
    /// `$context.webaclArn`: the ARN (or Moat name) of the WebACL that decided.
    pub web_acl_arn: &'a str,
    /// `$context.wafResponseCode`: `WAF_ALLOW` or `WAF_BLOCK`.
    pub response_code: &'a str,
    /// `$context.waf.latency`: milliseconds spent evaluating the WebACL.
    pub latency_ms: u64,
    /// `$context.waf.status`: the status the WAF decided on: 200 when it let the request through, else the
    /// status of its answer (403, a custom response's code, 405 for CAPTCHA, 202 for Challenge).
    pub status: u16,
}

/// One request as the log phase sees it. Borrowed, so building it costs nothing on the request path.
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    /// REST or HTTP API; `None` when no API matched the host and path.
    pub api_type: Option<ApiType>,
    /// `$context.accountId`.
    pub account_id: &'a str,
    /// `$context.apiId`; empty when no API matched.
    pub api_id: &'a str,
    /// `$context.stage`; empty when no stage matched.
    pub stage: &'a str,
    /// `$context.requestId` (a UUID).
    pub request_id: &'a str,
    /// `$context.extendedRequestId` (`x-amz-apigw-id`).
    pub extended_request_id: &'a str,
    /// `$context.domainName`: the Host the client used, without port.
    pub domain_name: &'a str,
    /// `$context.domainPrefix`: the first label of the domain name.
    pub domain_prefix: &'a str,
    /// `$context.identity.sourceIp`.
    pub source_ip: &'a str,
    /// `$context.identity.userAgent`.
    pub user_agent: Option<&'a str>,
    /// `$context.httpMethod`.
    pub http_method: &'a str,
    /// `$context.path`: the request path as the client sent it, without the query string.
    pub path: &'a str,
    /// `$context.resourcePath` (`/products/{id}`), when a route matched.
    pub resource_path: Option<&'a str>,
    /// `$context.routeKey` (`GET /products/{id}`, `$default`), when a route matched.
    pub route_key: Option<&'a str>,
    /// `$context.resourceId`, when a route matched.
    pub resource_id: Option<&'a str>,
    /// `$context.protocol`: `HTTP/1.1` or `HTTP/2.0`.
    pub protocol: &'a str,
    /// `$context.status`: the status sent to the client.
    pub status: u16,
    /// `$context.responseLength`: response body bytes sent to the client.
    pub response_length: u64,
    /// Request body bytes received from the client; `$context.dataProcessed` is this plus
    /// `response_length`.
    pub request_length: u64,
    /// `$context.requestTimeEpoch`: milliseconds since the Unix epoch when the request arrived.
    pub request_time_epoch_ms: u64,
    /// `$context.responseLatency`: milliseconds from request arrival to the end of the response.
    pub response_latency_ms: u64,
    /// The integration call, if one was made.
    pub integration: Option<IntegrationRecord<'a>>,
    /// The gateway error, if the response is a gateway response.
    pub error: Option<ErrorRecord<'a>>,
    /// The WebACL decision, if the stage has a WebACL.
    pub waf: Option<WafRecord<'a>>,
    /// `$context.xrayTraceId`: the `Root=...` trace id of the request.
    pub xray_trace_id: &'a str,
    /// `$context.isCanaryRequest`: whether the canary served this request.
    pub is_canary: bool,
    /// `$context.customDomain.basePathMatched`, when the request came through a custom domain mapping.
    pub base_path_matched: Option<&'a str>,
}
