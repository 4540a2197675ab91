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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{HeaderMap, Request, Response, Uri, Version};
use hyper::body::Incoming;
use moat_formats::record::ApiType;

use crate::body::{BodyLimitError, GatewayBody, LimitedBody};
use crate::gateway_response::{GatewayResponses, ResponseType};
use crate::ids::TraceHeader;
use crate::integration::deadline::Deadlines;
use crate::integration::upstream::UpstreamPool;
use crate::integration::{HttpProxy, Integration, Mock};
use crate::logging::{ExecTrace, PendingLog, RouteFacts};
use crate::runtime::{Gateway, Stage};

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

const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
const X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const X_AMZ_APIGW_ID: HeaderName = HeaderName::from_static("x-amz-apigw-id");
const APIGW_REQUESTID: HeaderName = HeaderName::from_static("apigw-requestid");
const X_AMZN_ERRORTYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");

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
    req: Request<Incoming>,
) -> Result<Response<GatewayBody>, Infallible> {
    let arrived = Instant::now();
    let epoch_ms = now_ms();
    conn.in_flight.fetch_add(1, Ordering::Relaxed);
    conn.head_started_ms.store(0, Ordering::Relaxed);
    let gateway = &*worker.gateway;
    let trace = TraceHeader::continue_or_start(
        req.headers().get(&X_AMZN_TRACE_ID).map(HeaderValue::as_bytes),
        epoch_ms / 1000,
    );
    // An HTTP/1.1 request without Host is refused (RFC 9112 section 3.2: "MUST respond with a 400"), so
    // no API is chosen from a guess. (Content-Length together with Transfer-Encoding is handled by hyper:
    // the chunked framing wins and the connection is closed after the response.)
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
        let kind = if gateway.apis.iter().any(|a| a.api_type == ApiType::Rest) {
            ResponseType::MissingAuthenticationToken
        } else {
            ResponseType::ResourceNotFound
        };
        return Ok(gateway_response(kind, &DEFAULT_RESPONSES, log, ApiType::Rest));
    };
    log.set_stage(Arc::clone(&target.stage), target.base_path.clone());
    let stage = &*target.stage;

    // Limits that can be judged from the head alone.
    if head_bytes(&req) > gateway.limits.max_header_bytes {
        return Ok(stage_error(stage, ResponseType::RequestHeaderFieldsTooLarge, log));
    }
    if let Some(length) = content_length(req.headers()) {
        if length > gateway.limits.max_body_bytes {
            return Ok(stage_error(stage, ResponseType::RequestTooLarge, log));
        }
    }

    // Canary split.
    let canary = stage.canary.as_ref().filter(|c| c.selects(fastrand::u64(..)));
    log.is_canary = canary.is_some();
    let variant = canary.map_or(&stage.main, |c| &c.variant);

    // Route.
    let path = req.uri().path();
    let relative = if target.offset >= path.len() {
        "/"
    } else {
        &path[target.offset..]
    };
    let Some(found) = variant.routes.find(req.method(), relative) else {
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
            req.uri().query(),
        );
    }

    match &route.integration {
        Integration::Mock(mock) => Ok(mock_response(stage, mock, log, exec)),
        Integration::HttpProxy(proxy) => {
            let param = |i: usize| found.params.get(relative, i);
            let mut target_path = String::with_capacity(relative.len() + 32);
            proxy.write_path_and_query(param, req.uri().query(), &mut target_path);
            Ok(proxy_request(&worker, &conn, stage, proxy, req, target_path, log, exec).await)
        }
    }
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
    log.status = rendered.status.as_u16();
    log.error = Some(kind);
    if let Some(exec) = log.exec.as_mut() {
        exec.gateway_response(kind, rendered.status.as_u16(), &rendered.body);
    }
    let mut response = Response::new(GatewayBody::full(Bytes::new(), None));
    *response.status_mut() = rendered.status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(X_AMZN_ERRORTYPE, HeaderValue::from_static(error_type_header(kind)));
    for (name, value) in rendered.headers {
        headers.insert(name, value);
    }
    add_id_headers(headers, &log, api_type);
    *response.body_mut() = GatewayBody::full(rendered.body, Some(log));
    response
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

fn add_id_headers(headers: &mut HeaderMap, log: &PendingLog, api_type: ApiType) {
    // One buffer for the three values; each header value is a view into it.
    let (id, extended, root) = (
        log.request_id.as_bytes(),
        log.extended_request_id.as_bytes(),
        log.trace.root_bytes(),
    );
    let mut joined = Vec::with_capacity(id.len() + extended.len() + root.len());
    joined.extend_from_slice(id);
    joined.extend_from_slice(extended);
    joined.extend_from_slice(root);
    let joined = Bytes::from(joined);
    let value = |start: usize, len: usize| HeaderValue::from_maybe_shared(joined.slice(start..start + len)).ok();
    if let Some(id_value) = value(0, id.len()) {
        if api_type == ApiType::Http {
            headers.insert(APIGW_REQUESTID, id_value.clone());
        }
        headers.insert(X_AMZN_REQUEST_ID, id_value);
    }
    if let Some(extended_value) = value(id.len(), extended.len()) {
        headers.insert(X_AMZ_APIGW_ID, extended_value);
    }
    if let Some(root_value) = value(id.len() + extended.len(), root.len()) {
        headers.insert(X_AMZN_TRACE_ID, root_value);
    }
}

fn mock_response(
    stage: &Stage,
    mock: &Mock,
    mut log: Box<PendingLog>,
    mut exec: Option<ExecTrace>,
) -> Response<GatewayBody> {
    log.status = mock.status.as_u16();
    if let Some(exec) = exec.as_mut() {
        exec.mock_response(mock.status.as_u16(), &mock.headers, &mock.body);
    }
    log.exec = exec;
    let mut response = Response::new(GatewayBody::full(Bytes::new(), None));
    *response.status_mut() = mock.status;
    *response.headers_mut() = mock.headers.clone();
    add_id_headers(response.headers_mut(), &log, stage.api_type);
    *response.body_mut() = GatewayBody::full(mock.body.clone(), Some(log));
    response
}

/// Hop-by-hop headers (RFC 9110 section 7.6.1) that a proxy must not forward.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers and those named in `Connection`. One pass over the names finds which are
/// present, so the common cases (none, or `Connection: keep-alive`) cost no allocation.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let mut present = 0u16;
    for name in headers.keys() {
        if let Some(index) = HOP_BY_HOP.iter().position(|hop| *hop == name.as_str()) {
            present |= 1 << index;
        }
    }
    if present == 0 {
        return;
    }
    // Other headers the client or endpoint declared hop-by-hop (`Connection: x-foo`); `close` and
    // `keep-alive` are connection options, not header names.
    let mut listed: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        for token in value.to_str().unwrap_or("").split(',').map(str::trim) {
            if token.is_empty() || token.eq_ignore_ascii_case("close") || token.eq_ignore_ascii_case("keep-alive") {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
                listed.push(name);
            }
        }
    }
    for (index, name) in HOP_BY_HOP.iter().enumerate() {
        if present & (1 << index) != 0 {
            headers.remove(*name);
        }
    }
    for name in listed {
        headers.remove(name);
    }
}

#[allow(clippy::too_many_arguments)]
async fn proxy_request(
    worker: &Worker,
    conn: &ConnInfo,
    stage: &Stage,
    proxy: &HttpProxy,
    req: Request<Incoming>,
    target_path: String,
    mut log: Box<PendingLog>,
    mut exec: Option<ExecTrace>,
) -> Response<GatewayBody> {
    let limits = &worker.gateway.limits;
    let (mut parts, body) = req.into_parts();
    let path_and_query =
        PathAndQuery::from_maybe_shared(Bytes::from(target_path)).unwrap_or_else(|_| PathAndQuery::from_static("/"));
    let mut uri_parts = http::uri::Parts::default();
    uri_parts.scheme = Some(http::uri::Scheme::HTTP);
    uri_parts.authority = Some(proxy.authority.clone());
    uri_parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(uri_parts) else {
        return stage_error(stage, ResponseType::ApiConfigurationError, with_exec(log, exec));
    };
    let client_headers = if exec.as_ref().is_some_and(ExecTrace::traces_data) {
        parts.headers.clone()
    } else {
        HeaderMap::new()
    };
    let headers = &mut parts.headers;
    strip_hop_by_hop(headers);
    headers.insert(header::HOST, proxy.host_header.clone());
    append_forwarded_for(headers, conn.peer_text.as_bytes());
    headers.insert(
        X_FORWARDED_PROTO,
        HeaderValue::from_static(if conn.tls { "https" } else { "http" }),
    );
    headers.insert(X_FORWARDED_PORT, conn.local_port_header.clone());
    if let Ok(value) = HeaderValue::from_bytes(log.trace.as_bytes()) {
        headers.insert(X_AMZN_TRACE_ID, value);
    }
    parts.uri = uri;
    parts.version = Version::HTTP_11;
    if let Some(exec) = exec.as_mut() {
        exec.endpoint_request(&client_headers, &parts.uri, &parts.headers);
    }
    let upstream_req = Request::from_parts(
        parts,
        LimitedBody::new(body, limits.max_body_bytes, limits.body_read_timeout),
    );
    // The request head goes out microseconds after arrival, so arrival is the reference for both the
    // deadline and `$context.integrationLatency` (whole milliseconds): one clock read fewer per request.
    let arrived = log.arrived();
    let outcome = worker
        .deadlines
        .timeout_at(
            tokio::time::Instant::from_std(arrived + proxy.timeout),
            worker.upstream.send(proxy.endpoint, &proxy.authority, upstream_req),
        )
        .await;
    let latency_ms = duration_ms(arrived.elapsed());
    log.integration_latency_ms = Some(latency_ms);
    match outcome {
        Ok(Ok(response)) => {
            let (mut parts, body) = response.into_parts();
            log.status = parts.status.as_u16();
            log.integration_status = Some(parts.status.as_u16());
            if let Some(exec) = exec.as_mut() {
                exec.endpoint_response(parts.status.as_u16(), latency_ms, &parts.headers);
            }
            strip_hop_by_hop(&mut parts.headers);
            add_id_headers(&mut parts.headers, &log, stage.api_type);
            log.exec = exec;
            Response::from_parts(parts, GatewayBody::upstream(body, Some(log)))
        }
        Ok(Err(error)) => {
            let kind = match BodyLimitError::find(&error) {
                Some(BodyLimitError::TooLarge(_)) => ResponseType::RequestTooLarge,
                Some(BodyLimitError::TooSlow(_)) => ResponseType::RequestTimeout,
                Some(BodyLimitError::Client) => ResponseType::BadRequestBody,
                None => ResponseType::IntegrationFailure,
            };
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

fn append_forwarded_for(headers: &mut HeaderMap, peer_text: &[u8]) {
    let value = match headers.get(&X_FORWARDED_FOR).map(HeaderValue::as_bytes) {
        Some(existing) if !existing.trim_ascii().is_empty() => {
            let mut joined = Vec::with_capacity(existing.len() + 2 + peer_text.len());
            joined.extend_from_slice(existing);
            joined.extend_from_slice(b", ");
            joined.extend_from_slice(peer_text);
            HeaderValue::from_maybe_shared(Bytes::from(joined))
        }
        _ => HeaderValue::from_bytes(peer_text),
    };
    if let Ok(value) = value {
        headers.insert(X_FORWARDED_FOR, value);
    }
}

/// Whole milliseconds of a duration.
#[must_use]
pub fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
