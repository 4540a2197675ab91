//! The request path: one driver ([`handle`]) runs API Gateway's phases in order and always ends in the log
//! phase.
//!
//! ```text
//! accept (server) -> limits -> route (host, base path, stage, route key) -> canary split
//!   -> integrate (http_proxy | mock) -> respond (gateway responses on failure) -> log (when the body ends)
//! ```
//! Each phase either hands on to the next or ends the request with a gateway response; the log phase runs
//! from [`crate::body::GatewayBody`] once the last byte has been sent, so `$context.responseLength` and
//! `$context.responseLatency` are true values even for streamed bodies.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response, Version};
use moat_formats::record::ApiType;

use crate::body::{BodyLimitError, ClientBody, GatewayBody, LimitedBody, PrefixedBody};
use crate::gateway_response::{GatewayResponses, ResponseType};
use crate::ids::TraceHeader;
use crate::integration::deadline::Deadlines;
use crate::integration::h1::{self, FieldParts};
use crate::integration::upstream::UpstreamPool;
use crate::integration::{HttpProxy, Integration, Mock};
use crate::logging::{ExecTrace, PendingLog, RouteFacts, TRACEPARENT, X_AMZN_TRACE_ID};
use crate::runtime::{Gateway, Stage};
use crate::waf::{self, Verdict};
use moat_telemetry::xray::sampling::SamplingRequest;

/// What one worker thread shares between its connections.
pub struct Worker {
    /// The running configuration.
    pub gateway: Arc<Gateway>,
    /// Pooled keep-alive connections to integrations.
    pub upstream: Arc<UpstreamPool>,
    /// Integration-call deadlines, swept by one task per worker.
    pub deadlines: Arc<Deadlines>,
}

/// Per-connection facts and activity tracking for the idle timeout.
pub struct ConnInfo {
    /// The client's socket address.
    pub peer: SocketAddr,
    /// The client's IP address as text, formatted once per connection.
    pub peer_text: String,
    /// The local port, as the `X-Forwarded-Port` value (built once per connection).
    pub local_port_header: HeaderValue,
    /// Whether the connection is TLS (`X-Forwarded-Proto`).
    pub tls: bool,
    /// Requests in flight on this connection.
    pub in_flight: AtomicUsize,
    /// Milliseconds since the Unix epoch of the last request start or end.
    pub last_active_ms: AtomicU64,
    /// When the first byte of a request head not yet dispatched arrived (0: none pending); see
    /// [`crate::conn_watch`].
    pub head_started_ms: AtomicU64,
    /// Set to end the connection once no request is in progress (drain, idle timeout); the server
    /// finishes the request in flight and answers it with `Connection: close`.
    pub closing: AtomicBool,
}

impl ConnInfo {
    /// A new connection.
    #[must_use]
    pub fn new(peer: SocketAddr, local_port: u16, tls: bool) -> ConnInfo {
        ConnInfo {
            peer,
            peer_text: peer.ip().to_string(),
            local_port_header: HeaderValue::from(local_port),
            tls,
            in_flight: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(now_ms()),
            // A new connection owes its first request head within the header timeout.
            head_started_ms: AtomicU64::new(now_ms()),
            closing: AtomicBool::new(false),
        }
    }

    /// Marks a request as finished at `now_ms` (milliseconds since the epoch).
    pub fn request_done(&self, now_ms: u64) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.last_active_ms.store(now_ms, Ordering::Relaxed);
    }
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

static DEFAULT_RESPONSES: std::sync::LazyLock<GatewayResponses> = std::sync::LazyLock::new(GatewayResponses::default);

const X_AMZN_ERRORTYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Where a request goes: the stage, and how much of the path selected it.
struct Target {
    stage: Arc<Stage>,
    /// Byte offset in the path where the stage-relative path starts.
    offset: usize,
    /// The base path mapping that matched, for `$context.customDomain.basePathMatched`.
    base_path: Option<String>,
}

/// Serves one request through every phase.
///
/// # Errors
/// Never: every failure becomes a gateway response.
pub async fn handle(
    worker: Arc<Worker>,
    conn: Arc<ConnInfo>,
    req: Request<ClientBody>,
) -> Result<Response<GatewayBody>, Infallible> {
    let arrived = Instant::now();
    let epoch_ms = now_ms();
    conn.in_flight.fetch_add(1, Ordering::Relaxed);
    conn.head_started_ms.store(0, Ordering::Relaxed);
    let gateway = &*worker.gateway;
    let trace = TraceHeader::from_headers(
        req.headers().get(&X_AMZN_TRACE_ID).map(HeaderValue::as_bytes),
        req.headers().get(&TRACEPARENT).map(HeaderValue::as_bytes),
        epoch_ms / 1000,
    );
    // An HTTP/1.1 request without Host is refused (RFC 9112 section 3.2: "MUST respond with a 400"), so
    // no API is chosen from a guess. (Content-Length together with Transfer-Encoding is handled by the
    // servers: the chunked framing wins and the connection is closed after the response.)
    let missing_host = req.version() == Version::HTTP_11 && !req.headers().contains_key(header::HOST);
    let source_ip = client_ip(conn.peer.ip(), req.headers(), gateway);
    let host = request_host(&req);
    let target = resolve(gateway, host.as_ref(), req.uri().path());
    let mut log = Box::new(PendingLog::new(
        &conn,
        &req,
        source_ip,
        host,
        trace,
        (arrived, epoch_ms),
    ));
    if missing_host {
        let mut response = gateway_response(ResponseType::Default4xx, &DEFAULT_RESPONSES, log, ApiType::Rest);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Ok(response);
    }

    let Some(target) = target else {
        let (kind, api_type) = if gateway.apis.iter().any(|a| a.api_type == ApiType::Rest) {
            (ResponseType::MissingAuthenticationToken, ApiType::Rest)
        } else {
            (ResponseType::ResourceNotFound, ApiType::Http)
        };
        return Ok(gateway_response(kind, &DEFAULT_RESPONSES, log, api_type));
    };
    log.set_stage(Arc::clone(&target.stage), target.base_path.clone());
    let stage = &*target.stage;
    // A stage with tracing on settles the sampling decision the caller left open (X-Ray's model: the
    // first traced hop decides), before the header is forwarded.
    if let Some(tracing) = &stage.logging.tracing {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map_or("", strip_port);
        let request = SamplingRequest {
            host,
            method: req.method().as_str(),
            url_path: req.uri().path(),
            service_name: &tracing.service_name,
            service_type: "AWS::ApiGateway::Stage",
            resource_arn: &tracing.arn,
        };
        log.trace
            .decide_with(|| tracing.sampler.decide(&request, epoch_ms / 1000).0.sampled());
    }

    // Limits that can be judged from the head alone.
    if head_bytes(&req) > gateway.limits.max_header_bytes {
        return Ok(stage_error(stage, ResponseType::RequestHeaderFieldsTooLarge, log));
    }
    if let Some(length) = content_length(req.headers()) {
        if length > gateway.limits.max_body_bytes {
            return Ok(stage_error(stage, ResponseType::RequestTooLarge, log));
        }
    }

    let limits = &gateway.limits;
    let (mut parts, body) = req.into_parts();
    let mut body = PrefixedBody::new(LimitedBody::new(body, limits.max_body_bytes, limits.body_read_timeout));

    // WAF: every request of the stage, matched route or not, as AWS WAF sees requests before API Gateway.
    if let Some(waf) = &stage.waf {
        match waf::inspect(waf, &parts, &mut body, source_ip, log.request_id.as_str(), epoch_ms).await {
            Err(error) => return Ok(stage_error(stage, body_error_response(error), log)),
            Ok((verdict, facts)) => {
                log.waf = Some(facts);
                match verdict {
                    Verdict::Pass(insert) => {
                        for (name, value) in insert {
                            parts.headers.append(name, value);
                        }
                    }
                    Verdict::Block => return Ok(stage_error(stage, ResponseType::WafFiltered, log)),
                    Verdict::Custom { status, headers, body } => {
                        return Ok(waf_custom_response(stage, status, headers, body, log));
                    }
                    Verdict::Puzzle(action) => return Ok(waf_puzzle_response(stage, action, log)),
                }
            }
        }
    }

    // Canary split.
    let canary = stage.canary.as_ref().filter(|c| c.selects(fastrand::u64(..)));
    log.is_canary = canary.is_some();
    let variant = canary.map_or(&stage.main, |c| &c.variant);

    // Route.
    let path = parts.uri.path();
    let relative = if target.offset >= path.len() {
        "/"
    } else {
        &path[target.offset..]
    };
    let Some(found) = variant.routes.find(&parts.method, relative) else {
        let kind = match stage.api_type {
            ApiType::Rest => ResponseType::MissingAuthenticationToken,
            ApiType::Http => ResponseType::ResourceNotFound,
        };
        return Ok(stage_error(stage, kind, log));
    };
    let route = variant.routes.value(found.route);
    log.route = Some(RouteFacts::new(route));
    let mut exec = stage.logging.execution_trace(log.request_id.as_str());
    if let Some(exec) = exec.as_mut() {
        exec.start(
            &log,
            &stage.api_id,
            &stage.name,
            route,
            relative,
            found.params,
            parts.uri.query(),
        );
    }

    match &route.integration {
        Integration::Mock(mock) => Ok(mock_response(stage, mock, log, exec)),
        Integration::HttpProxy(proxy) => {
            let param = |i: usize| found.params.get(relative, i);
            let mut target_path = String::with_capacity(relative.len() + 32);
            proxy.write_path_and_query(param, parts.uri.query(), &mut target_path);
            let request = ProxiedRequest {
                parts: &parts,
                body,
                target_path,
            };
            Ok(proxy_request(&worker, &conn, stage, proxy, request, log, exec).await)
        }
    }
}

/// The gateway response for a request body that failed while being read.
fn body_error_response(error: BodyLimitError) -> ResponseType {
    match error {
        BodyLimitError::TooLarge(_) => ResponseType::RequestTooLarge,
        BodyLimitError::TooSlow(_) => ResponseType::RequestTimeout,
        BodyLimitError::Client => ResponseType::BadRequestBody,
    }
}

/// A WebACL rule's `CustomResponse`.
fn waf_custom_response(
    stage: &Stage,
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(&'static str, String)>,
    log: Box<PendingLog>,
) -> Response<GatewayBody> {
    let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::FORBIDDEN);
    let mut map = HeaderMap::new();
    let content = body.map(|(content_type, text)| {
        map.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Bytes::from(text)
    });
    for (name, value) in headers {
        map.append(name, value);
    }
    fixed_response(status, map, content.unwrap_or_default(), log, stage.api_type)
}

/// CAPTCHA and Challenge, answered as AWS WAF answers a request without a valid token (the status and the
/// `x-amzn-waf-action` value come from the action).
fn waf_puzzle_response(stage: &Stage, action: moat_waf::Action, log: Box<PendingLog>) -> Response<GatewayBody> {
    let status = action
        .response_status()
        .and_then(|s| http::StatusCode::from_u16(s).ok())
        .unwrap_or(http::StatusCode::FORBIDDEN);
    let mut map = HeaderMap::new();
    if let Some(name) = action.waf_action_header() {
        map.insert(
            HeaderName::from_static("x-amzn-waf-action"),
            HeaderValue::from_static(name),
        );
    }
    map.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let message = match action {
        moat_waf::Action::Captcha => "CAPTCHA required",
        _ => "Challenge required",
    };
    let body = Bytes::from(format!("{{\"message\":\"{message}\"}}"));
    fixed_response(status, map, body, log, stage.api_type)
}

/// A response Moat answers itself (mock, gateway response, WAF answer): `status`, `headers` plus the id
/// headers, `body`; the log phase runs when the body has been sent.
fn fixed_response(
    status: http::StatusCode,
    headers: HeaderMap,
    body: Bytes,
    mut log: Box<PendingLog>,
    api_type: ApiType,
) -> Response<GatewayBody> {
    log.status = status.as_u16();
    log.response_api_type = api_type;
    let mut response = Response::new(GatewayBody::full(body, Some(log)));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn request_host<B>(req: &Request<B>) -> Option<HeaderValue> {
    if let Some(host) = req.headers().get(header::HOST) {
        return Some(host.clone());
    }
    req.uri()
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
}

/// A `Host` value without its port (`[::1]:8080` -> `[::1]`, `api.example.com:443` -> `api.example.com`).
pub(crate) fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    }
}

/// Host without port, lower-cased only when needed.
fn host_name(host: &str) -> std::borrow::Cow<'_, str> {
    let name = strip_port(host);
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Host and base path mapping, then the default endpoint: `/{stage}/...`, or an HTTP API's `$default`
/// stage. An API whose id is the host's first label is preferred, as on `{api-id}.execute-api...`.
fn resolve(gateway: &Gateway, host: Option<&HeaderValue>, path: &str) -> Option<Target> {
    let host = host.and_then(|h| h.to_str().ok()).map(host_name);
    if let Some(domain) = host.as_deref().and_then(|h| gateway.domains.get(h)) {
        for mapping in &domain.mappings {
            if mapping.base_path.is_empty() {
                return Some(Target {
                    stage: Arc::clone(&mapping.stage),
                    offset: 0,
                    base_path: None,
                });
            }
            let rest = &path[1.min(path.len())..];
            if let Some(after) = rest.strip_prefix(mapping.base_path.as_str()) {
                if after.is_empty() || after.starts_with('/') {
                    return Some(Target {
                        stage: Arc::clone(&mapping.stage),
                        offset: 1 + mapping.base_path.len(),
                        base_path: Some(mapping.base_path.clone()),
                    });
                }
            }
        }
        return None;
    }
    let first_label = host.as_deref().and_then(|h| h.split('.').next()).unwrap_or("");
    let first_segment = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let preferred = gateway.apis.iter().filter(|a| &*a.id == first_label);
    let others = gateway.apis.iter().filter(|a| &*a.id != first_label);
    for api in preferred.chain(others) {
        if let Some(stage) = api.stages.get(first_segment).filter(|s| &*s.name != "$default") {
            return Some(Target {
                stage: Arc::clone(stage),
                offset: 1 + first_segment.len(),
                base_path: None,
            });
        }
        if let Some(stage) = &api.default_stage {
            return Some(Target {
                stage: Arc::clone(stage),
                offset: 0,
                base_path: None,
            });
        }
    }
    None
}

/// `$context.identity.sourceIp`: the peer, unless it is a trusted proxy; then the right-most address in
/// `X-Forwarded-For` that is not a trusted proxy.
fn client_ip(peer: IpAddr, headers: &HeaderMap, gateway: &Gateway) -> IpAddr {
    let trusted = |ip: IpAddr| gateway.trusted_proxies.iter().any(|c| c.contains(ip));
    if gateway.trusted_proxies.is_empty() || !trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for value in headers.get_all(&X_FORWARDED_FOR).iter().rev() {
        let Ok(text) = value.to_str() else { return client };
        for item in text.rsplit(',') {
            match item.trim().parse::<IpAddr>() {
                Ok(ip) if trusted(ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => return client,
            }
        }
    }
    client
}

/// Request line plus headers, counted as on the wire.
fn head_bytes<B>(req: &Request<B>) -> usize {
    let line = req.method().as_str().len() + req.uri().path_and_query().map_or(1, |p| p.as_str().len()) + 12;
    req.headers()
        .iter()
        .fold(line, |sum, (name, value)| sum + name.as_str().len() + value.len() + 4)
}

/// The request's declared body length, when it has a valid `Content-Length`.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn stage_error(stage: &Stage, kind: ResponseType, log: Box<PendingLog>) -> Response<GatewayBody> {
    gateway_response(kind, &stage.gateway_responses, log, stage.api_type)
}

/// Ends the request with a gateway response of `kind`.
fn gateway_response(
    kind: ResponseType,
    responses: &GatewayResponses,
    mut log: Box<PendingLog>,
    api_type: ApiType,
) -> Response<GatewayBody> {
    let message = kind.default_message();
    let rendered = responses.render(kind, message, log.request_id.as_str());
    log.error = Some(kind);
    if let Some(exec) = log.exec.as_mut() {
        exec.gateway_response(kind, rendered.status.as_u16(), &rendered.body);
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(X_AMZN_ERRORTYPE, HeaderValue::from_static(error_type_header(kind)));
    for (name, value) in rendered.headers {
        headers.insert(name, value);
    }
    fixed_response(rendered.status, headers, rendered.body, log, api_type)
}

/// `x-amzn-ErrorType` as API Gateway sends it with gateway responses.
fn error_type_header(kind: ResponseType) -> &'static str {
    match kind {
        ResponseType::MissingAuthenticationToken => "MissingAuthenticationTokenException",
        ResponseType::ResourceNotFound => "NotFoundException",
        ResponseType::AccessDenied | ResponseType::WafFiltered => "ForbiddenException",
        ResponseType::Throttled => "TooManyRequestsException",
        ResponseType::RequestTooLarge => "RequestEntityTooLargeException",
        ResponseType::Unauthorized => "UnauthorizedException",
        ResponseType::IntegrationTimeout | ResponseType::IntegrationFailure => "InternalServerErrorException",
        _ => {
            if kind.default_status().is_server_error() {
                "InternalServerErrorException"
            } else {
                "BadRequestException"
            }
        }
    }
}

fn mock_response(
    stage: &Stage,
    mock: &Mock,
    mut log: Box<PendingLog>,
    mut exec: Option<ExecTrace>,
) -> Response<GatewayBody> {
    if let Some(exec) = exec.as_mut() {
        exec.mock_response(mock.status.as_u16(), &mock.headers, &mock.body);
    }
    log.exec = exec;
    fixed_response(
        mock.status,
        mock.headers.clone(),
        mock.body.clone(),
        log,
        stage.api_type,
    )
}

/// Whether a client's header field is left out of the forwarded request: hop-by-hop (RFC 9110 section
/// 7.6.1), listed in the client's `Connection`, or one that Moat sets itself.
fn is_replaced_on_forward(name: &HeaderName, connection_listed: &[&[u8]]) -> bool {
    let text = name.as_str();
    matches!(
        text,
        "host" | "x-forwarded-for" | "x-forwarded-proto" | "x-forwarded-port" | "x-amzn-trace-id" | "traceparent"
    ) || h1::is_hop_by_hop(text.as_bytes())
        || connection_listed
            .iter()
            .any(|listed| listed.eq_ignore_ascii_case(text.as_bytes()))
}

/// The client's request as the integration phase forwards it.
struct ProxiedRequest<'a> {
    parts: &'a http::request::Parts,
    body: PrefixedBody<LimitedBody>,
    /// The endpoint path and query, parameters substituted.
    target_path: String,
}

async fn proxy_request(
    worker: &Worker,
    conn: &ConnInfo,
    stage: &Stage,
    proxy: &HttpProxy,
    request: ProxiedRequest<'_>,
    mut log: Box<PendingLog>,
    mut exec: Option<ExecTrace>,
) -> Response<GatewayBody> {
    let ProxiedRequest {
        parts,
        body,
        target_path,
    } = request;
    // The forwarded head: the client's fields minus hop-by-hop ones (and any its `Connection` lists) and
    // minus those Moat sets, then Moat's. Written straight into the request head, never into a map.
    let listed: Vec<&[u8]> = parts
        .headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| h1::connection_listed(v.as_bytes()))
        .collect();
    let listed = &listed;
    let peer = conn.peer_text.as_bytes();
    let forwarded_for: [&[u8]; 3] = match parts.headers.get(&X_FORWARDED_FOR).map(HeaderValue::as_bytes) {
        Some(existing) if !existing.trim_ascii().is_empty() => [existing, b", ", peer],
        _ => [peer, b"", b""],
    };
    let proto: &[u8] = if conn.tls { b"https" } else { b"http" };
    let trace = log.trace.forwarded(stage.logging.tracing.is_some());
    let added: [FieldParts<'_>; 5] = [
        h1::field(b"host", proxy.host_header.as_bytes()),
        (b"x-forwarded-for", forwarded_for),
        h1::field(b"x-forwarded-proto", proto),
        h1::field(b"x-forwarded-port", conn.local_port_header.as_bytes()),
        h1::field(b"x-amzn-trace-id", trace.xray()),
    ];
    let traceparent = trace.traceparent().map(|value| h1::field(b"traceparent", value));
    let fields = || {
        parts
            .headers
            .iter()
            .filter(move |(name, _)| !is_replaced_on_forward(name, listed))
            .map(|(name, value)| h1::field(name.as_str().as_bytes(), value.as_bytes()))
            .chain(added.iter().copied())
            .chain(traceparent)
    };
    if let Some(exec) = exec.as_mut() {
        exec.endpoint_request(&parts.headers, &proxy.authority, &target_path, fields());
    }
    // The request head goes out microseconds after arrival, so arrival is the reference for both the
    // deadline and `$context.integrationLatency` (whole milliseconds): one clock read fewer per request.
    let arrived = log.arrived();
    if log.trace.sampled() && stage.logging.tracing.is_some() {
        // The integration subsegment's (and CLIENT span's) URL; only traced requests pay for it.
        log.integration_url = Some(format!("http://{}{}", proxy.authority, target_path));
    }
    let outcome = worker
        .deadlines
        .timeout_at(
            tokio::time::Instant::from_std(arrived + proxy.timeout),
            worker.upstream.send(
                proxy.endpoint,
                &proxy.authority,
                &parts.method,
                &target_path,
                fields,
                body,
            ),
        )
        .await;
    let latency_ms = duration_ms(arrived.elapsed());
    log.integration_latency_ms = Some(latency_ms);
    match outcome {
        Ok(Ok(response)) => {
            let (parts, body) = response.into_parts();
            log.status = parts.status.as_u16();
            log.integration_status = Some(parts.status.as_u16());
            if let Some(exec) = exec.as_mut() {
                exec.endpoint_response(parts.status.as_u16(), latency_ms, &parts.headers);
            }
            log.response_api_type = stage.api_type;
            log.exec = exec;
            Response::from_parts(parts, GatewayBody::upstream(body, Some(log)))
        }
        Ok(Err(error)) => {
            let kind = BodyLimitError::find(&error).map_or(ResponseType::IntegrationFailure, body_error_response);
            let reason = error_chain(&error);
            if let Some(exec) = exec.as_mut() {
                exec.integration_failed(&reason);
            }
            log.integration_error = Some(reason);
            stage_error(stage, kind, with_exec(log, exec))
        }
        Err(_elapsed) => {
            log.integration_error = Some("Endpoint request timed out".to_owned());
            if let Some(exec) = exec.as_mut() {
                exec.integration_timeout();
            }
            stage_error(stage, ResponseType::IntegrationTimeout, with_exec(log, exec))
        }
    }
}

fn with_exec(mut log: Box<PendingLog>, exec: Option<ExecTrace>) -> Box<PendingLog> {
    log.exec = exec;
    log
}

pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Whole milliseconds of a duration.
#[must_use]
pub fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
