use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicUsize;

use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1 as client;

use super::*;

/// Family name -> (help, type).
type Families = BTreeMap<String, (String, String)>;

/// One parsed sample line.
#[derive(Debug, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A strict parser of the text exposition format 0.0.4 (what `promtool check metrics` and the
/// Prometheus scraper's text parser accept, for the subset Moat writes: HELP, TYPE, samples without
/// timestamps): HELP and TYPE at most once per family and before its samples, a family's samples
/// contiguous, label names valid and not repeated, escapes only `\\`, `\"`, `\n`, values Go floats,
/// no duplicate series. Returns the samples and each family's (help, type).
fn parse_exposition(text: &str) -> Result<(Vec<Sample>, Families), String> {
    fn name_ok(s: &str) -> bool {
        let mut c = s.chars();
        c.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    fn unescape(s: &str, quote: bool) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('\\') => out.push('\\'),
                    Some('n') => out.push('\n'),
                    Some('"') if quote => out.push('"'),
                    other => return Err(format!("bad escape \\{other:?}")),
                }
            } else if c == '\n' || (quote && c == '"') {
                return Err("unescaped character".into());
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }
    fn value(s: &str) -> Result<f64, String> {
        match s {
            "NaN" => Ok(f64::NAN),
            "+Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            _ => s.parse::<f64>().map_err(|e| format!("value {s:?}: {e}")),
        }
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    let mut families: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut samples = Vec::new();
    let mut closed: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut seen = HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let (kind, rest) = rest.split_once(' ').ok_or("bad comment")?;
            let (name, arg) = rest.split_once(' ').ok_or("bad comment")?;
            if !name_ok(name) {
                return Err(format!("bad name {name}"));
            }
            if current.as_deref() != Some(name) {
                if let Some(prev) = current.take() {
                    closed.insert(prev);
                }
                if closed.contains(name) {
                    return Err(format!("{name} not contiguous"));
                }
                current = Some(name.to_owned());
            }
            let family = families.entry(name.to_owned()).or_default();
            match kind {
                "HELP" if family.0.is_empty() => family.0 = unescape(arg, false)?,
                "TYPE" if family.1.is_empty() => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg) {
                        return Err(format!("bad type {arg}"));
                    }
                    if samples.iter().any(|s: &Sample| s.name == name) {
                        return Err(format!("TYPE after samples of {name}"));
                    }
                    family.1 = arg.to_owned();
                }
                _ => return Err(format!("repeated or unknown {kind} for {name}")),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or("no value")?;
        let name = &line[..name_end];
        if !name_ok(name) {
            return Err(format!("bad name {name}"));
        }
        if current.as_deref() != Some(name) {
            if let Some(prev) = current.take() {
                closed.insert(prev);
            }
            if closed.contains(name) {
                return Err(format!("{name} not contiguous"));
            }
            current = Some(name.to_owned());
        }
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(body) = rest.strip_prefix('{') {
            let mut body = body;
            loop {
                if let Some(after) = body.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (label, after) = body.split_once("=\"").ok_or("bad label")?;
                if !name_ok(label) || label.contains(':') {
                    return Err(format!("bad label name {label}"));
                }
                // The value ends at the first unescaped quote.
                let mut end = None;
                let mut escaped = false;
                for (i, c) in after.char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = Some(i);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let end = end.ok_or("unterminated label value")?;
                if labels
                    .insert(label.to_owned(), unescape(&after[..end], true)?)
                    .is_some()
                {
                    return Err(format!("repeated label {label}"));
                }
                body = &after[end + 1..];
                body = body.strip_prefix(',').unwrap_or(body);
            }
        }
        let value_text = rest.strip_prefix(' ').ok_or("no space before value")?;
        if value_text.contains(' ') {
            return Err("timestamps are not written".into());
        }
        let sample = Sample {
            name: name.to_owned(),
            labels,
            value: value(value_text)?,
        };
        if !seen.insert(format!("{}{:?}", sample.name, sample.labels)) {
            return Err(format!("duplicate series {line}"));
        }
        samples.push(sample);
    }
    Ok((samples, families))
}

fn demo_registry() -> Registry {
    let registry = Registry::new();
    let ok = registry
        .counter(
            names::REQUESTS_TOTAL,
            "Requests finished, by API, stage, route and status class.",
            &[
                ("api", "shop"),
                ("stage", "prod"),
                ("route", "GET /pets/{id}"),
                ("status_class", "2xx"),
            ],
        )
        .unwrap();
    ok.add(41);
    ok.inc();
    let queue = Arc::new(AtomicUsize::new(7));
    let q = Arc::clone(&queue);
    registry
        .gauge_fn(
            names::QUEUE_RECORDS,
            "Records waiting in the sink's queue.",
            &[("sink", "cloudwatch-logs:moat-access/a")],
            move || q.load(Ordering::Relaxed) as f64,
        )
        .unwrap();
    let dropped = registry
        .counter(
            names::DROPPED_RECORDS_TOTAL,
            "Records dropped.\nBy sink and reason, \\ counted.",
            &[("sink", "x\"y\\z\nw"), ("reason", "queue_full")],
        )
        .unwrap();
    dropped.add(3);
    registry
        .gauge(
            names::EXPORT_LATENCY_SECONDS,
            "Last export's duration.",
            &[("sink", "xray")],
        )
        .unwrap()
        .set(0.125);
    registry
        .gauge_fn("moat_odd_values", "Non-finite values.", &[("v", "nan")], || f64::NAN)
        .unwrap();
    registry
        .gauge_fn("moat_odd_values", "Non-finite values.", &[("v", "inf")], || {
            f64::INFINITY
        })
        .unwrap();
    registry
        .gauge_fn("moat_odd_values", "Non-finite values.", &[("v", "-inf")], || {
            f64::NEG_INFINITY
        })
        .unwrap();
    registry
}

/// The text exposition format ("Exposition formats", prometheus.io/docs/instrumenting/
/// exposition_formats, "Text format details"): HELP escapes `\` and newline; label values also `"`;
/// labels sorted by name; NaN, +Inf, -Inf.
#[test]
fn golden_rendering() {
    let text = demo_registry().render();
    let expected = r#"# HELP moat_requests_total Requests finished, by API, stage, route and status class.
# TYPE moat_requests_total counter
moat_requests_total{api="shop",route="GET /pets/{id}",stage="prod",status_class="2xx"} 42
# HELP moat_telemetry_queue_records Records waiting in the sink's queue.
# TYPE moat_telemetry_queue_records gauge
moat_telemetry_queue_records{sink="cloudwatch-logs:moat-access/a"} 7
# HELP moat_telemetry_dropped_records_total Records dropped.\nBy sink and reason, \\ counted.
# TYPE moat_telemetry_dropped_records_total counter
moat_telemetry_dropped_records_total{reason="queue_full",sink="x\"y\\z\nw"} 3
# HELP moat_telemetry_export_latency_seconds Last export's duration.
# TYPE moat_telemetry_export_latency_seconds gauge
moat_telemetry_export_latency_seconds{sink="xray"} 0.125
# HELP moat_odd_values Non-finite values.
# TYPE moat_odd_values gauge
moat_odd_values{v="nan"} NaN
moat_odd_values{v="inf"} +Inf
moat_odd_values{v="-inf"} -Inf
"#;
    assert_eq!(text, expected);
    let (samples, families) = parse_exposition(&text).unwrap();
    assert_eq!(samples.len(), 7);
    assert_eq!(samples[2].labels["sink"], "x\"y\\z\nw");
    assert_eq!(
        families["moat_telemetry_dropped_records_total"].0,
        "Records dropped.\nBy sink and reason, \\ counted."
    );
    assert_eq!(families["moat_requests_total"].1, "counter");
}

#[test]
fn the_parser_rejects_what_prometheus_rejects() {
    for bad in [
        "moat_a 1",                                         // no final newline
        "moat_a{x=\"1\"} 1\nmoat_b 1\nmoat_a{x=\"2\"} 1\n", // family not contiguous
        "moat_a 1\nmoat_a 1\n",                             // duplicate series
        "moat_a{x=\"1\",x=\"2\"} 1\n",                      // repeated label
        "moat_a{x=\"a\\q\"} 1\n",                           // bad escape
        "moat_a one\n",                                     // bad value
        "moat_a 1\n# TYPE moat_a counter\n",                // TYPE after samples
        "# TYPE moat_a counter\n# TYPE moat_a counter\n",   // repeated TYPE
        "9moat 1\n",                                        // bad name
    ] {
        assert!(parse_exposition(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn registration_rules() {
    let registry = Registry::new();
    assert_eq!(
        registry.counter("requests_total", "h", &[]).unwrap_err(),
        RegistryError::BadName("requests_total".into())
    );
    assert!(matches!(
        registry.counter("moat_x-y", "h", &[]),
        Err(RegistryError::BadName(_))
    ));
    for label in ["__reserved", "1x", "a-b", ""] {
        assert!(
            matches!(
                registry.counter("moat_c_total", "h", &[(label, "v")]),
                Err(RegistryError::BadLabel { .. })
            ),
            "{label}"
        );
    }
    assert!(matches!(
        registry.counter("moat_c_total", "h", &[("a", "1"), ("a", "2")]),
        Err(RegistryError::BadLabel { .. })
    ));
    // The same series twice is the same counter, whatever the label order.
    let a = registry
        .counter("moat_c_total", "h", &[("a", "1"), ("b", "2")])
        .unwrap();
    let b = registry
        .counter("moat_c_total", "h", &[("b", "2"), ("a", "1")])
        .unwrap();
    a.inc();
    b.inc();
    assert_eq!(a.get(), 2);
    assert_eq!(registry.render().matches("moat_c_total{").count(), 1);
    assert_eq!(
        registry.gauge("moat_c_total", "h", &[]).unwrap_err(),
        RegistryError::Conflict("moat_c_total".into())
    );
    assert_eq!(
        registry.counter("moat_c_total", "other help", &[]).unwrap_err(),
        RegistryError::Conflict("moat_c_total".into())
    );
    assert!(matches!(
        registry.counter_fn("moat_c_total", "h", &[("a", "1"), ("b", "2")], || 1.0),
        Err(RegistryError::SourceConflict { .. })
    ));
    // A callback registered again replaces the old one.
    registry.gauge_fn("moat_g", "g", &[], || 1.0).unwrap();
    registry.gauge_fn("moat_g", "g", &[], || 2.0).unwrap();
    assert!(registry.render().contains("\nmoat_g 2\n"));
    let g = registry.gauge("moat_h", "h", &[]).unwrap();
    g.set(1.5);
    g.add(-0.25);
    assert_eq!(g.get(), 1.25);
    // A callback may use the registry (render does not hold the lock while reading).
    let registry = Arc::new(registry);
    let inner = Arc::clone(&registry);
    registry
        .gauge_fn("moat_render_bytes", "r", &[], move || {
            inner.families.lock().map_or(0.0, |f| f.len() as f64)
        })
        .unwrap();
    let text = registry.render();
    parse_exposition(&text).unwrap();
}

async fn get(addr: SocketAddr, method: Method, path: &str) -> (StatusCode, http::HeaderMap, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = client::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn listener_serves_metrics_on_loopback() {
    let registry = Arc::new(demo_registry());
    let counter = registry
        .counter(names::EXPORT_ERRORS_TOTAL, "Export errors.", &[("sink", "xray")])
        .unwrap();
    let listener = spawn_listener(
        &Handle::current(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        Arc::clone(&registry),
    )
    .unwrap();
    let addr = listener.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    assert!(DEFAULT_ADDR.ip().is_loopback());

    counter.add(5);
    let (status, headers, body) = get(addr, Method::GET, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], CONTENT_TYPE);
    let (samples, _) = parse_exposition(&body).unwrap();
    let errors = samples.iter().find(|s| s.name == names::EXPORT_ERRORS_TOTAL).unwrap();
    assert_eq!(errors.value, 5.0);
    assert_eq!(body, registry.render());

    let (status, _, body) = get(addr, Method::HEAD, "/metrics").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    let (status, _, _) = get(addr, Method::GET, "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(addr, Method::GET, "/metrics/x").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, headers, _) = get(addr, Method::POST, "/metrics").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, HEAD");

    listener.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn binding_a_taken_port_is_an_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = taken.local_addr().unwrap();
    assert!(spawn_listener(runtime.handle(), addr, Arc::new(Registry::new())).is_err());
}
