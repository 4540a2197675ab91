//! The OTLP exporter's settings: defaults, then the standard `OTEL_*` environment variables, then
//! whatever the gateway's configuration sets.

use std::path::PathBuf;
use std::time::Duration;

use super::OtlpError;

/// The OTLP transport of one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (`grpc`), default port 4317.
    Grpc,
    /// OTLP/HTTP with binary protobuf bodies (`http/protobuf`), default port 4318.
    HttpProtobuf,
}

impl Protocol {
    /// Parses `OTEL_EXPORTER_OTLP_PROTOCOL`'s values (`grpc`, `http/protobuf`).
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] for anything else (`http/json` is not supported).
    pub fn parse(value: &str) -> Result<Protocol, OtlpError> {
        match value.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            other => Err(OtlpError::InvalidConfig(format!(
                "OTLP protocol {other:?}: use grpc or http/protobuf"
            ))),
        }
    }

    /// The collector's default endpoint for this protocol and signal (`http://localhost:4317`,
    /// `http://localhost:4318/v1/traces`).
    #[must_use]
    pub fn default_endpoint(self, signal: Signal) -> String {
        match self {
            Protocol::Grpc => "http://localhost:4317".to_owned(),
            Protocol::HttpProtobuf => format!("http://localhost:4318{}", signal.http_path()),
        }
    }
}

/// Which OTLP signal a setting belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Spans (`/v1/traces`).
    Traces,
    /// Metrics (`/v1/metrics`).
    Metrics,
}

impl Signal {
    /// The path OTLP/HTTP appends to a base endpoint for this signal.
    #[must_use]
    pub fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
        }
    }

    fn env_infix(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
        }
    }
}

/// How metric data points add up over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporality {
    /// Every export carries the totals since the exporter started (the SDKs' default; Prometheus).
    Cumulative,
    /// Every export carries only what happened since the previous export (CloudWatch-like periods).
    Delta,
}

/// Where and how one signal is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalConfig {
    /// The transport.
    pub protocol: Protocol,
    /// The collector URL: for gRPC the server (`http://localhost:4317`); for HTTP/protobuf the
    /// full URL posted to (`http://localhost:4318/v1/traces`). `https://` verifies the collector
    /// against the system's roots and `certificate`.
    pub endpoint: String,
    /// Headers (gRPC metadata) sent with every export, such as an API key.
    pub headers: Vec<(String, String)>,
    /// How long one export may take, connection included, before it counts as failed.
    pub timeout: Duration,
    /// A PEM file of CA certificates trusted for an `https://` endpoint, besides the system's.
    pub certificate: Option<PathBuf>,
}

impl SignalConfig {
    /// `signal` sent over `protocol` to the collector at `base` (`http://host:port`): HTTP/protobuf
    /// appends the signal's path; headers none; timeout 10 s.
    #[must_use]
    pub fn new(protocol: Protocol, base: &str, signal: Signal) -> SignalConfig {
        SignalConfig {
            protocol,
            endpoint: join_endpoint(protocol, base, signal),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            certificate: None,
        }
    }
}

/// The default export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`'s default, 10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest accepted `max_queue_size`.
pub const MAX_QUEUE_SIZE: usize = 1 << 20;
/// Largest accepted `max_series`.
pub const MAX_SERIES: usize = 100_000;

/// Everything the OTLP exporter needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpConfig {
    /// `service.name` of the resource (default `moat`; `OTEL_SERVICE_NAME`).
    pub service_name: String,
    /// More resource attributes (`OTEL_RESOURCE_ATTRIBUTES`), such as `cloud.provider=aws`.
    pub resource_attributes: Vec<(String, String)>,
    /// Where spans go; `None` sends none (`OTEL_TRACES_EXPORTER=none`).
    pub traces: Option<SignalConfig>,
    /// Where metrics go; `None` sends none (`OTEL_METRICS_EXPORTER=none`).
    pub metrics: Option<SignalConfig>,
    /// Requests waiting to become spans, at most; more are dropped and counted (default 2048,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`; 1 to 1,048,576).
    pub max_queue_size: usize,
    /// Spans in one export request, at most (default 512, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    pub max_export_batch_size: usize,
    /// Longest a span waits for its batch to fill before it is sent (default 5 s,
    /// `OTEL_BSP_SCHEDULE_DELAY` in ms).
    pub schedule_delay: Duration,
    /// Time between metric exports (default 60 s, `OTEL_METRIC_EXPORT_INTERVAL` in ms).
    pub metric_interval: Duration,
    /// Cumulative (default) or delta (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`).
    pub temporality: Temporality,
    /// Distinct metric attribute sets kept, at most; requests of further sets are counted under
    /// one set with `otel.metric.overflow=true` (default 2000; 1 to 100,000).
    pub max_series: usize,
}

impl Default for OtlpConfig {
    /// Both signals over gRPC to `http://localhost:4317`, the SDKs' defaults for the rest.
    fn default() -> OtlpConfig {
        OtlpConfig {
            service_name: "moat".to_owned(),
            resource_attributes: Vec::new(),
            traces: Some(SignalConfig::new(
                Protocol::Grpc,
                "http://localhost:4317",
                Signal::Traces,
            )),
            metrics: Some(SignalConfig::new(
                Protocol::Grpc,
                "http://localhost:4317",
                Signal::Metrics,
            )),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            schedule_delay: Duration::from_secs(5),
            metric_interval: Duration::from_secs(60),
            temporality: Temporality::Cumulative,
            max_series: 2000,
        }
    }
}

impl OtlpConfig {
    /// The defaults overridden by the process's `OTEL_*` environment variables.
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] naming the variable that holds an invalid value.
    pub fn from_env() -> Result<OtlpConfig, OtlpError> {
        OtlpConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// The defaults overridden by the variables `lookup` finds (the environment, in
    /// [`OtlpConfig::from_env`]).
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] naming the variable that holds an invalid value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<OtlpConfig, OtlpError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = OtlpConfig::default();
        if let Some(name) = get("OTEL_SERVICE_NAME") {
            config.service_name = name;
        }
        if let Some(list) = get("OTEL_RESOURCE_ATTRIBUTES") {
            config.resource_attributes = parse_pairs(&list, "OTEL_RESOURCE_ATTRIBUTES")?;
        }
        for signal in [Signal::Traces, Signal::Metrics] {
            let infix = signal.env_infix();
            let exporter_var = format!("OTEL_{infix}_EXPORTER");
            let enabled = get(&exporter_var).is_none_or(|v| v.trim() != "none");
            let protocol = match get(&format!("OTEL_EXPORTER_OTLP_{infix}_PROTOCOL"))
                .or_else(|| get("OTEL_EXPORTER_OTLP_PROTOCOL"))
            {
                Some(p) => Protocol::parse(&p)?,
                None => Protocol::Grpc,
            };
            let endpoint = match get(&format!("OTEL_EXPORTER_OTLP_{infix}_ENDPOINT")) {
                Some(endpoint) => endpoint,
                None => match get("OTEL_EXPORTER_OTLP_ENDPOINT") {
                    Some(base) => join_endpoint(protocol, &base, signal),
                    None => protocol.default_endpoint(signal),
                },
            };
            let mut headers = match get("OTEL_EXPORTER_OTLP_HEADERS") {
                Some(list) => parse_pairs(&list, "OTEL_EXPORTER_OTLP_HEADERS")?,
                None => Vec::new(),
            };
            let headers_var = format!("OTEL_EXPORTER_OTLP_{infix}_HEADERS");
            if let Some(list) = get(&headers_var) {
                for (key, value) in parse_pairs(&list, &headers_var)? {
                    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
                    headers.push((key, value));
                }
            }
            let timeout_var = format!("OTEL_EXPORTER_OTLP_{infix}_TIMEOUT");
            let timeout = match get(&timeout_var) {
                Some(ms) => millis(&ms, &timeout_var)?,
                None => match get("OTEL_EXPORTER_OTLP_TIMEOUT") {
                    Some(ms) => millis(&ms, "OTEL_EXPORTER_OTLP_TIMEOUT")?,
                    None => DEFAULT_TIMEOUT,
                },
            };
            let certificate = get(&format!("OTEL_EXPORTER_OTLP_{infix}_CERTIFICATE"))
                .or_else(|| get("OTEL_EXPORTER_OTLP_CERTIFICATE"))
                .map(PathBuf::from);
            let signal_config = enabled.then_some(SignalConfig {
                protocol,
                endpoint,
                headers,
                timeout,
                certificate,
            });
            match signal {
                Signal::Traces => config.traces = signal_config,
                Signal::Metrics => config.metrics = signal_config,
            }
        }
        if let Some(v) = get("OTEL_BSP_MAX_QUEUE_SIZE") {
            config.max_queue_size = number(&v, "OTEL_BSP_MAX_QUEUE_SIZE")?;
        }
        if let Some(v) = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            config.max_export_batch_size = number(&v, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")?;
        }
        if let Some(v) = get("OTEL_BSP_SCHEDULE_DELAY") {
            config.schedule_delay = millis(&v, "OTEL_BSP_SCHEDULE_DELAY")?;
        }
        if let Some(v) = get("OTEL_METRIC_EXPORT_INTERVAL") {
            config.metric_interval = millis(&v, "OTEL_METRIC_EXPORT_INTERVAL")?;
        }
        if let Some(v) = get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE") {
            config.temporality = match v.trim().to_ascii_lowercase().as_str() {
                "cumulative" => Temporality::Cumulative,
                // Every Moat instrument is a counter or histogram, which `lowmemory` makes delta.
                "delta" | "lowmemory" => Temporality::Delta,
                other => {
                    return Err(OtlpError::InvalidConfig(format!(
                    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE={other:?}: use cumulative, delta or lowmemory"
                )))
                }
            };
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the limits documented on each field.
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] naming the setting that is out of range.
    pub fn validate(&self) -> Result<(), OtlpError> {
        let bad = |m: String| Err(OtlpError::InvalidConfig(m));
        if self.max_queue_size == 0 || self.max_queue_size > MAX_QUEUE_SIZE {
            return bad(format!(
                "max_queue_size {} is not within 1..={MAX_QUEUE_SIZE}",
                self.max_queue_size
            ));
        }
        if self.max_export_batch_size == 0 || self.max_export_batch_size > self.max_queue_size {
            return bad(format!(
                "max_export_batch_size {} is not within 1..=max_queue_size",
                self.max_export_batch_size
            ));
        }
        if self.max_series == 0 || self.max_series > MAX_SERIES {
            return bad(format!("max_series {} is not within 1..={MAX_SERIES}", self.max_series));
        }
        if self.schedule_delay.is_zero() || self.metric_interval.is_zero() {
            return bad("schedule_delay and metric_interval must be positive".to_owned());
        }
        for signal in self.traces.iter().chain(&self.metrics) {
            if signal.timeout.is_zero() {
                return bad(format!("{}: the export timeout must be positive", signal.endpoint));
            }
        }
        if self.service_name.is_empty() {
            return bad("service_name must not be empty".to_owned());
        }
        Ok(())
    }
}

/// `base` for `signal`: gRPC uses it as it is, HTTP/protobuf appends `/v1/traces` or `/v1/metrics`.
fn join_endpoint(protocol: Protocol, base: &str, signal: Signal) -> String {
    match protocol {
        Protocol::Grpc => base.to_owned(),
        Protocol::HttpProtobuf => format!("{}{}", base.trim_end_matches('/'), signal.http_path()),
    }
}

fn millis(value: &str, var: &str) -> Result<Duration, OtlpError> {
    number(value, var).map(|ms| Duration::from_millis(ms as u64))
}

fn number(value: &str, var: &str) -> Result<usize, OtlpError> {
    value
        .trim()
        .parse()
        .map_err(|_| OtlpError::InvalidConfig(format!("{var}={value:?} is not a non-negative integer")))
}

/// `key1=value1,key2=value2` with percent-encoded values (W3C Baggage style, as the OTel
/// specification gives for `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`).
fn parse_pairs(list: &str, var: &str) -> Result<Vec<(String, String)>, OtlpError> {
    let mut pairs = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(OtlpError::InvalidConfig(format!("{var}: {item:?} is not key=value")));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(OtlpError::InvalidConfig(format!("{var}: {item:?} has an empty key")));
        }
        pairs.push((key.to_owned(), percent_decode(value.trim())));
    }
    Ok(pairs)
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
