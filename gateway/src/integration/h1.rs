//! HTTP/1.1 on the wire to integration endpoints (RFC 9112): the request head Moat writes, the response
//! head it parses, how the response body is delimited, and the chunked-coding decoder.
//!
//! Pure functions over buffers, no I/O: [`super::upstream`] drives them over pooled sockets inside the
//! request's own task, so a proxied request costs no channel hop and no extra task wake-up.

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

/// Most header fields accepted in one response head; more is a [`ResponseError::TooManyHeaders`].
pub const MAX_RESPONSE_HEADERS: usize = 100;

/// Longest chunk-size line (size, extensions, CRLF) accepted in a chunked body.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// Most bytes of trailer fields accepted after the last chunk (they are read and discarded).
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// Why an endpoint's response could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// Not an HTTP/1.x response head.
    #[error("malformed response head: {0}")]
    Malformed(&'static str),
    /// The head is larger than the configured limit.
    #[error("response head is larger than {0} bytes")]
    HeadTooLarge(usize),
    /// More header fields than [`MAX_RESPONSE_HEADERS`].
    #[error("response has more than {MAX_RESPONSE_HEADERS} header fields")]
    TooManyHeaders,
    /// A header field name or value that HTTP does not allow.
    #[error("response header field `{0}` is invalid")]
    InvalidHeader(String),
    /// `Content-Length` is not one non-negative integer.
    #[error("response Content-Length is invalid")]
    InvalidContentLength,
    /// `101 Switching Protocols`: upgrades are not proxied.
    #[error("endpoint switched protocols (101); upgrades are not supported")]
    Upgrade,
    /// A chunked body that breaks RFC 9112 section 7.1.
    #[error("malformed chunked body: {0}")]
    Chunked(&'static str),
}

/// How the request body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFraming {
    /// No body and no framing header.
    Empty,
    /// `Content-Length: n` (added when the client's headers do not carry it).
    Length(u64),
    /// `Transfer-Encoding: chunked`: the client's body length is not known in advance.
    Chunked,
}

/// One header field of a request Moat forwards: its name and its value as up to three pieces written
/// back to back (so `X-Forwarded-For: <client's value>, <peer>` needs no joined copy).
pub type FieldParts<'a> = (&'a [u8], [&'a [u8]; 3]);

/// A forwarded field with a single-piece value.
#[must_use]
pub fn field<'a>(name: &'a [u8], value: &'a [u8]) -> FieldParts<'a> {
    (name, [value, b"", b""])
}

/// Appends a request head: request line, `fields` in order, the framing header, blank line. `fields`
/// must be free of hop-by-hop fields; a `content-length` among them (lower-case, as `HeaderMap` names
/// are) is not repeated.
pub fn encode_request_head<'a>(
    method: &Method,
    path_and_query: &str,
    fields: impl Iterator<Item = FieldParts<'a>>,
    framing: RequestFraming,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path_and_query.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let mut has_content_length = false;
    for (name, value) in fields {
        has_content_length |= name == b"content-length";
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        for piece in value {
            out.extend_from_slice(piece);
        }
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        RequestFraming::Empty => {}
        RequestFraming::Length(n) => {
            if !has_content_length {
                out.extend_from_slice(b"content-length: ");
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        RequestFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Hop-by-hop header fields (RFC 9110 section 7.6.1) that a proxy must not forward; `name` in any case.
#[must_use]
pub fn is_hop_by_hop(name: &[u8]) -> bool {
    const HOP_BY_HOP: [&[u8]; 9] = [
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    ];
    HOP_BY_HOP
        .iter()
        .any(|hop| hop.len() == name.len() && hop.eq_ignore_ascii_case(name))
}

/// The field names a `Connection` value lists as hop-by-hop, besides the `close` and `keep-alive` options.
pub fn connection_listed(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !t.eq_ignore_ascii_case(b"keep-alive"))
}

/// Appends one chunk of a chunked request body (nothing for an empty chunk: that would end the body).
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    encode_chunk_size(data.len(), out);
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the size line of a chunk of `len` bytes (the data and its CRLF follow).
pub fn encode_chunk_size(len: usize, out: &mut Vec<u8>) {
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        digits[at] = b"0123456789abcdef"[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk of a chunked request body, with no trailers.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// How a response body is delimited (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// No body: a response to HEAD, or 204 / 304.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the endpoint closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status code.
    pub status: StatusCode,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// Header fields, values sharing the head's buffer; hop-by-hop fields (and those `Connection` lists)
    /// are not included.
    pub headers: HeaderMap,
    /// How the body is delimited.
    pub framing: ResponseFraming,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
}

/// Reusable scratch space of [`parse_response_head`]: where each header field lies in the head.
#[derive(Debug, Default)]
pub struct HeadScratch {
    spans: Vec<[u32; 4]>,
    listed: Vec<[u32; 2]>,
}

/// Parses a response head from the front of `buf`, consuming it (and any interim 1xx responses before it).
/// `Ok(None)`: incomplete, read more. `max_head_bytes` bounds an incomplete head too. The header map has
/// room for `extra_headers` more fields without growing.
///
/// # Errors
/// A [`ResponseError`] for anything that is not a well-formed HTTP/1.x response head.
pub fn parse_response_head(
    buf: &mut BytesMut,
    request_method: &Method,
    max_head_bytes: usize,
    extra_headers: usize,
    scratch: &mut HeadScratch,
) -> Result<Option<ResponseHead>, ResponseError> {
    loop {
        let mut fields = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_RESPONSE_HEADERS];
        let mut response = httparse::Response::new(&mut []);
        let parsed =
            httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut response, buf, &mut fields);
        let head_len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return if buf.len() > max_head_bytes {
                    Err(ResponseError::HeadTooLarge(max_head_bytes))
                } else {
                    Ok(None)
                };
            }
            Err(httparse::Error::TooManyHeaders) => return Err(ResponseError::TooManyHeaders),
            Err(error) => return Err(ResponseError::Malformed(parse_error_text(error))),
        };
        if head_len > max_head_bytes {
            return Err(ResponseError::HeadTooLarge(max_head_bytes));
        }
        let code = response.code.ok_or(ResponseError::Malformed("no status code"))?;
        let status = StatusCode::from_u16(code).map_err(|_| ResponseError::Malformed("status code out of range"))?;
        let version = if response.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(ResponseError::Upgrade);
        }
        if status.is_informational() {
            // 100 Continue, 103 Early Hints: interim, not forwarded; the final response follows.
            buf.advance(head_len);
            continue;
        }
        // Offsets of each forwarded field in the head (which is at most `max_head_bytes`, well within u32),
        // so the values can share one frozen buffer. Hop-by-hop fields are read here and not kept.
        let base = buf.as_ptr() as usize;
        let offset = |part: &[u8]| (part.as_ptr() as usize - base) as u32;
        scratch.spans.clear();
        scratch.listed.clear();
        let mut hop = HopFacts::default();
        for field in response.headers.iter() {
            let name = field.name.as_bytes();
            if is_hop_by_hop(name) {
                hop.note(name, field.value);
                if name.eq_ignore_ascii_case(b"connection") {
                    for token in connection_listed(field.value) {
                        let start = offset(token);
                        scratch.listed.push([start, start + token.len() as u32]);
                    }
                }
                continue;
            }
            let (name_at, value_at) = (offset(name), offset(field.value));
            scratch.spans.push([
                name_at,
                name_at + name.len() as u32,
                value_at,
                value_at + field.value.len() as u32,
            ]);
        }
        let head = buf.split_to(head_len).freeze();
        let mut headers = HeaderMap::with_capacity(scratch.spans.len() + extra_headers);
        for &[n0, n1, v0, v1] in &scratch.spans {
            let name_bytes = &head[n0 as usize..n1 as usize];
            let name = HeaderName::from_bytes(name_bytes)
                .map_err(|_| ResponseError::InvalidHeader(String::from_utf8_lossy(name_bytes).into_owned()))?;
            let value = HeaderValue::from_maybe_shared(head.slice(v0 as usize..v1 as usize))
                .map_err(|_| ResponseError::InvalidHeader(name.as_str().to_owned()))?;
            headers.append(name, value);
        }
        // Fields the endpoint declared hop-by-hop in `Connection` (rare).
        for &[t0, t1] in &scratch.listed {
            if let Ok(name) = HeaderName::from_bytes(&head[t0 as usize..t1 as usize]) {
                headers.remove(name);
            }
        }
        let (framing, framing_allows_reuse) = response_framing(status, request_method, &hop, &headers)?;
        let keep_alive = framing_allows_reuse
            && if version == Version::HTTP_10 {
                hop.keep_alive
            } else {
                !hop.close
            };
        return Ok(Some(ResponseHead {
            status,
            version,
            headers,
            framing,
            keep_alive,
        }));
    }
}

/// Drops complete interim (1xx, not 101) responses from the front of `buf` and says whether the bytes
/// left can be the start of the final response. An endpoint's `100 Continue` while the body is still being
/// sent is not an early answer: the body must keep flowing.
pub fn skip_interim_responses(buf: &mut BytesMut) -> bool {
    loop {
        // "HTTP/1.1 1" is ten bytes: fewer cannot be told apart yet, so they wait for more.
        if buf.len() < 10 {
            return false;
        }
        if !(buf.starts_with(b"HTTP/1.") && buf[8] == b' ' && buf[9] == b'1') {
            return true;
        }
        let mut fields = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut fields);
        match response.parse(buf) {
            Ok(httparse::Status::Complete(len))
                if response.code.is_some_and(|c| (100..200).contains(&c) && c != 101) =>
            {
                buf.advance(len);
            }
            Ok(httparse::Status::Partial) => return false,
            // 101, malformed or too many fields: the head parser reports it.
            _ => return true,
        }
    }
}

/// A short description of an httparse error, for error messages.
pub(crate) fn parse_error_text(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid start line",
        httparse::Error::Token => "invalid token",
        httparse::Error::Version => "not HTTP/1.x",
        httparse::Error::TooManyHeaders => "too many headers",
    }
}

/// What the hop-by-hop fields of a response said about framing and persistence.
#[derive(Debug, Default)]
struct HopFacts {
    /// `Transfer-Encoding` present; whether its final coding is chunked.
    transfer_encoding: Option<bool>,
    /// `Connection: close`.
    close: bool,
    /// `Connection: keep-alive`.
    keep_alive: bool,
}

impl HopFacts {
    fn note(&mut self, name: &[u8], value: &[u8]) {
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // The final coding of the last field decides.
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            self.transfer_encoding = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                self.close |= option.eq_ignore_ascii_case(b"close");
                self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
}

/// The body delimitation of a response, and whether it leaves the connection usable.
fn response_framing(
    status: StatusCode,
    request_method: &Method,
    hop: &HopFacts,
    headers: &HeaderMap,
) -> Result<(ResponseFraming, bool), ResponseError> {
    if request_method == Method::HEAD || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok((ResponseFraming::Empty, true));
    }
    if let Some(chunked) = hop.transfer_encoding {
        // Transfer-Encoding overrides Content-Length, but a message carrying both is suspicious (RFC 9112
        // section 6.3), so the connection is not reused after it.
        let reusable = chunked && !headers.contains_key(header::CONTENT_LENGTH);
        let framing = if chunked {
            ResponseFraming::Chunked
        } else {
            ResponseFraming::UntilClose
        };
        return Ok((framing, reusable));
    }
    let mut length = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        for item in value.as_bytes().split(|&b| b == b',') {
            let n = parse_decimal(item.trim_ascii()).ok_or(ResponseError::InvalidContentLength)?;
            if length.is_some_and(|seen| seen != n) {
                return Err(ResponseError::InvalidContentLength);
            }
            length = Some(n);
        }
    }
    Ok(match length {
        Some(0) => (ResponseFraming::Empty, true),
        Some(n) => (ResponseFraming::Length(n), true),
        None => (ResponseFraming::UntilClose, false),
    })
}

/// A non-negative decimal number of at most 19 digits, nothing else (as `Content-Length` allows).
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits
        .iter()
        .try_fold(0u64, |n, &d| d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0')))
}

/// What [`ChunkedDecoder::decode`] found in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes.
    Data(Bytes),
    /// The buffer holds no complete piece: read more.
    NeedMore,
    /// The last chunk and the trailers have been consumed.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// At the start of a chunk-size line.
    Size,
    /// Inside chunk data, with this many bytes left.
    Data(u64),
    /// After chunk data, expecting CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
    /// Finished.
    Done,
}

/// Incremental decoder of the chunked transfer coding (RFC 9112 section 7.1). Chunk extensions are
/// ignored; trailer fields are read (up to [`MAX_TRAILER_BYTES`]) and discarded.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: ChunkState,
    trailer_bytes: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: ChunkState::Size,
            trailer_bytes: 0,
        }
    }
}

impl ChunkedDecoder {
    /// Whether the whole body has been decoded.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes framing from the front of `buf` and returns the next piece of body data.
    ///
    /// # Errors
    /// [`ResponseError::Chunked`] when the coding is malformed or a line is too long.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, ResponseError> {
        loop {
            match self.state {
                ChunkState::Done => return Ok(Decoded::Done),
                ChunkState::Size => {
                    let Some(line_end) = find_line(buf, MAX_CHUNK_LINE_BYTES, "chunk-size line too long")? else {
                        return Ok(Decoded::NeedMore);
                    };
                    let size = parse_chunk_size(&buf[..line_end.content])?;
                    buf.advance(line_end.next);
                    self.state = if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(take).freeze();
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                    return Ok(Decoded::Data(data));
                }
                ChunkState::DataEnd => {
                    match buf.first() {
                        None => return Ok(Decoded::NeedMore),
                        Some(b'\n') => buf.advance(1),
                        Some(b'\r') => match buf.get(1) {
                            None => return Ok(Decoded::NeedMore),
                            Some(b'\n') => buf.advance(2),
                            Some(_) => return Err(ResponseError::Chunked("chunk data not followed by CRLF")),
                        },
                        Some(_) => return Err(ResponseError::Chunked("chunk data not followed by CRLF")),
                    }
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let budget = MAX_TRAILER_BYTES.saturating_sub(self.trailer_bytes);
                    let Some(line_end) = find_line(buf, budget, "trailer fields too large")? else {
                        return Ok(Decoded::NeedMore);
                    };
                    self.trailer_bytes += line_end.next;
                    let empty = line_end.content == 0;
                    buf.advance(line_end.next);
                    if empty {
                        self.state = ChunkState::Done;
                    }
                }
            }
        }
    }
}

struct LineEnd {
    /// Length of the line without its line ending.
    content: usize,
    /// Length including the line ending.
    next: usize,
}

/// Finds the end of the line at the front of `buf` (CRLF, or a bare LF), within `max` bytes.
fn find_line(buf: &[u8], max: usize, too_long: &'static str) -> Result<Option<LineEnd>, ResponseError> {
    let window = &buf[..buf.len().min(max.saturating_add(1))];
    match window.iter().position(|&b| b == b'\n') {
        Some(lf) if lf > max => Err(ResponseError::Chunked(too_long)),
        Some(lf) => {
            let content = if lf > 0 && buf[lf - 1] == b'\r' { lf - 1 } else { lf };
            Ok(Some(LineEnd { content, next: lf + 1 }))
        }
        None if buf.len() > max => Err(ResponseError::Chunked(too_long)),
        None => Ok(None),
    }
}

/// The hex size at the start of a chunk-size line; extensions after `;` (and whitespace) are ignored.
fn parse_chunk_size(line: &[u8]) -> Result<u64, ResponseError> {
    let digits_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
    if digits_end == 0 {
        return Err(ResponseError::Chunked("chunk size is not hexadecimal"));
    }
    if digits_end > 15 {
        return Err(ResponseError::Chunked("chunk size too large"));
    }
    let rest = line[digits_end..].trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(ResponseError::Chunked("unexpected bytes after the chunk size"));
    }
    Ok(line[..digits_end].iter().fold(0u64, |n, &d| {
        let digit = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d - b'A' + 10,
        };
        (n << 4) | u64::from(digit)
    }))
}

#[cfg(test)]
mod tests;
