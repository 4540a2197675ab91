//! Moat's own metrics (queue depths, spool bytes, dropped records, export errors and latency, per-route
//! request counters) in the Prometheus text exposition format 0.0.4, served on a small HTTP listener.
//!
//! A [`Registry`] holds metric families: counters and gauges that are either atomics owned by the
//! registry ([`Counter`], [`Gauge`], handed out to the component that updates them) or callbacks read at
//! scrape time ([`Registry::counter_fn`], [`Registry::gauge_fn`]), so a component exposes its state
//! without this module knowing its types. [`spawn_listener`] serves `GET /metrics` (loopback by default,
//! [`DEFAULT_ADDR`]); every other path is 404.
//!
//! Format ("Exposition formats", prometheus.io/docs/instrumenting/exposition_formats): per family one
//! `# HELP name text` line (`\` and newline escaped as `\\` and `\n`), one `# TYPE name counter|gauge`
//! line, then one `name{label="value",...} number` line per series (label values escape `\`, `"` and
//! newline); numbers are Go-parsable floats, `NaN`, `+Inf`, `-Inf`. Families appear in registration
//! order, series in registration order, all lines end in `\n`.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::runtime::Handle;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

/// The default listen address: loopback only, port 9464.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9464));
/// The `Content-Type` of a scrape response.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Most connections served at once; further connections are closed at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Time allowed for a request's headers to arrive.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a connection may stay open.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);

/// The names of the self-metrics the gateway and the telemetry shippers register, with their labels.
pub mod names {
    /// Counter of finished requests; labels `api`, `stage`, `route`, `status_class` (`2xx`...).
    pub const REQUESTS_TOTAL: &str = "moat_requests_total";
    /// Gauge of records waiting in a sink's in-memory queue; label `sink`.
    pub const QUEUE_RECORDS: &str = "moat_telemetry_queue_records";
    /// Gauge of bytes in a sink's disk spool; label `sink`.
    pub const SPOOL_BYTES: &str = "moat_telemetry_spool_bytes";
    /// Counter of records dropped; labels `sink`, `reason` (`queue_full`, `rejected`, `too_large`...).
    pub const DROPPED_RECORDS_TOTAL: &str = "moat_telemetry_dropped_records_total";
    /// Counter of failed export requests; label `sink`.
    pub const EXPORT_ERRORS_TOTAL: &str = "moat_telemetry_export_errors_total";
    /// Gauge of the duration of a sink's last export request, in seconds; label `sink`.
    pub const EXPORT_LATENCY_SECONDS: &str = "moat_telemetry_export_latency_seconds";
}

/// Whether a family is a counter (only goes up) or a gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    /// A cumulative count.
    Counter,
    /// A value that goes up and down.
    Gauge,
}

impl MetricType {
    fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
        }
    }
}

/// Why a metric cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The name is not `[a-zA-Z_:][a-zA-Z0-9_:]*` or does not start with `moat_`.
    #[error("metric name {0:?} must match [a-zA-Z_:][a-zA-Z0-9_:]* and start with moat_")]
    BadName(String),
    /// A label name is not `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, or repeats.
    #[error("metric {metric}: bad or repeated label name {label:?}")]
    BadLabel {
        /// The metric.
        metric: String,
        /// The label name.
        label: String,
    },
    /// The family exists with another type or help text.
    #[error("metric {0} is already registered with another type or help text")]
    Conflict(String),
    /// The series exists as another kind of source (an atomic versus a callback).
    #[error("metric {metric}{labels} is already registered as another kind of source")]
    SourceConflict {
        /// The metric.
        metric: String,
        /// Its labels as rendered.
        labels: String,
    },
}

/// A counter the registry renders; clones share the value.
#[derive(Clone, Debug)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A gauge the registry renders; clones share the value.
#[derive(Clone, Debug)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (negative to subtract).
    pub fn add(&self, delta: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + delta).to_bits();
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

type ValueFn = Arc<dyn Fn() -> f64 + Send + Sync>;

#[derive(Clone)]
enum Source {
    Counter(Arc<AtomicU64>),
    Gauge(Arc<AtomicU64>),
    Fn(ValueFn),
}

#[derive(Clone)]
struct Series {
    /// `{a="x",b="y"}` or empty.
    labels: String,
    source: Source,
}

#[derive(Clone)]
struct Family {
    name: String,
    help: String,
    kind: MetricType,
    series: Vec<Series>,
}

/// Metric families, rendered on every scrape. Share it behind an `Arc`.
#[derive(Default)]
pub struct Registry {
    families: Mutex<Vec<Family>>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && name.starts_with("moat_")
}

fn valid_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !label.starts_with("__")
}

/// Appends `s` escaped for a `# HELP` line (`escape_quote` false) or a label value (true).
fn escape_into(out: &mut String, s: &str, escape_quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if escape_quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Appends `value` as the exposition format writes a sample value.
fn write_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        // An integer below 2^53: exact as i64.
        #[allow(clippy::cast_possible_truncation)]
        let int = value as i64;
        let _ = write!(out, "{int}");
    } else {
        let _ = write!(out, "{value}");
    }
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Registry {
        Registry::default()
    }

    fn register(
        &self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[(&str, &str)],
        source: Source,
    ) -> Result<Source, RegistryError> {
        if !valid_name(name) {
            return Err(RegistryError::BadName(name.to_owned()));
        }
        let mut sorted: Vec<(&str, &str)> = labels.to_vec();
        sorted.sort_unstable_by_key(|&(k, _)| k);
        for (i, (label, _)) in sorted.iter().enumerate() {
            if !valid_label(label) || (i > 0 && sorted[i - 1].0 == *label) {
                return Err(RegistryError::BadLabel {
                    metric: name.to_owned(),
                    label: (*label).to_owned(),
                });
            }
        }
        let mut rendered = String::new();
        if !sorted.is_empty() {
            rendered.push('{');
            for (i, (label, value)) in sorted.iter().enumerate() {
                if i > 0 {
                    rendered.push(',');
                }
                rendered.push_str(label);
                rendered.push_str("=\"");
                escape_into(&mut rendered, value, true);
                rendered.push('"');
            }
            rendered.push('}');
        }
        let mut families = self.families.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let family = match families.iter().position(|f| f.name == name) {
            Some(at) => {
                let family = &mut families[at];
                if family.kind != kind || family.help != help {
                    return Err(RegistryError::Conflict(name.to_owned()));
                }
                family
            }
            None => {
                families.push(Family {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    series: Vec::new(),
                });
                let last = families.len() - 1;
                &mut families[last]
            }
        };
        if let Some(series) = family.series.iter_mut().find(|s| s.labels == rendered) {
            return match (&series.source, source) {
                // The same atomic series again: hand out the existing value.
                (Source::Counter(existing), Source::Counter(_)) => Ok(Source::Counter(Arc::clone(existing))),
                (Source::Gauge(existing), Source::Gauge(_)) => Ok(Source::Gauge(Arc::clone(existing))),
                // A callback again (a component restarted): the new one replaces the old.
                (Source::Fn(_), Source::Fn(new)) => {
                    series.source = Source::Fn(Arc::clone(&new));
                    Ok(Source::Fn(new))
                }
                _ => Err(RegistryError::SourceConflict {
                    metric: name.to_owned(),
                    labels: rendered,
                }),
            };
        }
        family.series.push(Series {
            labels: rendered,
            source: source.clone(),
        });
        Ok(source)
    }

    /// The counter `name{labels}`, registered now or earlier (the same series returns the same
    /// counter, so registering on first use is fine).
    ///
    /// # Errors
    /// [`RegistryError`] for a bad name or label, or a family of another type or help text.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Counter, RegistryError> {
        let fresh = Source::Counter(Arc::new(AtomicU64::new(0)));
        match self.register(name, help, MetricType::Counter, labels, fresh)? {
            Source::Counter(value) => Ok(Counter(value)),
            _ => Err(RegistryError::Conflict(name.to_owned())),
        }
    }

    /// The gauge `name{labels}` (starting at 0), registered now or earlier.
    ///
    /// # Errors
    /// As [`Registry::counter`].
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Gauge, RegistryError> {
        let fresh = Source::Gauge(Arc::new(AtomicU64::new(0f64.to_bits())));
        match self.register(name, help, MetricType::Gauge, labels, fresh)? {
            Source::Gauge(value) => Ok(Gauge(value)),
            _ => Err(RegistryError::Conflict(name.to_owned())),
        }
    }

    /// A counter whose value `read` returns at each scrape (a component's own atomic, say). Registering
    /// the same series again replaces the callback. `read` runs on the listener's runtime without the
    /// registry locked; it must be quick and must not block.
    ///
    /// # Errors
    /// As [`Registry::counter`].
    pub fn counter_fn(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        read: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<(), RegistryError> {
        self.register(name, help, MetricType::Counter, labels, Source::Fn(Arc::new(read)))
            .map(drop)
    }

    /// A gauge whose value `read` returns at each scrape (a queue's length, a spool's size). As
    /// [`Registry::counter_fn`].
    ///
    /// # Errors
    /// As [`Registry::counter`].
    pub fn gauge_fn(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        read: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<(), RegistryError> {
        self.register(name, help, MetricType::Gauge, labels, Source::Fn(Arc::new(read)))
            .map(drop)
    }

    /// Every family in the text exposition format 0.0.4.
    #[must_use]
    pub fn render(&self) -> String {
        // Copy what to read under the lock, read the callbacks without it.
        let families: Vec<Family> = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut out = String::with_capacity(families.len() * 128);
        for Family {
            name,
            help,
            kind,
            series,
        } in families
        {
            out.push_str("# HELP ");
            out.push_str(&name);
            out.push(' ');
            escape_into(&mut out, &help, false);
            out.push('\n');
            let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
            for Series { labels, source } in series {
                out.push_str(&name);
                out.push_str(&labels);
                out.push(' ');
                match source {
                    Source::Counter(value) => {
                        let _ = write!(out, "{}", value.load(Ordering::Relaxed));
                    }
                    Source::Gauge(value) => {
                        write_value(&mut out, f64::from_bits(value.load(Ordering::Relaxed)));
                    }
                    Source::Fn(read) => write_value(&mut out, read()),
                }
                out.push('\n');
            }
        }
        out
    }
}

/// A running metrics listener.
pub struct MetricsListener {
    local_addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl MetricsListener {
    /// The address it listens on (with the port the system chose when asked for port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and waits for the accept loop to end (connections being served
    /// finish on their own, within [`CONNECTION_TIMEOUT`]).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

fn respond(registry: &Registry, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, body: &'static str| {
        let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    };
    if req.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "Not Found\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let body = if req.method() == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(registry.render())
    };
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// Binds `addr` and serves `GET /metrics` from `registry` on `handle`'s runtime (HTTP/1.1; at most
/// [`MAX_CONNECTIONS`] at once, headers within [`HEADER_READ_TIMEOUT`], connections closed after
/// [`CONNECTION_TIMEOUT`]). Use [`DEFAULT_ADDR`] unless configured otherwise; port 0 picks a free port.
///
/// # Errors
/// The bind error (address in use, permission denied).
pub fn spawn_listener(handle: &Handle, addr: SocketAddr, registry: Arc<Registry>) -> io::Result<MetricsListener> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let local_addr = std_listener.local_addr()?;
    let listener = {
        let _runtime = handle.enter();
        tokio::net::TcpListener::from_std(std_listener)?
    };
    let (shutdown, mut stop) = oneshot::channel();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let task = handle.spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    // A failed accept (out of file descriptors, an aborted connection): try again
                    // after a pause rather than spin.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut stop => return,
            };
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let registry = Arc::clone(&registry);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let response = respond(&registry, &req);
                    async move { Ok::<_, Infallible>(response) }
                });
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
                drop(permit);
            });
        }
    });
    Ok(MetricsListener {
        local_addr,
        shutdown,
        task,
    })
}

#[cfg(test)]
#[path = "prometheus/tests.rs"]
mod tests;
