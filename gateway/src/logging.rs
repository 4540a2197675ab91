//! The log phase: per-stage access and execution logging, and the record of one request that both read.
//!
//! [`PendingLog`] collects a request's facts as the phases run; when the response body ends,
//! [`crate::body::GatewayBody`] runs its `complete`, which appends the execution-log lines to their sink
//! and hands the record itself to the access-log sink, whose writer thread renders the line
//! ([`crate::log_sink::DeferredRecord`]). Nothing here does I/O on the request path.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::uri::Authority;

use crate::integration::h1::FieldParts;
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Method, Request, Uri, Version};
use moat_formats::access_log::{AccessLogFormat, Preset};
use moat_formats::execution_log::{ExecutionLog, ExecutionLogLevel, ExecutionLogSettings, LineClass};
use moat_formats::record::{ApiType, ErrorRecord, IntegrationRecord, RequestRecord, WafRecord};

use crate::body::OnComplete;
use crate::config::compile::Problems;
use crate::config::raw::RawStage;
use crate::gateway_response::ResponseType;
use crate::ids::{ExtendedRequestId, RequestId, TraceHeader};
use moat_telemetry::cloudwatch_logs::names::{canary_execution_log_group, execution_log_group, validate_log_group};
use moat_telemetry::metrics::Recorder;
use moat_telemetry::otlp::OtlpExporter;
use moat_telemetry::request::{FinishedRequest, IntegrationCall, RequestMetrics, WafOutcome};
use moat_telemetry::xray::sampling::Sampler;
use moat_telemetry::xray::segment::stage_arn;

use crate::log_sink::{DeferredRecord, LogSink};
use crate::pipeline::{content_length, duration_ms, strip_port, ConnInfo};
use crate::routing::Params;
use crate::runtime::{Route, Stage};
use crate::telemetry_hub::{SegmentEmitter, TelemetryHub, TelemetrySettings};

/// Default size at which log files rotate.
pub const DEFAULT_ROTATE_BYTES: u64 = 100 * 1024 * 1024;
/// Default number of rotated files kept.
pub const DEFAULT_KEEP_FILES: u32 = 5;
/// Default number of batches queued for a writer before records are dropped and counted.
pub const DEFAULT_QUEUE_BATCHES: usize = 1024;

/// Opens each destination once, however many stages write to it, and starts the telemetry hub the first
/// time a log is shipped to CloudWatch Logs.
pub struct SinkRegistry {
    base_dir: PathBuf,
    open: bool,
    sinks: HashMap<String, Arc<LogSink>>,
    telemetry: Option<TelemetrySettings>,
    hub: Option<Arc<TelemetryHub>>,
}

impl SinkRegistry {
    /// A registry resolving relative paths against `base_dir`; with `open` false nothing is opened and
    /// no telemetry starts. `telemetry` holds the settings shippers use, when the config is valid.
    #[must_use]
    pub fn new(base_dir: &Path, open: bool, telemetry: Option<TelemetrySettings>) -> SinkRegistry {
        SinkRegistry {
            base_dir: base_dir.to_path_buf(),
            open,
            sinks: HashMap::new(),
            telemetry,
            hub: None,
        }
    }

    /// The telemetry hub, when a sink started it.
    #[must_use]
    pub fn hub(&self) -> Option<Arc<TelemetryHub>> {
        self.hub.clone()
    }

    /// The sink writing to `destination` (`stdout` or a path) and/or shipping to the CloudWatch Logs
    /// group `log_group`; `None` when sinks are not opened (`moat check`).
    pub(crate) fn sink(
        &mut self,
        destination: Option<&str>,
        log_group: Option<&str>,
        (rotate_bytes, keep_files, queue): (u64, u32, usize),
    ) -> Result<Option<Arc<LogSink>>, String> {
        let resolved = destination.map(|d| {
            if d == "stdout" {
                d.to_owned()
            } else {
                self.base_dir.join(d).display().to_string()
            }
        });
        let key = format!("{}\0{}", resolved.as_deref().unwrap_or(""), log_group.unwrap_or(""));
        if let Some(sink) = self.sinks.get(&key) {
            return Ok(Some(Arc::clone(sink)));
        }
        if !self.open {
            return Ok(None);
        }
        let tee = match log_group {
            Some(group) => Some(self.start_hub()?.log_group_tee(group)?),
            None => None,
        };
        let sink =
            LogSink::open_teed(resolved.as_deref(), rotate_bytes, keep_files, queue, tee).map_err(
                |e| match &resolved {
                    Some(path) => format!("cannot open `{path}`: {e}"),
                    None => e.to_string(),
                },
            )?;
        self.sinks.insert(key, Arc::clone(&sink));
        Ok(Some(sink))
    }

    /// Starts the telemetry hub now when metrics or self-metrics are configured (log shipping starts it
    /// on first use).
    ///
    /// # Errors
    /// Why the hub could not start (a listener address in use, an unwritable EMF file).
    pub fn start_telemetry_if_configured(&mut self) -> Result<(), String> {
        let wanted = self
            .telemetry
            .as_ref()
            .is_some_and(|t| t.metrics.is_some() || t.prometheus.is_some() || t.otlp.is_some());
        if wanted && self.open {
            self.start_hub()?;
        }
        Ok(())
    }

    /// What a stage needs to feed metrics: a recorder, and a sink for its request records when it has
    /// no access log (`has_access_sink`).
    fn request_telemetry(&mut self, has_access_sink: bool, tracing: bool) -> Result<Option<RequestTelemetry>, String> {
        if tracing && self.open {
            self.start_hub()?;
        }
        let Some(hub) = &self.hub else { return Ok(None) };
        let recorder = hub.recorder();
        let segments = if tracing { hub.segment_emitter_if_on()? } else { None };
        let otlp = hub.otlp();
        if recorder.is_none() && segments.is_none() && otlp.is_none() {
            return Ok(None);
        }
        let sink = if has_access_sink {
            None
        } else {
            Some(hub.request_sink()?)
        };
        Ok(Some(RequestTelemetry {
            recorder,
            segments,
            otlp,
            sink,
        }))
    }

    /// The sampler stages with tracing on use.
    fn sampler(&self) -> Arc<Sampler> {
        self.telemetry
            .as_ref()
            .map_or_else(|| Arc::new(Sampler::default()), |t| Arc::clone(&t.traces.sampler))
    }

    fn start_hub(&mut self) -> Result<Arc<TelemetryHub>, String> {
        if let Some(hub) = &self.hub {
            return Ok(Arc::clone(hub));
        }
        let settings = self
            .telemetry
            .clone()
            .ok_or_else(|| "the `telemetry` section has errors (see above)".to_owned())?;
        let hub = TelemetryHub::start(settings)?;
        self.hub = Some(Arc::clone(&hub));
        Ok(hub)
    }
}

/// Which stage a stage's logging belongs to.
pub struct StageIdentity<'a> {
    /// REST or HTTP.
    pub api_type: ApiType,
    /// API name.
    pub api_name: &'a str,
    /// Region, for ARNs.
    pub region: &'a str,
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

/// Execution logging of a REST stage.
#[derive(Debug)]
pub struct ExecutionLogging {
    settings: ExecutionLogSettings,
    sink: Option<Arc<LogSink>>,
    canary_sink: Option<Arc<LogSink>>,
}

/// X-Ray tracing of a stage (`tracing: true`): what the request path needs to sample.
#[derive(Debug)]
pub struct StageTracing {
    /// The process's sampling rules.
    pub sampler: Arc<Sampler>,
    /// `{api-name}/{stage}`: the segment name and the rules' ServiceName.
    pub service_name: String,
    /// The stage's ARN, the rules' ResourceARN.
    pub arn: String,
}

/// How a stage's finished requests reach metrics and traces.
pub struct RequestTelemetry {
    recorder: Option<Recorder>,
    segments: Option<Arc<SegmentEmitter>>,
    otlp: Option<Arc<OtlpExporter>>,
    /// The sink carrying request records when the stage has no access log.
    sink: Option<Arc<LogSink>>,
}

impl std::fmt::Debug for RequestTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTelemetry").finish_non_exhaustive()
    }
}

/// A stage's logging settings.
#[derive(Debug, Default)]
pub struct StageLogging {
    /// Metrics and segments of the stage's requests, when configured.
    pub requests: Option<RequestTelemetry>,
    /// Sampling of the stage's requests, when tracing is on.
    pub tracing: Option<StageTracing>,
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
        let execution = self
            .execution
            .iter()
            .flat_map(|e| e.sink.iter().chain(e.canary_sink.iter()));
        for sink in access.into_iter().chain(execution) {
            if let Err(e) = sink.flush_and_close() {
                eprintln!("moat: flushing {}: {e}", sink.destination());
            }
        }
    }

    /// A trace for one request, when execution logging is on.
    #[must_use]
    pub fn execution_trace(&self, request_id: &str) -> Option<ExecTrace> {
        let settings = self.execution.as_ref()?;
        Some(ExecTrace {
            lines: Vec::with_capacity(1024),
            request_id: request_id.to_owned(),
            settings: settings.settings,
            failed: false,
        })
    }
}

/// Builds a stage's logging from its config; problems name the field.
pub fn stage_logging(
    raw: &RawStage,
    id: &StageIdentity<'_>,
    stage_path: &str,
    sinks: &mut SinkRegistry,
    problems: &mut Problems,
) -> StageLogging {
    let mut logging = StageLogging {
        account_id: id.account_id.into(),
        ..StageLogging::default()
    };
    if let Some(access) = &raw.access_log {
        let path = format!("{stage_path}.access_log");
        let template = access.format.as_deref().unwrap_or("default");
        let template = Preset::from_name(template).map_or(template, |preset| preset.template(id.api_type));
        match AccessLogFormat::compile(template, id.api_type) {
            Ok(format) => {
                let group = access.cloudwatch.as_ref().map(|cw| {
                    let field = format!("{path}.cloudwatch.log_group");
                    match &cw.log_group {
                        None => {
                            problems.push(
                                field,
                                "an access log's CloudWatch Logs group has no default (as on AWS, where the \
                                 destination ARN is required): name one",
                            );
                            None
                        }
                        Some(group) => match validate_log_group(&field, group) {
                            Ok(()) => Some(group.clone()),
                            Err(e) => {
                                problems.push(field, e.to_string());
                                None
                            }
                        },
                    }
                });
                if access.destination.is_none() && access.cloudwatch.is_none() {
                    problems.push(
                        format!("{path}.destination"),
                        "an access log needs a destination (`stdout` or a file), a `cloudwatch` log group, or both",
                    );
                }
                let sink = sinks
                    .sink(
                        access.destination.as_deref(),
                        group.flatten().as_deref(),
                        (
                            access.rotate_bytes.unwrap_or(DEFAULT_ROTATE_BYTES),
                            access.keep_files.unwrap_or(DEFAULT_KEEP_FILES),
                            access.queue_batches.unwrap_or(DEFAULT_QUEUE_BATCHES),
                        ),
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
            problems.push(
                path.clone(),
                "HTTP APIs support only access logging (as on AWS); remove execution_log",
            );
        }
        let level = ExecutionLogLevel::from_name(&execution.level);
        if level.is_none() {
            problems.push(
                format!("{path}.level"),
                format!("`{}` is not a logging level: use OFF, ERROR or INFO", execution.level),
            );
        }
        if let Some(level) = level.filter(|l| *l != ExecutionLogLevel::Off) {
            let rotate = execution.rotate_bytes.unwrap_or(DEFAULT_ROTATE_BYTES);
            let keep = execution.keep_files.unwrap_or(DEFAULT_KEEP_FILES);
            if execution.destination.is_none() && execution.cloudwatch.is_none() {
                problems.push(
                    format!("{path}.destination"),
                    "an execution log needs a destination (`stdout` or a file), `cloudwatch`, or both",
                );
            }
            let (group, canary_group) = match &execution.cloudwatch {
                None => (None, None),
                Some(cw) => {
                    let field = format!("{path}.cloudwatch.log_group");
                    let groups = match &cw.log_group {
                        Some(group) => {
                            validate_log_group(&field, group).map(|()| (group.clone(), format!("{group}/Canary")))
                        }
                        None => execution_log_group(&field, id.api_id, id.stage).and_then(|group| {
                            canary_execution_log_group(&field, id.api_id, id.stage).map(|canary| (group, canary))
                        }),
                    };
                    match groups {
                        Ok((group, canary)) => (Some(group), Some(canary)),
                        Err(e) => {
                            problems.push(field, e.to_string());
                            (None, None)
                        }
                    }
                }
            };
            let mut open = |destination: Option<&str>, group: Option<&str>, field: &str| {
                sinks
                    .sink(destination, group, (rotate, keep, DEFAULT_QUEUE_BATCHES))
                    .map_err(|message| problems.push(format!("{path}.{field}"), message))
                    .ok()
                    .flatten()
            };
            let sink = open(execution.destination.as_deref(), group.as_deref(), "destination");
            let canary_destination = execution
                .canary_destination
                .clone()
                .or_else(|| execution.destination.as_deref().and_then(canary_file));
            // The `.../Canary` group only for a stage that has a canary (a file destination keeps its
            // historical default of always opening the canary file).
            let canary_group = canary_group.filter(|_| raw.canary.is_some());
            let canary_sink = if canary_destination.is_some() || canary_group.is_some() {
                open(
                    canary_destination.as_deref(),
                    canary_group.as_deref(),
                    "canary_destination",
                )
            } else {
                None
            };
            logging.execution = Some(ExecutionLogging {
                settings: ExecutionLogSettings {
                    level,
                    data_trace: execution.data_trace,
                },
                sink,
                canary_sink,
            });
        }
    }
    if raw.tracing {
        let api_type = match id.api_type {
            ApiType::Rest => "rest",
            ApiType::Http => "http",
        };
        logging.tracing = Some(StageTracing {
            sampler: sinks.sampler(),
            service_name: format!("{}/{}", id.api_name, id.stage),
            arn: stage_arn(id.region, api_type, id.api_id, id.stage),
        });
    }
    let has_access_sink = logging.access.as_ref().is_some_and(|a| a.sink.is_some());
    match sinks.request_telemetry(has_access_sink, raw.tracing) {
        Ok(requests) => logging.requests = requests,
        Err(message) => problems.push(stage_path.to_owned(), message),
    }
    logging
}

/// Where a canary request's execution-log lines also go when no `canary_destination` is set, mirroring
/// AWS's `.../Canary` log group: `logs/execution.log` -> `logs/execution-Canary.log`; none for stdout.
fn canary_file(destination: &str) -> Option<String> {
    if matches!(destination, "stdout" | "stderr" | "-") {
        return None;
    }
    let path = Path::new(destination);
    let stem = path.file_stem()?.to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-Canary.{}", ext.to_string_lossy()),
        None => format!("{stem}-Canary"),
    };
    Some(path.with_file_name(name).display().to_string())
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

/// Execution-log lines of one request, collected as the phases run (rendered by
/// [`moat_formats::execution_log::ExecutionLog`]).
pub struct ExecTrace {
    lines: Vec<u8>,
    request_id: String,
    settings: ExecutionLogSettings,
    failed: bool,
}

impl ExecTrace {
    fn log(&mut self, step: impl FnOnce(&mut ExecutionLog<'_>)) {
        let mut log = ExecutionLog::resume(self.settings, &self.request_id, &mut self.lines, self.failed);
        step(&mut log);
        self.failed = log.has_failed();
    }

    /// Whether data-trace lines (headers, bodies) are written, so callers collect them only then.
    #[must_use]
    pub fn traces_data(&self) -> bool {
        self.settings.writes(LineClass::DataTrace)
    }

    /// The method-request lines.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        log: &PendingLog,
        api_id: &str,
        stage: &str,
        route: &Route,
        path: &str,
        params: Params,
        query: Option<&str>,
    ) {
        let method = log.method.as_str();
        let extended = log.extended_request_id;
        self.log(|exec| {
            exec.extended_request_id(extended.as_str());
            exec.usage_plan_without_api_key(method, &route.resource_path, api_id, stage);
            exec.starting_execution();
            exec.http_method(method, &route.resource_path);
            if exec.enabled(LineClass::DataTrace) {
                let names = route.param_names.iter().enumerate();
                exec.method_request_path(names.map(|(i, name)| (name.as_str(), params.get(path, i))));
                let pairs = query.unwrap_or("").split('&').filter(|p| !p.is_empty());
                exec.method_request_query_string(pairs.map(|p| p.split_once('=').unwrap_or((p, ""))));
            }
        });
    }

    /// The method-request headers and the endpoint-request lines.
    pub fn endpoint_request<'f>(
        &mut self,
        method_headers: &HeaderMap,
        authority: &Authority,
        path: &str,
        fields: impl Iterator<Item = FieldParts<'f>>,
    ) {
        let uri = format!("http://{authority}{path}");
        self.log(|exec| {
            if exec.enabled(LineClass::DataTrace) {
                exec.method_request_headers(method_headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
            }
            exec.endpoint_request_uri(&uri);
            if exec.enabled(LineClass::DataTrace) {
                exec.endpoint_request_headers(fields.map(|(name, value)| (name, value.concat())));
            }
            exec.sending_request(&uri);
        });
    }

    /// The endpoint-response lines.
    pub fn endpoint_response(&mut self, status: u16, latency_ms: u64, headers: &HeaderMap) {
        self.log(|exec| {
            exec.received_response(status, latency_ms);
            if exec.enabled(LineClass::DataTrace) {
                exec.endpoint_response_headers(headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
                exec.method_response_headers(headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
            }
            exec.successfully_completed();
        });
    }

    /// The lines of a mock integration.
    pub fn mock_response(&mut self, status: u16, headers: &HeaderMap, body: &Bytes) {
        self.log(|exec| {
            exec.received_response(status, 0);
            if exec.enabled(LineClass::DataTrace) {
                exec.method_response_body(body);
                exec.method_response_headers(headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
            }
            exec.successfully_completed();
        });
    }

    /// A failed integration call.
    pub fn integration_failed(&mut self, message: &str) {
        self.log(|exec| exec.configuration_error(message));
    }

    /// An integration timeout.
    pub fn integration_timeout(&mut self) {
        self.log(|exec| exec.timeout());
    }

    /// A gateway response.
    pub fn gateway_response(&mut self, kind: ResponseType, status: u16, body: &Bytes) {
        self.log(|exec| {
            exec.gateway_response(kind.name(), status);
            exec.gateway_response_body(body);
        });
    }

    fn finish(&mut self, status: u16) {
        self.log(|exec| exec.method_completed(status));
    }
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
    /// Which API type's id fields the response carries (see `id_fields`).
    pub response_api_type: ApiType,
    /// Status sent to the client.
    pub status: u16,
    /// Integration status, when it answered.
    pub integration_status: Option<u16>,
    /// Integration latency, when one was called.
    pub integration_latency_ms: Option<u64>,
    /// Integration error text.
    pub integration_error: Option<String>,
    /// The URL the integration was called at, kept for traced (sampled) requests only.
    pub integration_url: Option<String>,
    /// Gateway response type, when the response is one.
    pub error: Option<ResponseType>,
    /// Execution-log lines.
    pub exec: Option<ExecTrace>,
    /// The stage's WAF decision, when the stage has a WebACL.
    pub waf: Option<crate::waf::WafFacts>,
    /// Response body bytes sent (set when the body ends).
    response_length: u64,
    /// Milliseconds from arrival to the end of the response (set when the body ends).
    response_latency_ms: u64,
}

impl PendingLog {
    /// Starts the record of a request.
    #[must_use]
    pub fn new<B>(
        conn: &Arc<ConnInfo>,
        req: &Request<B>,
        source_ip: IpAddr,
        host: Option<HeaderValue>,
        trace: TraceHeader,
        (arrived, epoch_ms): (Instant, u64),
    ) -> PendingLog {
        PendingLog {
            conn: Arc::clone(conn),
            started: arrived,
            request_time_ms: epoch_ms,
            request_id: RequestId::generate(),
            extended_request_id: ExtendedRequestId::generate(),
            trace,
            method: req.method().clone(),
            path: req.uri().clone(),
            version: req.version(),
            user_agent: req.headers().get(http::header::USER_AGENT).cloned(),
            host,
            source_ip,
            request_length: content_length(req.headers()).unwrap_or(0),
            stage: None,
            base_path: None,
            route: None,
            is_canary: false,
            response_api_type: ApiType::Rest,
            status: 0,
            integration_status: None,
            integration_latency_ms: None,
            integration_error: None,
            integration_url: None,
            error: None,
            exec: None,
            waf: None,
            response_length: 0,
            response_latency_ms: 0,
        }
    }

    /// When the request arrived.
    #[must_use]
    pub fn arrived(&self) -> Instant {
        self.started
    }

    /// Records the stage that serves the request.
    pub fn set_stage(&mut self, stage: Arc<Stage>, base_path: Option<String>) {
        self.stage = Some(stage);
        self.base_path = base_path;
    }
}

/// The response fields of a request's ids, as API Gateway sends them.
const X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const X_AMZ_APIGW_ID: HeaderName = HeaderName::from_static("x-amz-apigw-id");
const APIGW_REQUESTID: HeaderName = HeaderName::from_static("apigw-requestid");
/// The W3C trace context header, forwarded consistent with `X-Amzn-Trace-Id`.
pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `X-Amzn-Trace-Id`: read from the request (pipeline) and sent back on the response.
pub(crate) const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// Every field [`OnComplete::id_fields`] may supply, whichever the API type: an endpoint's own values of
/// these never reach the client.
pub const ID_FIELDS: [HeaderName; 4] = [X_AMZN_REQUEST_ID, X_AMZ_APIGW_ID, APIGW_REQUESTID, X_AMZN_TRACE_ID];

/// Whether a response field is one of the id fields [`OnComplete::id_fields`] supplies (an endpoint's own
/// is dropped).
#[must_use]
pub fn is_id_field(name: &HeaderName) -> bool {
    let text = name.as_str();
    // The prefix test keeps the common case (no id field) to one comparison.
    (text.starts_with("x-amz") || text.starts_with("apigw-")) && ID_FIELDS.contains(name)
}

impl OnComplete for PendingLog {
    fn id_fields(&self, field: &mut dyn FnMut(&HeaderName, &[u8])) {
        // REST APIs answer with `x-amzn-RequestId`, `x-amz-apigw-id` and `X-Amzn-Trace-Id`; HTTP APIs
        // with `apigw-requestid` alone (AWS's HTTP API examples show it and no other id field, e.g.
        // <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html>),
        // to which Moat adds `x-amzn-RequestId` so that every response names its request the same way.
        field(&X_AMZN_REQUEST_ID, self.request_id.as_bytes());
        if self.response_api_type == ApiType::Http {
            field(&APIGW_REQUESTID, self.request_id.as_bytes());
        } else {
            field(&X_AMZ_APIGW_ID, self.extended_request_id.as_bytes());
            field(&X_AMZN_TRACE_ID, self.trace.root_bytes());
        }
    }

    fn complete(mut self: Box<Self>, bytes_sent: u64, _finished: bool) {
        self.response_latency_ms = duration_ms(self.started.elapsed());
        self.response_length = bytes_sent;
        self.conn.request_done(self.request_time_ms + self.response_latency_ms);
        let Some(stage) = self.stage.clone() else { return };
        if let (Some(settings), Some(exec)) = (&stage.logging.execution, self.exec.as_mut()) {
            exec.finish(self.status);
            if !exec.lines.is_empty() {
                if let Some(sink) = &settings.sink {
                    sink.append(&exec.lines);
                }
                if let (true, Some(sink)) = (self.is_canary, &settings.canary_sink) {
                    sink.append(&exec.lines);
                }
            }
        }
        // The access-log line is rendered here, into the sink's batch. Handing the record to the writer
        // thread to render measured worse on a busy 2-core machine (p99 of proxied requests 3-12 % higher,
        // 2026-11-26): the record's Arcs and the request head it shares were released on the other core,
        // pulling those cache lines back and forth, and the writer's longer bursts preempted the worker.
        // With metrics or traces on, the record still goes to the writer thread, which feeds them from it
        // (`finished`) once the line is written: telemetry stays off the request path.
        if let Some(sink) = stage.logging.access.as_ref().and_then(|a| a.sink.as_ref()) {
            if stage.logging.requests.is_some() {
                sink.append_rendered(self);
            } else {
                sink.write_with(|out| DeferredRecord::render(&*self, out));
            }
        } else if let Some(sink) = stage.logging.requests.as_ref().and_then(|r| r.sink.as_ref()) {
            sink.append_deferred(self);
        }
    }
}

/// `$context.protocol` (and the WAF's `httpVersion`): `HTTP/1.1`, `HTTP/2.0`...
#[must_use]
pub fn protocol_text(version: Version) -> &'static str {
    match version {
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

impl PendingLog {
    /// What metrics aggregate, borrowed from the record and its stage.
    fn request_metrics<'a>(&'a self, stage: &'a Stage) -> RequestMetrics<'a> {
        RequestMetrics {
            api_type: match stage.api_type {
                ApiType::Rest => "rest",
                ApiType::Http => "http",
            },
            api_id: &stage.api_id,
            api_name: &stage.api_name,
            stage: &stage.name,
            is_canary: self.is_canary,
            method: self.method.as_str(),
            resource: self.route.as_ref().map(|r| match stage.api_type {
                ApiType::Rest => &*r.resource_path,
                ApiType::Http => &*r.route_key,
            }),
            status: self.status,
            latency_us: self.response_latency_ms * 1000,
            integration_latency_us: self.integration_latency_ms.map(|ms| ms * 1000),
        }
    }

    /// The facts trace exporters build from (allocates: called on a writer thread, for sampled
    /// requests only).
    fn finished_request(&self, stage: &Stage) -> FinishedRequest {
        let start_us = self.request_time_ms * 1000;
        let end_us = start_us + self.response_latency_ms * 1000;
        let host = self.host.as_ref().and_then(|h| h.to_str().ok()).map(str::to_owned);
        let facts = self.request_metrics(stage);
        let integration = self.integration_latency_ms.map(|latency_ms| {
            let timed_out = self.error == Some(ResponseType::IntegrationTimeout);
            IntegrationCall {
                kind: "http_proxy",
                url: self.integration_url.clone(),
                method: self.method.as_str().to_owned(),
                start_us: end_us.saturating_sub(latency_ms * 1000),
                end_us,
                status: self.integration_status,
                error: self.integration_error.clone(),
                timed_out,
            }
        });
        FinishedRequest {
            request_id: self.request_id.as_str().to_owned(),
            extended_request_id: self.extended_request_id.as_str().to_owned(),
            api_id: facts.api_id.to_owned(),
            api_name: facts.api_name.to_owned(),
            api_type: facts.api_type,
            stage: facts.stage.to_owned(),
            is_canary: facts.is_canary,
            resource: facts.resource.map(str::to_owned),
            method: facts.method.to_owned(),
            url: format!(
                "{}://{}{}",
                if self.conn.tls { "https" } else { "http" },
                host.as_deref().unwrap_or(""),
                self.path
            ),
            host,
            client_ip: self.source_ip,
            user_agent: self
                .user_agent
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            protocol: protocol_text(self.version),
            status: self.status,
            response_length: self.response_length,
            start_us,
            end_us,
            error_type: self.error.map(|kind| kind.name().to_owned()),
            integration,
            waf: self.waf.as_ref().map(|w| WafOutcome {
                action: if w.blocked { "BLOCK" } else { "ALLOW" }.to_owned(),
                terminating_rule_id: String::new(),
                web_acl: w.arn.to_string(),
            }),
            trace: self.trace.context(),
        }
    }
}

impl DeferredRecord for PendingLog {
    fn finished(self: Box<Self>) {
        let Some(stage) = &self.stage else { return };
        let Some(requests) = &stage.logging.requests else {
            return;
        };
        // Metrics from borrowed facts: most requests end here, with no allocation.
        if requests.recorder.is_some() || requests.otlp.is_some() {
            let metrics = self.request_metrics(stage);
            if let Some(recorder) = &requests.recorder {
                recorder.record_metrics(&metrics);
            }
            if let Some(otlp) = &requests.otlp {
                otlp.record_metrics(&metrics);
            }
        }
        // Spans only for stages with tracing on, whatever a caller's header asked.
        let sampled = self.trace.sampled();
        let traced = requests.segments.as_ref().filter(|_| sampled);
        let spans = requests
            .otlp
            .as_ref()
            .filter(|otlp| sampled && stage.logging.tracing.is_some() && otlp.exports_spans());
        if traced.is_none() && spans.is_none() {
            return;
        }
        let mut finished = self.finished_request(stage);
        finished.trace.sampled &= stage.logging.tracing.is_some();
        if let Some(segments) = traced {
            segments.emit(&finished);
        }
        if let Some(otlp) = spans {
            otlp.record_spans(&Arc::new(finished));
        }
    }

    fn render(&self, out: &mut Vec<u8>) {
        let Some(stage) = &self.stage else { return };
        let logging = &stage.logging;
        let Some(access) = &logging.access else { return };
        let mut ip_buf = [0u8; 64];
        let source_ip = if self.source_ip == self.conn.peer.ip() {
            self.conn.peer_text.as_str()
        } else {
            format_ip(self.source_ip, &mut ip_buf)
        };
        let host_text = self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        let domain = strip_port(host_text);
        let protocol = protocol_text(self.version);
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
            response_length: self.response_length,
            request_length: self.request_length,
            waf: self.waf.as_ref().map(|w| WafRecord {
                web_acl_arn: &w.arn,
                response_code: if w.blocked { "WAF_BLOCK" } else { "WAF_ALLOW" },
                latency_ms: w.latency_ms,
                status: w.status,
            }),
            request_time_epoch_ms: self.request_time_ms,
            response_latency_ms: self.response_latency_ms,
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
        access.format.render(&record, out);
    }
}

fn format_ip(ip: IpAddr, buf: &mut [u8; 64]) -> &str {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{ip}");
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}
