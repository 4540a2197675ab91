//! Record formats: how a message is turned into fields.
//!
//! - [`LogFormat::Json`]: a JSON object, flattened as Logs Insights does (`a.b`, `a.0`). Every JSON-shaped
//!   access-log template (`{ "status": "$context.status", ... }`) is read this way, so a field is named by its
//!   JSON key, as in Logs Insights.
//! - [`LogFormat::Template`]: any other API Gateway `$context` template (CLF, CSV, XML, your own), compiled once
//!   into a matcher of its literal text; a field is named by its variable without `$context.`
//!   (`identity.sourceIp`, `status`, `requestTime`). Values are strings, as they appear in the line.
//! - [`LogFormat::Clf`]: Common Log Format and Combined Log Format as web servers write them, with the field
//!   names listed at [`parse_clf`].
//! - [`LogFormat::Auto`]: a JSON object, else CLF / combined, else no fields (the message only).

use moat_formats::access_log::{AccessLogFormat, FormatError, Preset};
use moat_formats::record::ApiType;
use serde_json::Value;

use super::Record;

/// How messages are parsed into fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LogFormat {
    /// Detect per message: JSON object, else CLF / combined, else no fields.
    #[default]
    Auto,
    /// JSON objects (also every JSON-shaped access-log template).
    Json,
    /// Common / Combined Log Format.
    Clf,
    /// A text access-log template (CLF, CSV, XML or custom `$context` format).
    Template(Template),
}

/// Why a `--log-format` argument was rejected.
#[derive(Debug, thiserror::Error)]
pub enum LogFormatError {
    /// Neither a known format name nor a `$context` template.
    #[error(
        "unknown log format `{0}`: give auto, json, clf, common, combined, an API Gateway preset name \
         (clf, json, xml, csv, default, with --api-type rest|http) or a $context template"
    )]
    Unknown(String),
    /// The template is not a valid API Gateway access-log format.
    #[error("invalid access-log template: {0}")]
    Template(#[from] FormatError),
    /// Two variables follow each other with no text between them, so a line cannot be split back.
    #[error(
        "access-log template: `$context.{first}` and `$context.{second}` (column {column}) are not separated by \
         any text, so a line cannot be split between them"
    )]
    Adjacent {
        /// The first variable.
        first: String,
        /// The variable right after it.
        second: String,
        /// 1-based column of the second variable's `$`.
        column: usize,
    },
}

impl LogFormat {
    /// The format named or written by a `--log-format` argument: `auto`, `json`, `common` / `combined`
    /// (web-server CLF), a preset name of API Gateway's console (`clf`, `json`, `xml`, `csv`, and Moat's
    /// `default`) for `api` (REST when `None`), or a `$context` template (checked against `api`, or against
    /// REST then HTTP when `None`).
    ///
    /// # Errors
    /// An unknown name, a template API Gateway would reject, or one that cannot be parsed back.
    pub fn from_arg(arg: &str, api: Option<ApiType>) -> Result<LogFormat, LogFormatError> {
        let name = arg.trim();
        if name.eq_ignore_ascii_case("auto") {
            return Ok(LogFormat::Auto);
        }
        if name.eq_ignore_ascii_case("common") || name.eq_ignore_ascii_case("combined") {
            return Ok(LogFormat::Clf);
        }
        if let Some(preset) = Preset::from_name(name) {
            return LogFormat::from_template(preset.template(api.unwrap_or(ApiType::Rest)), api);
        }
        if arg.contains("$context.") {
            return LogFormat::from_template(arg, api);
        }
        Err(LogFormatError::Unknown(arg.to_owned()))
    }

    /// Compiles an access-log template: JSON-shaped templates read lines as JSON, the others get a matcher.
    ///
    /// # Errors
    /// As [`LogFormat::from_arg`].
    pub fn from_template(template: &str, api: Option<ApiType>) -> Result<LogFormat, LogFormatError> {
        let compiled = match api {
            Some(api) => AccessLogFormat::compile(template, api)?,
            None => AccessLogFormat::compile(template, ApiType::Rest)
                .or_else(|rest_error| AccessLogFormat::compile(template, ApiType::Http).map_err(|_| rest_error))?,
        };
        if compiled.is_json() {
            return Ok(LogFormat::Json);
        }
        Ok(LogFormat::Template(Template::compile(compiled.template())?))
    }

    /// The fields of `message`, or `None` when it does not have this format (or, for [`LogFormat::Auto`], has
    /// none of the known ones).
    pub fn parse(&self, message: &str) -> Option<Record> {
        match self {
            LogFormat::Auto => Record::parse_json(message).or_else(|| parse_clf(message)),
            LogFormat::Json => Record::parse_json(message),
            LogFormat::Clf => parse_clf(message),
            LogFormat::Template(template) => template.parse(message),
        }
    }
}

/// One piece of a compiled template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Var(String),
}

/// A text access-log template compiled into literal text and variable slots, to split lines back into fields.
///
/// Matching is left to right: a variable takes the text up to the first place where the rest of the template
/// matches (so `"$context.identity.userAgent"` at the end of a line keeps the quotes inside a user agent).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
    xml: bool,
}

/// Most positions tried for one line before giving up (keeps a pathological line from taking long).
const MATCH_BUDGET: u32 = 4096;

impl Template {
    /// Compiles a template already accepted by [`AccessLogFormat::compile`].
    ///
    /// # Errors
    /// [`LogFormatError::Adjacent`] when two variables touch.
    pub fn compile(template: &str) -> Result<Template, LogFormatError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        let mut offset = 0;
        while let Some(at) = rest.find("$context.") {
            literal.push_str(&rest[..at]);
            let name_start = at + "$context.".len();
            let name_len = variable_name_len(&rest[name_start..]);
            if name_len == 0 {
                literal.push_str(&rest[at..name_start]);
                offset += name_start;
                rest = &rest[name_start..];
                continue;
            }
            let name = rest[name_start..name_start + name_len].to_owned();
            if literal.is_empty() {
                if let Some(Piece::Var(first)) = pieces.last() {
                    return Err(LogFormatError::Adjacent {
                        first: first.clone(),
                        second: name,
                        column: template[..offset + at].chars().count() + 1,
                    });
                }
            } else {
                pieces.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Var(name));
            offset += name_start + name_len;
            rest = &rest[name_start + name_len..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        let trimmed = template.trim();
        Ok(Template {
            pieces,
            xml: trimmed.starts_with('<') && trimmed.ends_with('>'),
        })
    }

    /// The variables of the template, in order (names without `$context.`).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(name) => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The fields of `line`, or `None` when the line does not fit the template.
    pub fn parse(&self, line: &str) -> Option<Record> {
        let mut spans = Vec::with_capacity(self.pieces.len());
        let mut budget = MATCH_BUDGET;
        if !self.match_at(0, line, 0, &mut spans, &mut budget) {
            return None;
        }
        let mut record = Record::default();
        for (piece, (start, end)) in spans {
            if let Piece::Var(name) = &self.pieces[piece] {
                let text = &line[start..end];
                let value = if self.xml { unescape_xml(text) } else { text.to_owned() };
                record.push(name.clone(), Value::String(value));
            }
        }
        Some(record)
    }

    fn match_at(
        &self,
        piece: usize,
        line: &str,
        pos: usize,
        spans: &mut Vec<(usize, (usize, usize))>,
        budget: &mut u32,
    ) -> bool {
        let Some(current) = self.pieces.get(piece) else {
            return pos == line.len();
        };
        match current {
            Piece::Literal(text) => {
                line[pos..].starts_with(text.as_str())
                    && self.match_at(piece + 1, line, pos + text.len(), spans, budget)
            }
            Piece::Var(_) => {
                let Some(Piece::Literal(next)) = self.pieces.get(piece + 1) else {
                    spans.push((piece, (pos, line.len())));
                    return true;
                };
                if piece + 2 == self.pieces.len() {
                    // The closing literal: anchored at the end of the line.
                    if line.len() >= pos + next.len() && line.ends_with(next.as_str()) {
                        spans.push((piece, (pos, line.len() - next.len())));
                        return true;
                    }
                    return false;
                }
                let mut from = pos;
                while let Some(found) = line[from..].find(next.as_str()) {
                    if *budget == 0 {
                        return false;
                    }
                    *budget -= 1;
                    let end = from + found;
                    let mark = spans.len();
                    spans.push((piece, (pos, end)));
                    if self.match_at(piece + 1, line, end, spans, budget) {
                        return true;
                    }
                    spans.truncate(mark);
                    from = end + line[end..].chars().next().map_or(1, char::len_utf8);
                }
                false
            }
        }
    }
}

/// Length of the `$context` variable name at the start of `text`: letters, digits, `_` and `.`, without
/// trailing dots; after `requestOverride.header.` / `responseOverride.header.` also `-` (header names), as
/// [`AccessLogFormat::compile`] reads it.
fn variable_name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
    let mut end = bytes.iter().position(|&b| !is_name(b)).unwrap_or(bytes.len());
    let header_family = text.starts_with("requestOverride.header.") || text.starts_with("responseOverride.header.");
    if header_family {
        end = bytes
            .iter()
            .position(|&b| !(is_name(b) || b == b'-'))
            .unwrap_or(bytes.len());
    }
    while end > 0 && bytes[end - 1] == b'.' {
        end -= 1;
    }
    end
}

/// Undoes the entities Moat writes in XML-shaped access logs (`&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;`).
fn unescape_xml(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = [
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&amp;", '&'),
            ("&quot;", '"'),
            ("&apos;", '\''),
        ]
        .into_iter()
        .find(|(name, _)| rest.starts_with(name));
        match entity {
            Some((name, ch)) => {
                out.push(ch);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A cursor over one CLF line.
struct ClfCursor<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> ClfCursor<'a> {
    /// A run of non-space characters followed by one space or the end of the line.
    fn token(&mut self) -> Option<&'a str> {
        let rest = &self.line[self.at..];
        let len = rest.find(' ').unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.at += len;
        Some(&rest[..len])
    }

    /// `open` ... `close`, the delimiters excluded; a backslash escapes the next character inside quotes.
    fn delimited(&mut self, open: char, close: char) -> Option<String> {
        let rest = self.line[self.at..].strip_prefix(open)?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, ch)) = chars.next() {
            if ch == close {
                self.at += open.len_utf8() + i + close.len_utf8();
                return Some(value);
            }
            if ch == '\\' && close == '"' {
                match chars.next() {
                    Some((_, escaped)) if escaped == '"' || escaped == '\\' => value.push(escaped),
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => return None,
                }
            } else {
                value.push(ch);
            }
        }
        None
    }

    fn space(&mut self) -> bool {
        if self.line[self.at..].starts_with(' ') {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.at >= self.line.len()
    }
}

/// Parses a Common Log Format / Combined Log Format line:
///
/// `host ident authuser [time] "request" status bytes` (common), optionally followed by
/// `"referer" "user-agent"` (combined) or by one or two plain tokens (API Gateway's CLF examples end with
/// `$context.requestId` and, for REST, `$context.extendedRequestId`).
///
/// Fields: `ip`, `ident`, `user`, `requestTime` (as written, CLF date), `request` (the quoted request line),
/// `httpMethod`, `path` and `protocol` (the request line split on spaces, when it has at least three parts;
/// `path` is everything between the method and the protocol), `status`, `responseLength`, and then `referer` and
/// `userAgent`, or `requestId` and `extendedRequestId`. Values are the text of the line; `-` stays `-`.
pub fn parse_clf(line: &str) -> Option<Record> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut c = ClfCursor { line, at: 0 };
    let mut record = Record::default();
    for name in ["ip", "ident", "user"] {
        let token = c.token()?;
        record.push(name, Value::from(token));
        if !c.space() {
            return None;
        }
    }
    let time = c.delimited('[', ']')?;
    crate::event::time::parse_clf_time(&time)?;
    record.push("requestTime", Value::from(time));
    if !c.space() {
        return None;
    }
    let request = c.delimited('"', '"')?;
    let parts: Vec<&str> = request.split(' ').collect();
    let split = match parts.as_slice() {
        [method, middle @ .., protocol] if !middle.is_empty() => Some((*method, middle.join(" "), *protocol)),
        _ => None,
    };
    record.push("request", Value::from(request.as_str()));
    if let Some((method, path, protocol)) = split {
        record.push("httpMethod", Value::from(method));
        record.push("path", Value::from(path));
        record.push("protocol", Value::from(protocol));
    }
    if !c.space() {
        return None;
    }
    let status = c.token()?;
    let is_status = status == "-" || (status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()));
    if !is_status {
        return None;
    }
    record.push("status", Value::from(status));
    if !c.space() {
        return None;
    }
    let length = c.token()?;
    if !(length == "-" || length.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    record.push("responseLength", Value::from(length));
    if c.done() {
        return Some(record);
    }
    if !c.space() {
        return None;
    }
    if c.line[c.at..].starts_with('"') {
        let referer = c.delimited('"', '"')?;
        if !c.space() {
            return None;
        }
        let agent = c.delimited('"', '"')?;
        record.push("referer", Value::from(referer));
        record.push("userAgent", Value::from(agent));
        return c.done().then_some(record);
    }
    record.push("requestId", Value::from(c.token()?));
    if c.done() {
        return Some(record);
    }
    if !c.space() {
        return None;
    }
    record.push("extendedRequestId", Value::from(c.token()?));
    c.done().then_some(record)
}
