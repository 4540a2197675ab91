//! The config file as written by users: serde structs that mirror the YAML/JSON, with no validation beyond
//! types. [`super::compile`] turns a [`RawConfig`] into the typed, immutable [`crate::runtime::Gateway`].
//!
//! Every struct rejects unknown fields, so a typo is an error that names its place instead of a silently
//! ignored setting.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Listeners. A plain `listen: 127.0.0.1:8080` is shorthand for one plain-HTTP listener.
    #[serde(default)]
    pub listen: Option<String>,
    /// Listeners with options (TLS); combined with `listen`.
    #[serde(default)]
    pub listeners: Vec<RawListener>,
    /// Process-wide settings.
    #[serde(default)]
    pub server: RawServer,
    /// Request limits.
    #[serde(default)]
    pub limits: RawLimits,
    /// Custom domain names with base path mappings and TLS certificates.
    #[serde(default)]
    pub domains: Vec<RawDomain>,
    /// The APIs this gateway serves.
    #[serde(default)]
    pub apis: Vec<RawApi>,
    /// Telemetry out: CloudWatch Logs shipping, the spool, AWS endpoint overrides.
    #[serde(default)]
    pub telemetry: RawTelemetry,
}

/// Process-wide telemetry settings (`docs/telemetry.md`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelemetry {
    /// Overrides of the standard AWS configuration chain.
    #[serde(default)]
    pub aws: RawAws,
    /// The log stream of every shipped log group; default: this host's name.
    pub log_stream: Option<String>,
    /// The on-disk spool that holds records an endpoint cannot take yet.
    #[serde(default)]
    pub spool: RawSpool,
    /// Most records each shipper holds in memory before spooling (default 65536).
    pub memory_records: Option<usize>,
    /// Longest a record waits for its batch to fill, e.g. `1s` (default).
    pub flush_interval: Option<String>,
    /// How long shutdown lets shippers deliver before leaving the rest in the spool (default `5s`).
    pub shutdown_grace: Option<String>,
    /// API Gateway's metrics (Count, 4XXError, 5XXError, Latency, IntegrationLatency) in Embedded
    /// Metric Format; off when absent.
    pub metrics: Option<RawMetrics>,
    /// Moat's own metrics in the Prometheus text format; off when absent.
    pub prometheus: Option<RawPrometheus>,
    /// Where the segments of stages with `tracing: true` go, and how requests are sampled.
    #[serde(default)]
    pub traces: RawTraces,
    /// OpenTelemetry export (spans of sampled requests, API Gateway's metrics); off when absent.
    pub otlp: Option<RawOtlp>,
}

/// OTLP export settings; unset fields come from the `OTEL_EXPORTER_OTLP_*` environment, then the
/// OpenTelemetry defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOtlp {
    /// The collector, e.g. `http://127.0.0.1:4317` (gRPC) or `http://127.0.0.1:4318` (HTTP).
    pub endpoint: Option<String>,
    /// `grpc` (default) or `http/protobuf`.
    pub protocol: Option<String>,
    /// Extra request headers (authentication).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Export timeout, e.g. `10s` (default).
    pub timeout: Option<String>,
    /// `service.name` of the resource (default `moat`).
    pub service_name: Option<String>,
    /// Export spans of sampled requests (default true).
    pub traces: Option<bool>,
    /// Export API Gateway's metrics (default true).
    pub metrics: Option<bool>,
}

/// Tracing settings shared by every stage with `tracing: true`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraces {
    /// X-Ray sampling rules, as `aws xray get-sampling-rules` prints them (or the bare list); default
    /// X-Ray's `Default` rule, 1 request a second and 5 % of the rest.
    pub sampling_rules: Option<serde_json::Value>,
    /// Where segment documents go.
    #[serde(default)]
    pub xray: RawXray,
}

/// The X-Ray transport.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawXray {
    /// `udp` (default: to the X-Ray daemon or an OTel Collector's awsxray receiver) or `api`
    /// (PutTraceSegments through the AWS SDK, batched, retried and spooled).
    pub transport: Option<String>,
    /// The daemon's address for `udp`: `host:port` or `udp:host:port tcp:host:port`; default
    /// `AWS_XRAY_DAEMON_ADDRESS`, else 127.0.0.1:2000.
    pub daemon_address: Option<String>,
}

/// Metric aggregation and where its EMF records go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    /// Aggregation interval, whole seconds from 1s to 3600s (default `60s`).
    pub interval: Option<String>,
    /// CloudWatch namespace (default `Moat/ApiGateway`; `AWS/` is reserved).
    pub namespace: Option<String>,
    /// Per-method metrics (Method and Resource dimensions), as API Gateway's detailed metrics (default true).
    pub detailed: Option<bool>,
    /// Most series held at once (default 2000).
    pub max_series: Option<usize>,
    /// Where EMF records are written: `stdout` or a file path.
    pub destination: Option<String>,
    /// Ship EMF records to CloudWatch Logs (group default `moat-metrics`).
    pub cloudwatch: Option<RawCloudWatchLogs>,
}

/// The self-metrics listener.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrometheus {
    /// `host:port` serving `GET /metrics` (default `127.0.0.1:9464`).
    pub listen: Option<String>,
}

/// Overrides of the standard AWS chain (environment, profile, instance metadata).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAws {
    /// The region; `AWS_REGION` otherwise.
    pub region: Option<String>,
    /// The endpoint of every AWS service; `AWS_ENDPOINT_URL` otherwise.
    pub endpoint_url: Option<String>,
}

/// The spool's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpool {
    /// Directory (relative to the config file); default `moat-spool`. `none` keeps records in memory only.
    pub dir: Option<String>,
    /// Most bytes each destination's spool may hold (default 1 GiB).
    pub max_bytes: Option<u64>,
    /// fsync every append, so spooled records survive a machine crash too (default false).
    #[serde(default)]
    pub fsync: bool,
}

/// A CloudWatch Logs destination of a log.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCloudWatchLogs {
    /// The log group; required for access logs, defaults to API Gateway's names for execution logs.
    pub log_group: Option<String>,
}

/// One listening socket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListener {
    /// `host:port` to bind.
    pub address: String,
    /// Terminate TLS here, choosing the certificate of the matching custom domain by SNI.
    #[serde(default)]
    pub tls: bool,
}

/// Process-wide settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Worker threads (one current-thread runtime each); `moat serve --threads` overrides it.
    pub threads: Option<usize>,
    /// How long SIGTERM/SIGINT waits for in-flight requests before exiting, e.g. `30s`.
    pub grace_period: Option<String>,
    /// Peers (IPs or CIDRs) whose `X-Forwarded-For` is trusted for `$context.identity.sourceIp`.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The 12-digit account id reported as `$context.accountId`.
    pub account_id: Option<String>,
    /// The region used in `$context.domainName` defaults and ARNs.
    pub region: Option<String>,
}

/// Request limits; every field has a documented default (`docs/config.md`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Request line plus headers, in bytes (AWS: 10,240).
    pub max_header_bytes: Option<usize>,
    /// Request body, in bytes (AWS: 10 MB).
    pub max_body_bytes: Option<u64>,
    /// Time allowed to receive the request line and headers.
    pub header_read_timeout: Option<String>,
    /// Time allowed to receive the whole request body.
    pub body_read_timeout: Option<String>,
    /// Idle keep-alive connections are closed after this long.
    pub idle_timeout: Option<String>,
    /// Client connections served at once per process; further connections wait (each worker holds at most
    /// one accepted, unserved connection; the rest stay in the kernel's accept backlog).
    pub max_connections: Option<usize>,
    /// Concurrent HTTP/2 streams per connection.
    pub http2_max_concurrent_streams: Option<u32>,
    /// Status line plus headers of an integration's response, in bytes.
    pub max_response_header_bytes: Option<usize>,
}

/// A custom domain name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    /// The host name clients use (`api.example.com`).
    pub name: String,
    /// PEM certificate chain for TLS listeners.
    pub certificate: Option<String>,
    /// PEM private key for TLS listeners.
    pub key: Option<String>,
    /// Base path mappings: which API stage serves which first path segment.
    #[serde(default)]
    pub mappings: Vec<RawMapping>,
}

/// A base path mapping of a custom domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMapping {
    /// First path segment(s), without slashes at either end; empty or `(none)` maps the root.
    #[serde(default)]
    pub base_path: String,
    /// API name.
    pub api: String,
    /// Stage name.
    pub stage: String,
}

/// An API: `rest` or `http`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// Unique name (`$context.apiName` in metrics, selector in mappings).
    pub name: String,
    /// `rest` or `http`.
    #[serde(rename = "type")]
    pub api_type: String,
    /// The 10-character API id (`$context.apiId`); derived from the name when absent.
    pub id: Option<String>,
    /// Routes of the API's current deployment, keyed by route key (`GET /products/{id}`, `$default`).
    #[serde(default)]
    pub routes: BTreeMap<String, RawRoute>,
    /// Other deployments (for example the one a canary runs), each with its own routes.
    #[serde(default)]
    pub deployments: BTreeMap<String, RawDeployment>,
    /// Stages by name.
    #[serde(default)]
    pub stages: BTreeMap<String, RawStage>,
    /// Gateway response overrides by response type (`DEFAULT_4XX`, `INTEGRATION_TIMEOUT`, ...).
    #[serde(default)]
    pub gateway_responses: BTreeMap<String, RawGatewayResponse>,
}

/// A named deployment: a snapshot of routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    /// Routes of this deployment.
    #[serde(default)]
    pub routes: BTreeMap<String, RawRoute>,
}

/// One route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// What serves the route.
    pub integration: RawIntegration,
}

/// An integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegration {
    /// `http_proxy` or `mock`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `http_proxy`: the target URI, with `{param}`, `{proxy}` and `${stageVariables.name}`.
    pub uri: Option<String>,
    /// `http_proxy`: integration timeout, e.g. `29s` or `500ms` (AWS default 29 s).
    pub timeout: Option<String>,
    /// `mock`: status code (default 200).
    pub status: Option<u16>,
    /// `mock`: response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `mock`: response body.
    pub body: Option<String>,
}

/// A stage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// The deployment this stage serves; the API's `routes` when absent.
    pub deployment: Option<String>,
    /// Stage variables (`${stageVariables.name}`).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Trace sampled requests to X-Ray (AWS `tracingEnabled`).
    #[serde(default)]
    pub tracing: bool,
    /// Canary settings.
    pub canary: Option<RawCanary>,
    /// Access logging.
    pub access_log: Option<RawAccessLog>,
    /// Execution logging (REST APIs only).
    pub execution_log: Option<RawExecutionLog>,
    /// The stage's WebACL (AWS WAF v2 JSON or YAML).
    pub waf: Option<RawWaf>,
}

/// A stage's WebACL and the resources it references, as files (paths relative to the config file).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaf {
    /// The WebACL, as `aws wafv2 get-web-acl` prints it (or the bare `WebACL` object; JSON or YAML).
    pub web_acl: String,
    /// IP sets the WebACL references by ARN (`aws wafv2 get-ip-set` output).
    #[serde(default)]
    pub ip_sets: Vec<String>,
    /// Regex pattern sets the WebACL references (`aws wafv2 get-regex-pattern-set` output).
    #[serde(default)]
    pub regex_pattern_sets: Vec<String>,
    /// Rule groups the WebACL references (`aws wafv2 get-rule-group` output).
    #[serde(default)]
    pub rule_groups: Vec<String>,
    /// A MaxMind-format country database for `GeoMatchStatement` (e.g. GeoLite2-Country.mmdb).
    pub geo_database: Option<String>,
    /// The WAF log (AWS WAF's log record format).
    pub log: Option<RawWafLog>,
}

/// Where a stage's WAF log records go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWafLog {
    /// `stdout` or a file path; may be left out when `cloudwatch` is set.
    pub destination: Option<String>,
    /// Also (or only) ship the records to CloudWatch Logs; the group must start with `aws-waf-logs-`
    /// (as AWS WAF requires) and defaults to `aws-waf-logs-{web ACL name}`.
    pub cloudwatch: Option<RawCloudWatchLogs>,
    /// Request parts written as `REDACTED` (AWS `RedactedFields`).
    #[serde(default)]
    pub redacted_fields: RawRedactedFields,
    /// Rotate the file when it reaches this many bytes (default 100 MiB; 0 disables rotation).
    pub rotate_bytes: Option<u64>,
    /// Rotated files kept (default 5).
    pub keep_files: Option<u32>,
    /// Batches waiting for the writer before new records are dropped and counted (default 1024).
    pub queue_batches: Option<usize>,
}

/// Request parts a WAF log redacts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedactedFields {
    /// Header names (case-insensitive).
    #[serde(default)]
    pub headers: Vec<String>,
    /// The query string.
    #[serde(default)]
    pub query_string: bool,
    /// The URI path.
    #[serde(default)]
    pub uri_path: bool,
    /// The method.
    #[serde(default)]
    pub method: bool,
}

/// Canary settings of a stage (AWS `canarySettings`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCanary {
    /// Share of requests sent to the canary, 0.0 to 100.0 (`percentTraffic`).
    pub percent: f64,
    /// Deployment the canary serves (`deploymentId`); the stage's deployment when absent.
    pub deployment: Option<String>,
    /// Stage variables overridden for canary requests (`stageVariableOverrides`).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// Access-log settings of a stage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessLog {
    /// `stdout` or a file path; may be left out when `cloudwatch` is set.
    pub destination: Option<String>,
    /// Also (or only) ship the lines to this CloudWatch Logs group.
    pub cloudwatch: Option<RawCloudWatchLogs>,
    /// `json` (default), `clf`, `csv`, `xml`, or a `$context` format string.
    pub format: Option<String>,
    /// Rotate the file when it reaches this many bytes (default 100 MiB; 0 disables rotation).
    pub rotate_bytes: Option<u64>,
    /// Rotated files kept (default 5).
    pub keep_files: Option<u32>,
    /// Batches waiting for the writer before new records are dropped and counted (default 1024).
    pub queue_batches: Option<usize>,
}

/// Execution-log settings of a REST stage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExecutionLog {
    /// `OFF`, `ERROR` or `INFO` (AWS `loggingLevel`).
    pub level: String,
    /// Log full request and response data (AWS `dataTraceEnabled`).
    #[serde(default)]
    pub data_trace: bool,
    /// `stdout` or a file path; may be left out when `cloudwatch` is set.
    pub destination: Option<String>,
    /// Also (or only) ship the lines to CloudWatch Logs: by default to API Gateway's groups,
    /// `API-Gateway-Execution-Logs_{apiId}/{stage}` (and `.../Canary` for canary requests).
    pub cloudwatch: Option<RawCloudWatchLogs>,
    /// Where canary requests' lines also go (AWS's `.../Canary` group); by default the destination's
    /// name with `-Canary` before the extension (none for stdout).
    pub canary_destination: Option<String>,
    /// Rotate the file when it reaches this many bytes (default 100 MiB; 0 disables rotation).
    pub rotate_bytes: Option<u64>,
    /// Rotated files kept (default 5).
    pub keep_files: Option<u32>,
}

/// A gateway response override.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGatewayResponse {
    /// Status code; the response type's default when absent.
    pub status: Option<u16>,
    /// Extra response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body template; `$context.error.message`, `$context.error.messageString`, `$context.requestId` and
    /// `$context.error.responseType` are substituted.
    pub body: Option<String>,
}
