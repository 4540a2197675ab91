//! Request heads as Moat's HTTP/1.1 server reads them (RFC 9112): the request line and fields parsed with
//! httparse, turned into an [`http::request::Parts`] whose field values share one frozen buffer, and the
//! message-framing facts (RFC 9112 section 6) judged strictly, since a gateway that frames a request
//! differently from the server behind it is open to request smuggling.

use bytes::{Buf, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri, Version};

use crate::integration::h1::{parse_decimal, parse_error_text};

/// Most header fields accepted in one request head (hyper's and nginx's default: 100).
pub const MAX_REQUEST_HEADERS: usize = 100;

/// Why a request head was refused. Each is answered once and the connection closed.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Not a well-formed HTTP/1.x request head.
    #[error("malformed request head: {0}")]
    Malformed(&'static str),
    /// The head is larger than the read limit (`limits.max_header_bytes` plus slack), or has more than
    /// [`MAX_REQUEST_HEADERS`] fields.
    #[error("request head too large")]
    TooLarge,
    /// Framing that cannot be trusted: conflicting `Content-Length` values, a transfer coding other than a
    /// final `chunked`, or `Transfer-Encoding` in an HTTP/1.0 request.
    #[error("request framing refused: {0}")]
    Framing(&'static str),
}

impl HeadError {
    /// The status the refusal is answered with.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            HeadError::TooLarge => 431,
            HeadError::Malformed(_) | HeadError::Framing(_) => 400,
        }
    }
}

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// `Content-Length: n`, n > 0.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head and what it says about the connection.
#[derive(Debug)]
pub struct RequestHead {
    /// Method, target, version and fields (framing fields included, as the client sent them, except a
    /// `Content-Length` overridden by chunked framing, which is removed).
    pub parts: http::request::Parts,
    /// How the body is delimited.
    pub framing: BodyFraming,
    /// Whether the client allows another request on the connection after this one.
    pub keep_alive: bool,
    /// Whether the client sent `Expect: 100-continue` (HTTP/1.1) and waits before sending the body.
    pub expect_continue: bool,
}

/// Framing facts gathered from the fields while they are copied.
#[derive(Default)]
struct Facts {
    content_length: Option<u64>,
    /// Transfer-Encoding seen; `Some(true)` when its codings are exactly one final `chunked`.
    chunked: Option<bool>,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
}

impl Facts {
    fn note(&mut self, name: &HeaderName, value: &[u8]) -> Result<(), HeadError> {
        if name == header::CONTENT_LENGTH {
            for item in value.split(|&b| b == b',') {
                let n = parse_decimal(item.trim_ascii()).ok_or(HeadError::Framing("invalid Content-Length"))?;
                if self.content_length.is_some_and(|seen| seen != n) {
                    return Err(HeadError::Framing("conflicting Content-Length values"));
                }
                self.content_length = Some(n);
            }
        } else if name == header::TRANSFER_ENCODING {
            // Codings accumulate over repeated fields; the message is chunked only when `chunked` is the
            // final coding and appears once (RFC 9112 section 6.3). Anything else is refused: Moat does not
            // decode other codings, and guessing their length is how smuggling starts.
            for coding in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if coding.is_empty() {
                    continue;
                }
                self.chunked = Some(self.chunked.is_none() && coding.eq_ignore_ascii_case(b"chunked"));
            }
            if self.chunked.is_none() {
                self.chunked = Some(false);
            }
        } else if name == header::CONNECTION {
            for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                self.close |= option.eq_ignore_ascii_case(b"close");
                self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name == header::EXPECT {
            self.expect_continue |= value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
        }
        Ok(())
    }
}

/// Parses a request head from the front of `buf`, consuming it. `Ok(None)`: incomplete, read more;
/// `max_head_bytes` bounds an incomplete head too.
///
/// # Errors
/// A [`HeadError`] for anything that is not a well-formed, unambiguously framed HTTP/1.x request head.
pub fn parse_request_head(buf: &mut BytesMut, max_head_bytes: usize) -> Result<Option<RequestHead>, HeadError> {
    // Offsets of method, target and every field in the head (at most `max_head_bytes`, well within u32),
    // so the parsed values can share one frozen buffer instead of being copied.
    let mut spans = [[0u32; 4]; MAX_REQUEST_HEADERS];
    let (head_len, method_span, target_span, version, count) = {
        let mut fields = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_REQUEST_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let parsed =
            httparse::ParserConfig::default().parse_request_with_uninit_headers(&mut request, buf, &mut fields);
        let head_len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return if buf.len() > max_head_bytes {
                    Err(HeadError::TooLarge)
                } else {
                    Ok(None)
                };
            }
            Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
            Err(error) => return Err(HeadError::Malformed(parse_error_text(error))),
        };
        if head_len > max_head_bytes {
            return Err(HeadError::TooLarge);
        }
        let base = buf.as_ptr() as usize;
        let span = |part: &[u8]| {
            let start = (part.as_ptr() as usize - base) as u32;
            [start, start + part.len() as u32]
        };
        let method = request.method.ok_or(HeadError::Malformed("no method"))?;
        let target = request.path.ok_or(HeadError::Malformed("no request target"))?;
        let version = match request.version {
            Some(0) => Version::HTTP_10,
            _ => Version::HTTP_11,
        };
        for (slot, field) in spans.iter_mut().zip(request.headers.iter()) {
            let [n0, n1] = span(field.name.as_bytes());
            let [v0, v1] = span(field.value);
            *slot = [n0, n1, v0, v1];
        }
        (
            head_len,
            span(method.as_bytes()),
            span(target.as_bytes()),
            version,
            request.headers.len(),
        )
    };
    let head = buf.split_to(head_len).freeze();
    let at = |[start, end]: [u32; 2]| start as usize..end as usize;

    let method = Method::from_bytes(&head[at(method_span)]).map_err(|_| HeadError::Malformed("invalid method"))?;
    let uri = Uri::from_maybe_shared(head.slice(at(target_span)))
        .map_err(|_| HeadError::Malformed("invalid request target"))?;
    let mut headers = HeaderMap::with_capacity(count);
    let mut facts = Facts::default();
    for &[n0, n1, v0, v1] in &spans[..count] {
        let name =
            HeaderName::from_bytes(&head[at([n0, n1])]).map_err(|_| HeadError::Malformed("invalid field name"))?;
        let value = HeaderValue::from_maybe_shared(head.slice(at([v0, v1])))
            .map_err(|_| HeadError::Malformed("invalid field value"))?;
        facts.note(&name, value.as_bytes())?;
        headers.append(name, value);
    }

    let framing = match (facts.chunked, facts.content_length) {
        (Some(_), _) if version == Version::HTTP_10 => {
            return Err(HeadError::Framing("Transfer-Encoding in an HTTP/1.0 request"));
        }
        (Some(false), _) => return Err(HeadError::Framing("transfer coding other than a final chunked")),
        (Some(true), length) => {
            if length.is_some() {
                // Both: chunked wins (RFC 9112 section 6.3), the length is dropped so it is never
                // forwarded, and the connection is closed after the response.
                headers.remove(header::CONTENT_LENGTH);
                facts.close = true;
            }
            BodyFraming::Chunked
        }
        (None, Some(0) | None) => BodyFraming::None,
        (None, Some(n)) => BodyFraming::Length(n),
    };
    let keep_alive = if version == Version::HTTP_10 {
        facts.keep_alive && !facts.close
    } else {
        !facts.close
    };
    let expect_continue = facts.expect_continue && version == Version::HTTP_11 && framing != BodyFraming::None;

    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    let (parts, ()) = request.into_parts();
    Ok(Some(RequestHead {
        parts,
        framing,
        keep_alive,
        expect_continue,
    }))
}

/// Drops a request's leading empty lines, which RFC 9112 section 2.2 says a server should ignore
/// (some clients send a CRLF after a POST body).
pub fn skip_leading_empty_lines(buf: &mut BytesMut) {
    let blank = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    buf.advance(blank);
}
