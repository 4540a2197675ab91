//! Building OTLP spans from a [`FinishedRequest`]: a SERVER span for the gateway and a CLIENT child
//! span for the integration call, with the X-Ray ids and the stable HTTP semantic-convention
//! attributes (semconv 1.26+, <https://opentelemetry.io/docs/specs/semconv/http/http-spans/>).

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, Status};

use crate::request::{FinishedRequest, IntegrationCall};

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK` of the OTLP trace proto.
const HAS_IS_REMOTE: u32 = 0x100;
/// `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK` of the OTLP trace proto.
const IS_REMOTE: u32 = 0x200;
/// The W3C `sampled` trace flag (only sampled requests become spans).
const SAMPLED: u32 = 0x01;

/// The instrumentation scope every Moat span and metric is reported under.
pub(crate) fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "moat".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        ..Default::default()
    }
}

/// The OTLP resource: `service.name`, `telemetry.sdk.*` and the configured extra attributes.
pub(crate) fn resource(service_name: &str, extra: &[(String, String)]) -> Resource {
    let mut attributes = vec![
        kv_str("service.name", service_name),
        kv_str("telemetry.sdk.name", "moat"),
        kv_str("telemetry.sdk.language", "rust"),
        kv_str("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
    ];
    for (key, value) in extra {
        if let Some(existing) = attributes.iter_mut().find(|kv| kv.key == *key) {
            // `service.name` from the configuration wins over OTEL_RESOURCE_ATTRIBUTES (as in the SDKs).
            if key != "service.name" {
                *existing = kv_str(key, value);
            }
        } else {
            attributes.push(kv_str(key, value));
        }
    }
    Resource {
        attributes,
        ..Default::default()
    }
}

/// The id of the CLIENT span of a request's integration call: derived from the gateway's segment id
/// (SplitMix64 finaliser), so it is stable, distinct from the SERVER span's id and never zero.
#[must_use]
pub fn integration_span_id(segment_id: u64) -> u64 {
    let mut z = segment_id.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    if z == 0 || z == segment_id {
        z ^ 0x5DEE_CE66_D000_0001
    } else {
        z
    }
}

/// Wraps a batch of spans in the resource and scope of one `ExportTraceServiceRequest`.
pub(crate) fn resource_spans(resource: Resource, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(resource),
        scope_spans: vec![ScopeSpans {
            scope: Some(scope()),
            spans,
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

/// Appends the spans of one request to `out`: the SERVER span, then the CLIENT span of its
/// integration call when one was made. Requests that are not sampled add nothing.
pub fn push_spans(request: &FinishedRequest, out: &mut Vec<Span>) {
    if !request.trace.sampled {
        return;
    }
    out.push(server_span(request));
    if let Some(call) = &request.integration {
        out.push(client_span(request, call));
    }
}

fn server_span(r: &FinishedRequest) -> Span {
    let uri = r.url.parse::<http::Uri>().ok();
    let route = r.resource.as_deref().and_then(http_route);
    let method = normalized_method(&r.method);
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    let mut a = Vec::with_capacity(24);
    a.push(kv_str("http.request.method", method));
    if method != r.method {
        a.push(kv_str("http.request.method_original", &r.method));
    }
    let scheme = uri.as_ref().and_then(|u| u.scheme_str()).unwrap_or("https");
    a.push(kv_str("url.scheme", scheme));
    let path = uri.as_ref().map_or(r.url.as_str(), |u| u.path());
    a.push(kv_str("url.path", path));
    if let Some(query) = uri.as_ref().and_then(|u| u.query()) {
        a.push(kv_str("url.query", query));
    }
    if let Some(route) = route {
        a.push(kv_str("http.route", route));
    }
    a.push(kv_int("http.response.status_code", i64::from(r.status)));
    a.push(kv_int(
        "http.response.body.size",
        i64::try_from(r.response_length).unwrap_or(i64::MAX),
    ));
    a.push(kv_str("client.address", &r.client_ip.to_string()));
    if let Some(agent) = &r.user_agent {
        a.push(kv_str("user_agent.original", agent));
    }
    let authority = r
        .host
        .as_deref()
        .and_then(|h| h.parse::<http::uri::Authority>().ok())
        .or_else(|| uri.as_ref().and_then(|u| u.authority().cloned()));
    if let Some(authority) = authority {
        a.push(kv_str("server.address", authority.host()));
        let port = authority.port_u16().or(match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        if let Some(port) = port {
            a.push(kv_int("server.port", i64::from(port)));
        }
    }
    a.push(kv_str("network.protocol.name", "http"));
    a.push(kv_str("network.protocol.version", protocol_version(r.protocol)));
    if r.status >= 500 {
        a.push(kv_str("error.type", &r.status.to_string()));
    }
    a.push(kv_str("aws.api_gateway.request_id", &r.request_id));
    a.push(kv_str("aws.api_gateway.extended_request_id", &r.extended_request_id));
    a.push(kv_str("aws.api_gateway.api_id", &r.api_id));
    a.push(kv_str("aws.api_gateway.api_name", &r.api_name));
    a.push(kv_str("aws.api_gateway.api_type", r.api_type));
    a.push(kv_str("aws.api_gateway.stage", &r.stage));
    a.push(kv_bool("aws.api_gateway.canary", r.is_canary));
    if let Some(resource) = &r.resource {
        a.push(kv_str("aws.api_gateway.resource", resource));
    }
    if let Some(error_type) = &r.error_type {
        a.push(kv_str("aws.api_gateway.response_type", error_type));
    }
    if let Some(waf) = &r.waf {
        a.push(kv_str("aws.waf.action", &waf.action));
        a.push(kv_str("aws.waf.terminating_rule_id", &waf.terminating_rule_id));
        a.push(kv_str("aws.waf.web_acl", &waf.web_acl));
    }
    // Server spans: 5xx is an error, 4xx is the client's and leaves the status unset (semconv).
    let status = (r.status >= 500).then(|| Status {
        message: r.error_type.clone().unwrap_or_default(),
        code: status::StatusCode::Error as i32,
    });
    let remote = if r.trace.parent_id.is_some() { IS_REMOTE } else { 0 };
    Span {
        trace_id: r.trace.trace_id.to_be_bytes().to_vec(),
        span_id: r.trace.segment_id.to_be_bytes().to_vec(),
        parent_span_id: r.trace.parent_id.map(|p| p.to_be_bytes().to_vec()).unwrap_or_default(),
        flags: SAMPLED | HAS_IS_REMOTE | remote,
        name,
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: r.start_us.saturating_mul(1000),
        end_time_unix_nano: r.end_us.saturating_mul(1000),
        attributes: a,
        status,
        ..Default::default()
    }
}

fn client_span(r: &FinishedRequest, call: &IntegrationCall) -> Span {
    let method = normalized_method(&call.method);
    let mut a = Vec::with_capacity(10);
    a.push(kv_str("http.request.method", method));
    if method != call.method {
        a.push(kv_str("http.request.method_original", &call.method));
    }
    if let Some(url) = &call.url {
        a.push(kv_str("url.full", url));
        if let Ok(uri) = url.parse::<http::Uri>() {
            if let Some(host) = uri.host() {
                a.push(kv_str("server.address", host));
            }
            let port = uri.port_u16().or(match uri.scheme_str() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => None,
            });
            if let Some(port) = port {
                a.push(kv_int("server.port", i64::from(port)));
            }
        }
    }
    if let Some(status) = call.status {
        a.push(kv_int("http.response.status_code", i64::from(status)));
    }
    let error_type = if call.timed_out {
        Some("timeout".to_owned())
    } else if call.error.is_some() {
        Some("_OTHER".to_owned())
    } else {
        call.status.filter(|s| *s >= 400).map(|s| s.to_string())
    };
    let failed = error_type.is_some();
    if let Some(error_type) = error_type {
        a.push(kv_str("error.type", &error_type));
    }
    a.push(kv_str("aws.api_gateway.integration.type", call.kind));
    // Client spans: any 4xx or 5xx, a timeout or a failed call is an error (semconv).
    let status = failed.then(|| Status {
        message: call.error.clone().unwrap_or_default(),
        code: status::StatusCode::Error as i32,
    });
    Span {
        trace_id: r.trace.trace_id.to_be_bytes().to_vec(),
        span_id: integration_span_id(r.trace.segment_id).to_be_bytes().to_vec(),
        parent_span_id: r.trace.segment_id.to_be_bytes().to_vec(),
        flags: SAMPLED | HAS_IS_REMOTE,
        name: method.to_owned(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: call.start_us.saturating_mul(1000),
        end_time_unix_nano: call.end_us.saturating_mul(1000),
        attributes: a,
        status,
        ..Default::default()
    }
}

/// `http.route`: the path template of the matched route. An HTTP API route key (`GET /pets/{id}`,
/// `ANY /pets`) gives its path; `$default` matches no template and gives none.
fn http_route(resource: &str) -> Option<&str> {
    let route = resource.split_once(' ').map_or(resource, |(_, path)| path);
    route.starts_with('/').then_some(route)
}

/// The method as semconv wants it: one of the known methods, or `_OTHER`.
fn normalized_method(method: &str) -> &str {
    const KNOWN: [&str; 9] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
    ];
    KNOWN.iter().find(|m| **m == method).copied().unwrap_or("_OTHER")
}

/// `network.protocol.version` from `HTTP/1.1`, `HTTP/2.0`.
fn protocol_version(protocol: &str) -> &str {
    match protocol {
        "HTTP/1.0" => "1.0",
        "HTTP/1.1" => "1.1",
        "HTTP/2.0" | "HTTP/2" => "2",
        "HTTP/3.0" | "HTTP/3" => "3",
        other => other.strip_prefix("HTTP/").unwrap_or(other),
    }
}

pub(crate) fn kv_str(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

pub(crate) fn kv_int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

pub(crate) fn kv_bool(key: &str, value: bool) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::BoolValue(value)),
        }),
        ..Default::default()
    }
}
