//! Access logs in API Gateway's `$context` format language.
//!
//! A stage's format string (`accessLogSettings.format`) is compiled once into literal text and
//! variable slots ([`AccessLogFormat::compile`]); each finished request is then rendered from its
//! [`RequestRecord`] into a reused buffer ([`AccessLogFormat::render`]) without allocating.
//!
//! # What a format may contain
//! The rules are AWS's ("Access logging for REST APIs",
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html>): one line;
//! at least one of `$context.requestId` / `$context.extendedRequestId`; only `$context` variables. A
//! variable is `$context.` followed by a run of letters, digits, `_` and `.` (a trailing `.` is text, so
//! `$context.status.` ends a sentence); the whole run must be a documented name or a parametric family
//! (`$context.authorizer.claims.email`; after `requestOverride.header.` / `responseOverride.header.`
//! the header name may also contain `-`). So `"$context.status"`, `[$context.requestTime]` and
//! `$context.requestId,` all end where a reader expects, and a typo such as `$context.requestIdd` is an
//! error rather than `$context.requestId` followed by `d`. A `$` not followed by a letter, `{` or `!` is
//! text.
//!
//! # How values are written
//! As AWS writes them: raw text, no quotes added; a missing or empty value is `-`; numbers in decimal;
//! `$context.requestTime` in CLF (`dd/MMM/yyyy:HH:mm:ss +0000`, UTC); `$context.error.messageString` is
//! the message as a quoted JSON string (`"-"` when there is no error). Moat adds one rule AWS does not
//! have, so that a client cannot break or forge a log line:
//! - every value has its control characters escaped (`\n`, `\r`, `\t`, other C0 and DEL as `\u00XX`);
//! - in a JSON-shaped format (first non-blank character `{`, last `}`), `"` and `\` in values are
//!   escaped as `\"` and `\\`, so a format whose variables sit inside JSON strings always renders valid
//!   JSON;
//! - in an XML-shaped format (first `<`, last `>`), `<`, `>`, `&` and `"` become entities.
//!
//! CSV and CLF formats get only the control-character rule (a comma in a user agent still splits a CSV
//! field, as on AWS).

mod error;
mod presets;
mod variables;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;

pub use error::FormatError;
pub use presets::{
    Preset, HTTP_CLF, HTTP_CSV, HTTP_DEFAULT, HTTP_JSON, HTTP_XML, REST_CLF, REST_CSV, REST_DEFAULT, REST_JSON,
    REST_XML,
};
pub use variables::{variable, ContextVariable, CONTEXT_VARIABLES};

use std::ops::Range;

use crate::record::{ApiType, RequestRecord};
use crate::text::{write_clf_time, write_escaped, write_u64, Escape};
use variables::{lookup, takes_header_name, Lookup, Source};

/// One piece of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text copied from the template: a byte range of [`AccessLogFormat::template`].
    Literal(Range<usize>),
    /// A `$context` variable.
    Var(Source),
}

/// A compiled access-log format: parsed once per stage, rendered once per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogFormat {
    template: String,
    api_type: ApiType,
    segments: Vec<Segment>,
    escape: Escape,
}

/// Name characters of a variable: letters, digits, `_` and `.`.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The 1-based character column of byte offset `at` in `s`.
fn column(s: &str, at: usize) -> usize {
    s[..at].chars().count() + 1
}

impl AccessLogFormat {
    /// Parses `template` for a stage of an `api_type` API.
    ///
    /// A single trailing newline (`\n` or `\r\n`) is dropped: AWS allows one, and [`render`] ends every
    /// record with a newline anyway.
    ///
    /// # Errors
    /// A [`FormatError`] naming the first problem: a line break, a non-`$context` reference, an
    /// unknown variable, a variable the API type does not support, or no request id.
    ///
    /// [`render`]: AccessLogFormat::render
    pub fn compile(template: &str, api_type: ApiType) -> Result<AccessLogFormat, FormatError> {
        let template = template
            .strip_suffix("\r\n")
            .or_else(|| template.strip_suffix('\n'))
            .unwrap_or(template);
        if let Some(at) = template.find(['\n', '\r']) {
            return Err(FormatError::MultipleLines {
                column: column(template, at),
            });
        }
        let bytes = template.as_bytes();
        let mut segments = Vec::new();
        let mut has_request_id = false;
        let mut literal_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            let next = bytes.get(i + 1).copied().unwrap_or(b' ');
            if !(next.is_ascii_alphabetic() || next == b'{' || next == b'!') {
                i += 1; // a lone `$` is text
                continue;
            }
            if next == b'{' || next == b'!' {
                // VTL's `${name}` and `$!name` forms.
                let end = (i + 1..bytes.len())
                    .find(|&j| !(is_name_byte(bytes[j]) || matches!(bytes[j], b'{' | b'}' | b'!')))
                    .unwrap_or(bytes.len());
                let reference = template[i..end].to_owned();
                return Err(FormatError::NotContextVariable {
                    reference,
                    column: column(template, i),
                });
            }
            let ident_end = (i + 1..bytes.len())
                .find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_'))
                .unwrap_or(bytes.len());
            if &template[i + 1..ident_end] != "context" {
                // `$input.body`, `$util.escapeJavaScript`, `$stageVariables.x`, `$contextual`, ...
                let end = (i + 1..bytes.len())
                    .find(|&j| !is_name_byte(bytes[j]))
                    .unwrap_or(bytes.len());
                let reference = template[i..end].to_owned();
                return Err(FormatError::NotContextVariable {
                    reference,
                    column: column(template, i),
                });
            }
            if bytes.get(ident_end) != Some(&b'.') {
                // `$context` with no `.name`.
                return Err(FormatError::UnknownVariable {
                    name: String::new(),
                    column: column(template, i),
                });
            }
            let name_start = ident_end + 1;
            let mut name_end = (name_start..bytes.len())
                .find(|&j| !is_name_byte(bytes[j]))
                .unwrap_or(bytes.len());
            while name_end > name_start && bytes[name_end - 1] == b'.' {
                name_end -= 1;
            }
            let mut name = &template[name_start..name_end];
            let var = match lookup(name, api_type) {
                Lookup::Found(var) => var,
                Lookup::OtherApiOnly => {
                    return Err(FormatError::UnsupportedForApiType {
                        name: name.to_owned(),
                        column: column(template, i),
                        api: api_type.as_str(),
                        supported: other(api_type).as_str(),
                    })
                }
                Lookup::Unknown => {
                    return Err(FormatError::UnknownVariable {
                        name: name.to_owned(),
                        column: column(template, i),
                    })
                }
            };
            if takes_header_name(var) {
                // Header names may contain `-`: extend over it (and further name characters).
                while name_end < bytes.len() && (is_name_byte(bytes[name_end]) || bytes[name_end] == b'-') {
                    name_end += 1;
                }
                while name_end > name_start && bytes[name_end - 1] == b'.' {
                    name_end -= 1;
                }
                name = &template[name_start..name_end];
            }
            has_request_id |= name == "requestId" || name == "extendedRequestId";
            if literal_start < i {
                segments.push(Segment::Literal(literal_start..i));
            }
            let source = match (var.source, api_type) {
                // HTTP APIs: "$context.extendedRequestId: Equivalent to $context.requestId".
                (Source::ExtendedRequestId, ApiType::Http) => Source::RequestId,
                (source, _) => source,
            };
            segments.push(Segment::Var(source));
            i = name_end;
            literal_start = name_end;
        }
        if literal_start < bytes.len() {
            segments.push(Segment::Literal(literal_start..bytes.len()));
        }
        if !has_request_id {
            return Err(FormatError::MissingRequestId);
        }
        let trimmed = template.trim();
        let escape = if trimmed.starts_with('{') && trimmed.ends_with('}') {
            Escape::Json
        } else if trimmed.starts_with('<') && trimmed.ends_with('>') {
            Escape::Xml
        } else {
            Escape::Control
        };
        Ok(AccessLogFormat {
            template: template.to_owned(),
            api_type,
            segments,
            escape,
        })
    }

    /// The ready-made format `preset` for `api_type`.
    ///
    /// # Panics
    /// Never: every preset is compiled by the tests.
    #[must_use]
    pub fn preset(preset: Preset, api_type: ApiType) -> AccessLogFormat {
        match AccessLogFormat::compile(preset.template(api_type), api_type) {
            Ok(format) => format,
            Err(e) => panic!("built-in access-log preset {} is invalid: {e}", preset.name()),
        }
    }

    /// Moat's default format for `api_type` ([`Preset::Default`]).
    #[must_use]
    pub fn default_for(api_type: ApiType) -> AccessLogFormat {
        AccessLogFormat::preset(Preset::Default, api_type)
    }

    /// The format string as compiled (without a trailing newline).
    #[must_use]
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The API type the format was compiled for.
    #[must_use]
    pub fn api_type(&self) -> ApiType {
        self.api_type
    }

    /// Whether the format is JSON-shaped, so values are JSON-escaped.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.escape == Escape::Json
    }

    /// Appends the record for `rec` to `out`: one line ending in `\n`. Allocates nothing beyond
    /// growing `out`.
    pub fn render(&self, rec: &RequestRecord<'_>, out: &mut Vec<u8>) {
        let template = self.template.as_bytes();
        for segment in &self.segments {
            match segment {
                Segment::Literal(range) => out.extend_from_slice(&template[range.clone()]),
                Segment::Var(source) => self.write_value(*source, rec, out),
            }
        }
        out.push(b'\n');
    }

    /// Writes one variable's value.
    fn write_value(&self, source: Source, rec: &RequestRecord<'_>, out: &mut Vec<u8>) {
        let integration = rec.integration.as_ref();
        let error = rec.error.as_ref();
        let waf = rec.waf.as_ref();
        let text = match source {
            Source::AccountId => Some(rec.account_id),
            Source::ApiId => Some(rec.api_id),
            Source::AwsEndpointRequestId => integration.and_then(|i| i.request_id),
            Source::BasePathMatched => rec.base_path_matched,
            Source::DomainName => Some(rec.domain_name),
            Source::DomainPrefix => Some(rec.domain_prefix),
            Source::ErrorMessage => error.map(|e| e.message),
            Source::ErrorResponseType => error.map(|e| e.response_type),
            Source::ErrorValidation => error.and_then(|e| e.validation_error),
            Source::ExtendedRequestId => Some(rec.extended_request_id),
            Source::HttpMethod => Some(rec.http_method),
            Source::IntegrationError => integration.and_then(|i| i.error),
            Source::Path => Some(rec.path),
            Source::Protocol => Some(rec.protocol),
            Source::RequestId => Some(rec.request_id),
            Source::ResourceId => rec.resource_id,
            Source::ResourcePath => rec.resource_path,
            Source::RouteKey => rec.route_key,
            Source::ClientIp => Some(rec.source_ip),
            Source::Stage => Some(rec.stage),
            Source::UserAgent => rec.user_agent,
            Source::WafResponseCode => waf.map(|w| w.response_code),
            Source::WebAclArn => waf.map(|w| w.web_acl_arn),
            Source::XrayTraceId => Some(rec.xray_trace_id),
            Source::IsCanary => Some(if rec.is_canary { "true" } else { "false" }),
            Source::Empty => None,
            Source::DataProcessed => {
                return write_u64(out, rec.request_length.saturating_add(rec.response_length));
            }
            Source::IntegrationLatency => return write_opt_u64(out, integration.map(|i| i.latency_ms)),
            Source::IntegrationStatus => {
                return write_opt_u64(out, integration.and_then(|i| i.status).map(u64::from));
            }
            Source::RequestTimeEpoch => return write_u64(out, rec.request_time_epoch_ms),
            Source::ResponseLatency => return write_u64(out, rec.response_latency_ms),
            Source::ResponseLength => return write_u64(out, rec.response_length),
            Source::Status => return write_u64(out, u64::from(rec.status)),
            Source::WafLatency => return write_opt_u64(out, waf.map(|w| w.latency_ms)),
            Source::WafStatus => return write_opt_u64(out, waf.map(|w| u64::from(w.status))),
            Source::RequestTime => return write_clf_time(out, rec.request_time_epoch_ms),
            Source::ErrorMessageString => {
                out.push(b'"');
                write_escaped(out, error.map_or("-", |e| e.message), Escape::Json);
                return out.push(b'"');
            }
        };
        match text {
            Some(s) if !s.is_empty() => write_escaped(out, s, self.escape),
            _ => out.push(b'-'),
        }
    }
}

/// Writes `n`, or `-` when there is none.
fn write_opt_u64(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => write_u64(out, n),
        None => out.push(b'-'),
    }
}

/// The API type that is not `api`.
fn other(api: ApiType) -> ApiType {
    match api {
        ApiType::Rest => ApiType::Http,
        ApiType::Http => ApiType::Rest,
    }
}
