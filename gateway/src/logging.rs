//! The log phase: per-stage access and execution logging, and the record of one request that both read.
//!
//! [`PendingLog`] collects a request's facts as the phases run; when the response body ends,
//! [`crate::body::GatewayBody`] calls [`PendingLog::complete`], which renders the stage's access-log line
//! and execution-log lines into reused buffers and appends them to the shared, batching
//! [`crate::log_sink::LogSink`]s. Nothing here does I/O on the request path.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Uri, Version};
use moat_formats::access_log::{AccessLogFormat, Preset};
use moat_formats::record::{ApiType, ErrorRecord, IntegrationRecord, RequestRecord};

use crate::body::OnComplete;
use crate::config::compile::Problems;
use crate::config::raw::RawStage;
use crate::gateway_response::ResponseType;
use crate::ids::{ExtendedRequestId, RequestId, TraceHeader};
use crate::log_sink::LogSink;
use crate::pipeline::{duration_ms, now_ms, ConnInfo};
use crate::routing::Params;
use crate::runtime::{Route, Stage};

/// Default size at which log files rotate.
pub const DEFAULT_ROTATE_BYTES: u64 = 100 * 1024 * 1024;
/// Default number of rotated files kept.
pub const DEFAULT_KEEP_FILES: u32 = 5;
/// Default number of batches queued for a writer before records are dropped and counted.
pub const DEFAULT_QUEUE_BATCHES: usize = 1024;

/// Opens each destination once, however many stages write to it.
pub struct SinkRegistry {
    base_dir: PathBuf,
    open: bool,
    sinks: HashMap<String, Arc<LogSink>>,
}

impl SinkRegistry {
    /// A registry resolving relative paths against `base_dir`; with `open` false nothing is opened.
    #[must_use]
    pub fn new(base_dir: &Path, open: bool) -> SinkRegistry {
        SinkRegistry {
            base_dir: base_dir.to_path_buf(),
            open,
            sinks: HashMap::new(),
        }
    }

    fn sink(&mut self, destination: &str, rotate_bytes: u64, keep_files: u32, queue: usize) -> Result<Option<Arc<LogSink>>, String> {
        let resolved = if destination == "stdout" {
            destination.to_owned()
        } else {
            self.base_dir.join(destination).display().to_string()
        };
        if let Some(sink) = self.sinks.get(&resolved) {
            return Ok(Some(Arc::clone(sink)));
        }
        if !self.open {
            return Ok(None);
        }
        let sink = LogSink::open(&resolved, rotate_bytes, keep_files, queue).map_err(|e| format!("cannot open `{resolved}`: {e}"))?;
        self.sinks.insert(resolved, Arc::clone(&sink));
        Ok(Some(sink))
    }
}

/// Which stage a stage's logging belongs to.
pub struct StageIdentity<'a> {
    /// REST or HTTP.
    pub api_type: ApiType,
    /// API id.
    pub api_id: &'a str,
    /// Stage name.
    pub stage: &'a str,
    /// Account id.
    pub account_id: &'a str,
}

/// Access logging of a stage.
#[derive(Debug)]
pub struct AccessLogging {
    format: AccessLogFormat,
    sink: Option<Arc<LogSink>>,
}

/// Execution-log level (AWS `loggingLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Only requests that failed.
    Error,
    /// Every request.
    Info,
}

/// Execution logging of a REST stage.
#[derive(Debug)]
pub struct ExecutionLogging {
    level: Level,
    data_trace: bool,
    sink: Option<Arc<LogSink>>,
}

/// A stage's logging settings.
#[derive(Debug, Default)]
pub struct StageLogging {
    /// Access log, if configured.
    pub access: Option<AccessLogging>,
    /// Execution log, if configured and not `OFF`.
    pub execution: Option<ExecutionLogging>,
    /// Account id for `$context.accountId`.
    pub account_id: Arc<str>,
}

impl StageLogging {
    /// Writes out everything queued for this stage's sinks.
    pub fn flush(&self) {
        let access = self.access.as_ref().and_then(|a| a.sink.as_ref());
        let execution = self.execution.as_ref().and_then(|e| e.sink.as_ref());
        for sink in access.into_iter().chain(execution) {
            sink.flush_and_close();
        }
    }

    /// A trace for one request, when execution logging is on.
    #[must_use]
    pub fn execution_trace(&self, request_id: &str) -> Option<ExecTrace> {
        let settings = self.execution.as_ref()?;
        Some(ExecTrace {
            lines: Vec::with_capacity(1024),
            request_id: request_id.to_owned(),
            data_trace: settings.data_trace,
            failed: false,
        })
    }
}

/// Builds a stage's logging from its config; problems name the field.
pub fn stage_logging(raw: &RawStage, id: &StageIdentity<'_>, stage_path: &str, sinks: &mut SinkRegistry, problems: &mut Problems) -> StageLogging {
    let mut logging = StageLogging {
        account_id: id.account_id.into(),
        ..StageLogging::default()
    };
    if let Some(access) = &raw.access_log {
        let path = format!("{stage_path}.access_log");
        let template = access.format.as_deref().unwrap_or("json");
        let template = Preset::from_name(template).map_or(template, |preset| preset.template(id.api_type));
        match AccessLogFormat::compile(template, id.api_type) {
            Ok(format) => {
                let sink = sinks
                    .sink(
                        &access.destination,
                        access.rotate_bytes.unwrap_or(DEFAULT_ROTATE_BYTES),
                        access.keep_files.unwrap_or(DEFAULT_KEEP_FILES),
                        access.queue_batches.unwrap_or(DEFAULT_QUEUE_BATCHES),
                    )
                    .map_err(|message| problems.push(format!("{path}.destination"), message))
                    .ok()
                    .flatten();
                logging.access = Some(AccessLogging { format, sink });
            }
            Err(e) => problems.push(format!("{path}.format"), e.to_string()),
        }
    }
    if let Some(execution) = &raw.execution_log {
        let path = format!("{stage_path}.execution_log");
        if id.api_type == ApiType::Http {
            problems.push(path.clone(), "HTTP APIs support only access logging (as on AWS); remove execution_log");
        }
        let level = match execution.level.as_str() {
            "OFF" => None,
            "ERROR" => Some(Level::Error),
            "INFO" => Some(Level::Info),
            other => {
                problems.push(format!("{path}.level"), format!("`{other}` is not a logging level: use OFF, ERROR or INFO"));
                None
            }
        };
        if let Some(level) = level {
            let sink = sinks
                .sink(
                    &execution.destination,
                    execution.rotate_bytes.unwrap_or(DEFAULT_ROTATE_BYTES),
                    execution.keep_files.unwrap_or(DEFAULT_KEEP_FILES),
                    DEFAULT_QUEUE_BATCHES,
                )
                .map_err(|message| problems.push(format!("{path}.destination"), message))
                .ok()
                .flatten();
            logging.execution = Some(ExecutionLogging {
                level,
                data_trace: execution.data_trace,
                sink,
            });
        }
    }
    logging
}

/// The parts of a matched route the log phase reads.
pub struct RouteFacts {
    route_key: Arc<str>,
    resource_path: Arc<str>,
    resource_id: Arc<str>,
}

impl RouteFacts {
    /// Facts of `route`.
    #[must_use]
    pub fn new(route: &Route) -> RouteFacts {
        RouteFacts {
            route_key: Arc::clone(&route.route_key),
            resource_path: Arc::clone(&route.resource_path),
            resource_id: Arc::clone(&route.resource_id),
        }
    }
}

/// Execution-log lines of one request, collected as the phases run.
pub struct ExecTrace {
    lines: Vec<u8>,
    request_id: String,
    data_trace: bool,
    failed: bool,
}

impl ExecTrace {
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = write!(self.lines, "({}) ", self.request_id);
        let _ = self.lines.write_fmt(args);
        self.lines.push(b'\n');
    }

    /// The method-request lines.
    pub fn start(&mut self, log: &PendingLog, route: &Route, path: &str, params: Params, query: Option<&str>) {
        let rid = self.request_id.clone();
        self.line(format_args!("Extended Request Id: {}", log.extended_request_id.as_str()));
        self.line(format_args!("Starting execution for request: {rid}"));
        self.line(format_args!("HTTP Method: {}, Resource Path: {}", log.method, route.resource_path));
        let mut text = String::from("{");
        for (i, name) in route.param_names.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(name);
            text.push('=');
            text.push_str(params.get(path, i));
        }
        text.push('}');
        self.line(format_args!("Method request path: {text}"));
        let query_text = query.unwrap_or("").replace('&', ", ");
        self.line(format_args!("Method request query string: {{{query_text}}}"));
    }

    /// The endpoint-request lines.
    pub fn endpoint_request(&mut self, uri: &Uri, headers: &HeaderMap) {
        self.line(format_args!("Endpoint request URI: {uri}"));
        if self.data_trace {
            self.line(format_args!("Endpoint request headers: {}", header_text(headers)));
        }
        self.line(format_args!("Sending request to {uri}"));
    }

    /// The endpoint-response lines.
    pub fn endpoint_response(&mut self, status: u16, latency_ms: u64, headers: &HeaderMap) {
        self.line(format_args!("Received response. Status: {status}, Integration latency: {latency_ms} ms"));
        if self.data_trace {
            self.line(format_args!("Endpoint response headers: {}", header_text(headers)));
        }
        self.line(format_args!("Method response headers: {}", header_text(headers)));
        self.line(format_args!("Successfully completed execution"));
    }

    /// The lines of a mock integration.
    pub fn mock_response(&mut self, status: u16, headers: &HeaderMap, body: &Bytes) {
        self.line(format_args!("Received response. Status: {status}, Integration latency: 0 ms"));
        if self.data_trace {
            self.line(format_args!("Method response body after transformations: {}", String::from_utf8_lossy(body)));
        }
        self.line(format_args!("Method response headers: {}", header_text(headers)));
        self.line(format_args!("Successfully completed execution"));
    }

    /// A failed integration call.
    pub fn integration_failed(&mut self, _kind: ResponseType, message: &str) {
        self.failed = true;
        self.line(format_args!("Execution failed due to configuration error: {message}"));
    }

    /// An integration timeout.
    pub fn integration_timeout(&mut self, timeout: Duration) {
        self.failed = true;
        self.line(format_args!("Execution failed due to a timeout error ({} ms)", timeout.as_millis()));
    }

    /// A gateway response.
    pub fn gateway_response(&mut self, kind: ResponseType, status: u16, body: &Bytes) {
        self.failed = true;
        self.line(format_args!("Gateway response type: {} with status code: {status}", kind.name()));
        self.line(format_args!("Gateway response body: {}", String::from_utf8_lossy(body)));
    }

    fn finish(&mut self, status: u16) {
        self.line(format_args!("Method completed with status: {status}"));
    }
}

fn header_text(headers: &HeaderMap) -> String {
    let mut text = String::from("{");
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(name.as_str());
        text.push('=');
        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    text.push('}');
    text
}

/// Everything the log phase needs about one request, filled in as the phases run.
pub struct PendingLog {
    conn: Arc<ConnInfo>,
    started: Instant,
    /// Request arrival, ms since the epoch.
    pub request_time_ms: u64,
    /// `$context.requestId`.
    pub request_id: RequestId,
    /// `$context.extendedRequestId`.
    pub extended_request_id: ExtendedRequestId,
    /// Trace header sent onward.
    pub trace: TraceHeader,
    /// HTTP method.
    pub method: Method,
    path: Uri,
    version: Version,
    user_agent: Option<HeaderValue>,
    host: Option<HeaderValue>,
    source_ip: IpAddr,
    request_length: u64,
    stage: Option<Arc<Stage>>,
    base_path: Option<String>,
    /// The matched route.
    pub route: Option<RouteFacts>,
    /// Whether the canary served the request.
    pub is_canary: bool,
    /// Status sent to the client.
    pub status: u16,
    /// Integration status, when it answered.
    pub integration_status: Option<u16>,
    /// Integration latency, when one was called.
    pub integration_latency_ms: Option<u64>,
    /// Integration error text.
    pub integration_error: Option<String>,
    /// Gateway response type, when the response is one.
    pub error: Option<ResponseType>,
    /// Execution-log lines.
    pub exec: Option<ExecTrace>,
}

impl PendingLog {
    /// Starts the record of a request.
    #[must_use]
    pub fn new<B>(conn: &Arc<ConnInfo>, req: &Request<B>, source_ip: IpAddr, host: Option<HeaderValue>, trace: TraceHeader) -> PendingLog {
        PendingLog {
            conn: Arc::clone(conn),
            started: Instant::now(),
            request_time_ms: now_ms(),
            request_id: RequestId::generate(),
            extended_request_id: ExtendedRequestId::generate(),
            trace,
            method: req.method().clone(),
            path: req.uri().clone(),
            version: req.version(),
            user_agent: req.headers().get(http::header::USER_AGENT).cloned(),
            host,
            source_ip,
            request_length: req
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            stage: None,
            base_path: None,
            route: None,
            is_canary: false,
            status: 0,
            integration_status: None,
            integration_latency_ms: None,
            integration_error: None,
            error: None,
            exec: None,
        }
    }

    /// Records the stage that serves the request.
    pub fn set_stage(&mut self, stage: Arc<Stage>, base_path: Option<String>) {
        self.stage = Some(stage);
        self.base_path = base_path;
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(2048));
}

impl OnComplete for PendingLog {
    fn complete(mut self: Box<Self>, bytes_sent: u64, _finished: bool) {
        self.conn.request_done();
        let Some(stage) = self.stage.clone() else { return };
        let logging = &stage.logging;
        let mut ip_buf = [0u8; 64];
        let source_ip = format_ip(self.source_ip, &mut ip_buf);
        let host_text = self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        let domain = host_text.rsplit_once(':').filter(|_| !host_text.starts_with('[')).map_or(host_text, |(name, _)| name);
        let protocol = match self.version {
            Version::HTTP_2 => "HTTP/2.0",
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_3 => "HTTP/3.0",
            _ => "HTTP/1.1",
        };
        let message = self.error.map(ResponseType::default_message);
        let record = RequestRecord {
            api_type: Some(stage.api_type),
            account_id: &logging.account_id,
            api_id: &stage.api_id,
            stage: &stage.name,
            request_id: self.request_id.as_str(),
            extended_request_id: self.extended_request_id.as_str(),
            domain_name: domain,
            domain_prefix: domain.split('.').next().unwrap_or(""),
            source_ip,
            user_agent: self.user_agent.as_ref().and_then(|v| v.to_str().ok()),
            http_method: self.method.as_str(),
            path: self.path.path(),
            resource_path: self.route.as_ref().map(|r| &*r.resource_path),
            route_key: self.route.as_ref().map(|r| &*r.route_key),
            resource_id: self.route.as_ref().map(|r| &*r.resource_id),
            protocol,
            status: self.status,
            response_length: bytes_sent,
            request_length: self.request_length,
            waf: None,
            request_time_epoch_ms: self.request_time_ms,
            response_latency_ms: duration_ms(self.started.elapsed()),
            integration: self.integration_latency_ms.map(|latency_ms| IntegrationRecord {
                status: self.integration_status,
                latency_ms,
                error: self.integration_error.as_deref(),
                request_id: None,
            }),
            error: self.error.zip(message).map(|(kind, message)| ErrorRecord {
                message,
                response_type: kind.name(),
                validation_error: None,
            }),
            xray_trace_id: self.trace.root(),
            is_canary: self.is_canary,
            base_path_matched: self.base_path.as_deref(),
        };
        if let Some(access) = &logging.access {
            if let Some(sink) = &access.sink {
                SCRATCH.with_borrow_mut(|buf| {
                    buf.clear();
                    access.format.render(&record, buf);
                    sink.append(buf);
                });
            }
        }
        if let (Some(settings), Some(exec)) = (&logging.execution, self.exec.as_mut()) {
            exec.finish(self.status);
            let wanted = settings.level == Level::Info || exec.failed || self.status >= 400;
            if let (true, Some(sink)) = (wanted, &settings.sink) {
                sink.append(&exec.lines);
            }
        }
    }
}

fn format_ip(ip: IpAddr, buf: &mut [u8; 64]) -> &str {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{ip}");
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}
