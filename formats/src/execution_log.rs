//! REST API execution logs: the `(requestId) text` lines API Gateway writes to
//! `API-Gateway-Execution-Logs_{apiId}/{stage}` while it runs a request.
//!
//! The gateway makes one [`ExecutionLog`] per request over a reused buffer and calls one method per
//! step, in AWS's order; each method checks the stage's [`ExecutionLogSettings`] and writes its line or
//! nothing. Line texts, in AWS's order (an AWS test-invoke transcript in "Tutorial: Build a REST API
//! with a Lambda non-proxy integration", <https://docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-lambda-non-proxy-integration.html>,
//! and "How can I use API Gateway logs to troubleshoot API issues?",
//! <https://repost.aws/knowledge-center/api-gateway-logs>):
//!
//! | method | text | class |
//! |---|---|---|
//! | [`extended_request_id`](ExecutionLog::extended_request_id) | `Extended Request Id: J3tzkF4pIAMFqXg=` | INFO |
//! | [`usage_plan_without_api_key`](ExecutionLog::usage_plan_without_api_key) | `Verifying Usage Plan for request: …`, `API Key  authorized because method 'GET /pets/{id}' does not require API Key. …`, `Usage Plan check succeeded for …` | INFO |
//! | [`starting_execution`](ExecutionLog::starting_execution) | `Starting execution for request: <rid>` | INFO |
//! | [`http_method`](ExecutionLog::http_method) | `HTTP Method: GET, Resource Path: /pets/42` | INFO |
//! | [`method_request_path`](ExecutionLog::method_request_path) … `_body` | `Method request path: {id=42}`, `… query string: {…}`, `… headers: {…}`, `Method request body before transformations: …` | data trace |
//! | [`endpoint_request_uri`](ExecutionLog::endpoint_request_uri) | `Endpoint request URI: http://…` | INFO |
//! | [`endpoint_request_headers`](ExecutionLog::endpoint_request_headers), `_body` | `Endpoint request headers: {…}`, `Endpoint request body after transformations: …` | data trace |
//! | [`sending_request`](ExecutionLog::sending_request) | `Sending request to http://…` | INFO |
//! | [`received_response`](ExecutionLog::received_response) | `Received response. Status: 200, Integration latency: 12 ms` | INFO |
//! | [`endpoint_response_headers`](ExecutionLog::endpoint_response_headers), `_body` | `Endpoint response headers: {…}`, `Endpoint response body before transformations: …` | data trace |
//! | [`method_response_body`](ExecutionLog::method_response_body), `_headers` | `Method response body after transformations: …`, `Method response headers: {…}` | data trace |
//! | [`successfully_completed`](ExecutionLog::successfully_completed) | `Successfully completed execution` | INFO |
//! | [`timeout`](ExecutionLog::timeout) | `Execution failed due to a timeout error` | ERROR |
//! | [`configuration_error`](ExecutionLog::configuration_error) | `Execution failed due to configuration error: Malformed Lambda proxy response` | ERROR |
//! | [`gateway_response`](ExecutionLog::gateway_response) | `Gateway response type: AUTHORIZER_CONFIGURATION_ERROR with status code: 500` | ERROR |
//! | [`gateway_response_body`](ExecutionLog::gateway_response_body), `_headers` | `Gateway response body: …`, `Gateway response headers: {…}` | data trace |
//! | [`method_completed`](ExecutionLog::method_completed) | `Method completed with status: 200` | INFO, ERROR after a failure |
//!
//! AWS documents the levels only as "ERROR: errors only; INFO: errors and informational events; data
//! tracing: full request and response data". The per-line classes above are Moat's reading of real logs:
//! ERROR-only logs of failed requests show the `Execution failed …` line followed by `Method completed
//! with status: 504`, so after an ERROR line the closing line is an ERROR line too. `Gateway response
//! type: … with status code: …` is quoted from a real log; the `Gateway response body/headers` texts
//! follow the same pattern and are Moat's.
//!
//! Every line is one line: control characters in values are escaped (`\n`, `\r`, `\t`, `\u00XX`), and an
//! event longer than 1024 bytes is cut there and ends in ` [TRUNCATED]` ("API Gateway currently limits
//! log events to 1024 bytes. Log events larger than 1024 bytes, such as request and response bodies,
//! will be truncated by API Gateway before submission to CloudWatch Logs", "Amazon API Gateway important
//! notes"; the mark as seen in AWS's test-invoke output). Header maps print as `{Name=value, Name2=value}`;
//! `Authorization`, `Proxy-Authorization` and `X-Amz-Security-Token` values are replaced by `*`s and
//! `X-Api-Key` keeps only its last 6 characters ("API Gateway redacts authorization headers, API key
//! values, and similar sensitive request parameters from the logged data", set-up-logging.html).

#[cfg(test)]
mod tests;

/// The most bytes one execution-log event may have before it is truncated.
pub const MAX_EVENT_BYTES: usize = 1024;

/// What a truncated event ends with.
pub const TRUNCATED_MARK: &str = " [TRUNCATED]";

/// The prefix of a stage's execution-log group, `API-Gateway-Execution-Logs_{apiId}/{stage}`.
pub const EXECUTION_LOG_GROUP_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// A stage's `loggingLevel` method setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ExecutionLogLevel {
    /// No execution logs (AWS's default).
    #[default]
    Off,
    /// Errors only.
    Error,
    /// Errors and informational events.
    Info,
}

impl ExecutionLogLevel {
    /// The level called `name` as in `loggingLevel` (`OFF`, `ERROR`, `INFO`, any case).
    #[must_use]
    pub fn from_name(name: &str) -> Option<ExecutionLogLevel> {
        [
            ExecutionLogLevel::Off,
            ExecutionLogLevel::Error,
            ExecutionLogLevel::Info,
        ]
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(name))
    }

    /// The name AWS uses: `OFF`, `ERROR` or `INFO`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionLogLevel::Off => "OFF",
            ExecutionLogLevel::Error => "ERROR",
            ExecutionLogLevel::Info => "INFO",
        }
    }
}

/// Which setting a line needs to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineClass {
    /// Written at `ERROR` and `INFO`.
    Error,
    /// Written at `INFO`.
    Info,
    /// Written at `INFO` with data tracing (`dataTraceEnabled`, "Full request and response logs").
    DataTrace,
}

/// A stage's (or method's) execution-log settings: `loggingLevel` and `dataTraceEnabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExecutionLogSettings {
    /// `loggingLevel`.
    pub level: ExecutionLogLevel,
    /// `dataTraceEnabled`: also log request and response data (only at `INFO`).
    pub data_trace: bool,
}

impl ExecutionLogSettings {
    /// Logging off.
    pub const OFF: ExecutionLogSettings = ExecutionLogSettings {
        level: ExecutionLogLevel::Off,
        data_trace: false,
    };

    /// Whether a line of `class` is written under these settings.
    #[must_use]
    pub fn writes(self, class: LineClass) -> bool {
        match class {
            LineClass::Error => self.level >= ExecutionLogLevel::Error,
            LineClass::Info => self.level >= ExecutionLogLevel::Info,
            LineClass::DataTrace => self.level >= ExecutionLogLevel::Info && self.data_trace,
        }
    }
}

/// The execution-log groups of a stage: every request's lines go to `stage`; a canary request's lines
/// go to `canary` as well ("They are reported to a production stage CloudWatch Logs log group as well as
/// a canary-specific CloudWatch Logs log group", "Set up an API Gateway canary release deployment",
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html>).
///
/// That page spells the groups `API-Gateway-Execution-Logs/{rest-api-id}/{stage-name}` and `…/Canary`,
/// while "Set up CloudWatch logging for REST APIs"
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html>) and the groups
/// AWS actually creates use `API-Gateway-Execution-Logs_{rest-api-id}/{stage_name}`; Moat uses the
/// underscore form for both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecutionLogGroups {
    /// `API-Gateway-Execution-Logs_{apiId}/{stage}`.
    pub stage: String,
    /// `API-Gateway-Execution-Logs_{apiId}/{stage}/Canary`.
    pub canary: String,
}

impl ExecutionLogGroups {
    /// The groups of stage `stage` of API `api_id`.
    #[must_use]
    pub fn for_stage(api_id: &str, stage: &str) -> ExecutionLogGroups {
        let stage = format!("{EXECUTION_LOG_GROUP_PREFIX}{api_id}/{stage}");
        let canary = format!("{stage}/Canary");
        ExecutionLogGroups { stage, canary }
    }

    /// The groups a request's lines go to: the stage group, and the canary group for canary requests.
    pub fn for_request(&self, is_canary: bool) -> impl Iterator<Item = &str> {
        std::iter::once(self.stage.as_str()).chain(is_canary.then_some(self.canary.as_str()))
    }
}

/// The access-log group for canary requests of a stage whose access logs go to `group`: "The canary
/// release access log group name has the `/Canary` suffix appended to the selected log group name"
/// (canary-release.html).
#[must_use]
pub fn canary_access_log_group(group: &str) -> String {
    format!("{group}/Canary")
}

/// Header names whose values are replaced by `*`s.
const REDACTED_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "x-amz-security-token"];
/// Header names whose values keep only their last [`API_KEY_VISIBLE`] characters.
const API_KEY_HEADERS: [&str; 1] = ["x-api-key"];
/// How many trailing characters of an API key stay visible (AWS logs `**********…ReKPrb`).
const API_KEY_VISIBLE: usize = 6;

/// One line being written: the `(rid) ` prefix, then text up to [`MAX_EVENT_BYTES`].
struct Line<'b> {
    out: &'b mut Vec<u8>,
    start: usize,
    truncated: bool,
}

impl<'b> Line<'b> {
    fn begin(out: &'b mut Vec<u8>, request_id: &str) -> Line<'b> {
        let start = out.len();
        let mut line = Line {
            out,
            start,
            truncated: false,
        };
        line.raw("(");
        line.text(request_id);
        line.raw(") ");
        line
    }

    /// Appends `bytes` (already safe) if they fit.
    fn push(&mut self, bytes: &[u8]) -> bool {
        if self.truncated || self.out.len() - self.start + bytes.len() > MAX_EVENT_BYTES {
            self.truncated = true;
            return false;
        }
        self.out.extend_from_slice(bytes);
        true
    }

    fn raw(&mut self, s: &str) {
        self.push(s.as_bytes());
    }

    /// Appends `c`, escaped if it is a control character.
    fn char(&mut self, c: char) -> bool {
        let mut buf = [0u8; 6];
        let bytes: &[u8] = match c {
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                buf = [b'\\', b'u', b'0', b'0', HEX[b >> 4], HEX[b & 0xf]];
                &buf
            }
            c => c.encode_utf8(&mut buf).as_bytes(),
        };
        self.push(bytes)
    }

    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if !self.char(c) {
                return;
            }
        }
    }

    /// Appends `bytes` as text: valid UTF-8 escaped like [`Line::text`], invalid sequences as U+FFFD.
    fn bytes(&mut self, bytes: &[u8]) {
        for chunk in bytes.utf8_chunks() {
            self.text(chunk.valid());
            if !chunk.invalid().is_empty() && !self.char('\u{fffd}') {
                return;
            }
        }
    }

    fn num(&mut self, n: u64) {
        self.push(crate::text::u64_digits(n, &mut [0u8; 20]));
    }

    /// Appends `n` asterisks (as many as fit).
    fn stars(&mut self, n: usize) {
        for _ in 0..n {
            if !self.push(b"*") {
                return;
            }
        }
    }

    fn finish(self) {
        if self.truncated {
            self.out.extend_from_slice(TRUNCATED_MARK.as_bytes());
        }
        self.out.push(b'\n');
    }
}

/// The execution log of one request: one method per step, each writing its line into the buffer if
/// the settings ask for it.
#[derive(Debug)]
pub struct ExecutionLog<'a> {
    settings: ExecutionLogSettings,
    request_id: &'a str,
    out: &'a mut Vec<u8>,
    failed: bool,
}

impl<'a> ExecutionLog<'a> {
    /// A log for the request `request_id` that appends to `out`.
    pub fn new(settings: ExecutionLogSettings, request_id: &'a str, out: &'a mut Vec<u8>) -> ExecutionLog<'a> {
        ExecutionLog::resume(settings, request_id, out, false)
    }

    /// Continues the log of a request whose earlier lines are already in `out`; `failed` is what
    /// [`ExecutionLog::has_failed`] said at the end of the previous step.
    pub fn resume(
        settings: ExecutionLogSettings,
        request_id: &'a str,
        out: &'a mut Vec<u8>,
        failed: bool,
    ) -> ExecutionLog<'a> {
        ExecutionLog {
            settings,
            request_id,
            out,
            failed,
        }
    }

    /// Whether lines of `class` are written; callers can skip collecting data for lines that are not.
    #[must_use]
    pub fn enabled(&self, class: LineClass) -> bool {
        self.settings.writes(class)
    }

    /// Whether an ERROR line has been logged for this request.
    #[must_use]
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    fn start(&mut self, class: LineClass) -> Option<Line<'_>> {
        if class == LineClass::Error {
            self.failed = true;
        }
        if !self.settings.writes(class) {
            return None;
        }
        Some(Line::begin(&mut *self.out, self.request_id))
    }

    /// A line with `text`, escaped and truncated like every other line.
    pub fn line(&mut self, class: LineClass, text: &str) {
        if let Some(mut line) = self.start(class) {
            line.text(text);
            line.finish();
        }
    }

    fn text_line(&mut self, class: LineClass, label: &str, value: &str) {
        if let Some(mut line) = self.start(class) {
            line.raw(label);
            line.text(value);
            line.finish();
        }
    }

    fn body_line(&mut self, label: &str, body: &[u8]) {
        if let Some(mut line) = self.start(LineClass::DataTrace) {
            line.raw(label);
            line.bytes(body);
            line.finish();
        }
    }

    fn map_line<I, K, V>(&mut self, label: &str, pairs: I, redact: bool)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let Some(mut line) = self.start(LineClass::DataTrace) else {
            return;
        };
        line.raw(label);
        line.raw("{");
        for (n, (key, value)) in pairs.into_iter().enumerate() {
            if n > 0 {
                line.raw(", ");
            }
            let (key, value) = (key.as_ref(), value.as_ref());
            line.bytes(key);
            line.raw("=");
            let is = |names: &[&str]| names.iter().any(|h| h.as_bytes().eq_ignore_ascii_case(key));
            if redact && is(&REDACTED_HEADERS) {
                line.stars(value.len());
            } else if redact && is(&API_KEY_HEADERS) {
                let shown = value.len().saturating_sub(API_KEY_VISIBLE);
                line.stars(shown);
                line.bytes(&value[shown..]);
            } else {
                line.bytes(value);
            }
            if line.truncated {
                break;
            }
        }
        line.raw("}");
        line.finish();
    }

    /// `Extended Request Id: {id}` (the `x-amz-apigw-id` response header).
    pub fn extended_request_id(&mut self, extended_request_id: &str) {
        self.text_line(LineClass::Info, "Extended Request Id: ", extended_request_id);
    }

    /// The three usage-plan lines API Gateway writes for a method that needs no API key (the key is
    /// empty, hence the double spaces):
    /// `Verifying Usage Plan for request: {rid}. API Key:  API Stage: {api}/{stage}`,
    /// `API Key  authorized because method '{METHOD} {resource}' does not require API Key. Request will
    /// not contribute to throttle or quota limits`, `Usage Plan check succeeded for API Key  and API
    /// Stage {api}/{stage}`.
    pub fn usage_plan_without_api_key(&mut self, http_method: &str, resource_path: &str, api_id: &str, stage: &str) {
        let rid = self.request_id;
        let Some(mut line) = self.start(LineClass::Info) else {
            return;
        };
        line.raw("Verifying Usage Plan for request: ");
        line.text(rid);
        line.raw(". API Key:  API Stage: ");
        line.text(api_id);
        line.raw("/");
        line.text(stage);
        line.finish();
        let Some(mut line) = self.start(LineClass::Info) else {
            return;
        };
        line.raw("API Key  authorized because method '");
        line.text(http_method);
        line.raw(" ");
        line.text(resource_path);
        line.raw("' does not require API Key. Request will not contribute to throttle or quota limits");
        line.finish();
        let Some(mut line) = self.start(LineClass::Info) else {
            return;
        };
        line.raw("Usage Plan check succeeded for API Key  and API Stage ");
        line.text(api_id);
        line.raw("/");
        line.text(stage);
        line.finish();
    }

    /// `Starting execution for request: {rid}`.
    pub fn starting_execution(&mut self) {
        let rid = self.request_id;
        self.text_line(LineClass::Info, "Starting execution for request: ", rid);
    }

    /// `HTTP Method: {method}, Resource Path: {path}`. AWS prints the request's path below the stage
    /// (`/Seattle` for resource `/{city}`), not the resource template.
    pub fn http_method(&mut self, http_method: &str, path: &str) {
        if let Some(mut line) = self.start(LineClass::Info) {
            line.raw("HTTP Method: ");
            line.text(http_method);
            line.raw(", Resource Path: ");
            line.text(path);
            line.finish();
        }
    }

    /// `Method request path: {name=value, ...}` (path parameters).
    pub fn method_request_path<I, K, V>(&mut self, params: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Method request path: ", params, false);
    }

    /// `Method request query string: {name=value, ...}`.
    pub fn method_request_query_string<I, K, V>(&mut self, params: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Method request query string: ", params, false);
    }

    /// `Method request headers: {Name=value, ...}`, secrets redacted.
    pub fn method_request_headers<I, K, V>(&mut self, headers: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Method request headers: ", headers, true);
    }

    /// `Method request body before transformations: {body}`.
    pub fn method_request_body(&mut self, body: &[u8]) {
        self.body_line("Method request body before transformations: ", body);
    }

    /// `Endpoint request URI: {uri}`.
    pub fn endpoint_request_uri(&mut self, uri: &str) {
        self.text_line(LineClass::Info, "Endpoint request URI: ", uri);
    }

    /// `Endpoint request headers: {Name=value, ...}`, secrets redacted.
    pub fn endpoint_request_headers<I, K, V>(&mut self, headers: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Endpoint request headers: ", headers, true);
    }

    /// `Endpoint request body after transformations: {body}`.
    pub fn endpoint_request_body(&mut self, body: &[u8]) {
        self.body_line("Endpoint request body after transformations: ", body);
    }

    /// `Sending request to {uri}`.
    pub fn sending_request(&mut self, uri: &str) {
        self.text_line(LineClass::Info, "Sending request to ", uri);
    }

    /// `Received response. Status: {status}, Integration latency: {ms} ms`.
    pub fn received_response(&mut self, status: u16, integration_latency_ms: u64) {
        if let Some(mut line) = self.start(LineClass::Info) {
            line.raw("Received response. Status: ");
            line.num(u64::from(status));
            line.raw(", Integration latency: ");
            line.num(integration_latency_ms);
            line.raw(" ms");
            line.finish();
        }
    }

    /// `Endpoint response headers: {Name=value, ...}`.
    pub fn endpoint_response_headers<I, K, V>(&mut self, headers: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Endpoint response headers: ", headers, true);
    }

    /// `Endpoint response body before transformations: {body}`.
    pub fn endpoint_response_body(&mut self, body: &[u8]) {
        self.body_line("Endpoint response body before transformations: ", body);
    }

    /// `Method response body after transformations: {body}`.
    pub fn method_response_body(&mut self, body: &[u8]) {
        self.body_line("Method response body after transformations: ", body);
    }

    /// `Method response headers: {Name=value, ...}`.
    pub fn method_response_headers<I, K, V>(&mut self, headers: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Method response headers: ", headers, true);
    }

    /// `Successfully completed execution`.
    pub fn successfully_completed(&mut self) {
        self.line(LineClass::Info, "Successfully completed execution");
    }

    /// `Execution failed due to a timeout error` (the integration did not answer in time; 504).
    pub fn timeout(&mut self) {
        self.line(LineClass::Error, "Execution failed due to a timeout error");
    }

    /// `Execution failed due to configuration error: {reason}`, e.g. `Malformed Lambda proxy response`
    /// or `Invalid permissions on Lambda function`.
    pub fn configuration_error(&mut self, reason: &str) {
        self.text_line(
            LineClass::Error,
            "Execution failed due to configuration error: ",
            reason,
        );
    }

    /// `Gateway response type: {TYPE} with status code: {status}`: the request ended in a gateway
    /// response.
    pub fn gateway_response(&mut self, response_type: &str, status: u16) {
        if let Some(mut line) = self.start(LineClass::Error) {
            line.raw("Gateway response type: ");
            line.text(response_type);
            line.raw(" with status code: ");
            line.num(u64::from(status));
            line.finish();
        }
    }

    /// `Gateway response body: {body}`.
    pub fn gateway_response_body(&mut self, body: &[u8]) {
        self.body_line("Gateway response body: ", body);
    }

    /// `Gateway response headers: {Name=value, ...}`.
    pub fn gateway_response_headers<I, K, V>(&mut self, headers: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.map_line("Gateway response headers: ", headers, true);
    }

    /// `Method completed with status: {status}`: the last line. An ERROR line when an ERROR line was
    /// logged for this request (so ERROR-only logs end each failure with its status), INFO otherwise.
    pub fn method_completed(&mut self, status: u16) {
        let class = if self.failed { LineClass::Error } else { LineClass::Info };
        if let Some(mut line) = self.start(class) {
            line.raw("Method completed with status: ");
            line.num(u64::from(status));
            line.finish();
        }
    }
}
