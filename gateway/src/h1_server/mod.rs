//! Moat's HTTP/1.1 server (RFC 9112), for plain and TLS client connections alike; HTTP/2 stays with
//! hyper's server ([`crate::http_conn`]).
//!
//! One task per connection reads a request head ([`head`]), hands the request to [`pipeline::handle`]
//! with a body that streams straight from the socket ([`wire`]), and writes the response: the head and
//! every body piece that is already available go out in one write, the `date` field comes from a
//! per-thread cache refreshed once a second. Written for the proxy's hot path: no channel between the
//! connection and the request, no second task, no header map edits, no timer per request (the
//! connection's watchdog in [`crate::conn_watch`] enforces the head and idle timeouts).
//!
//! Strict where a gateway must be (request smuggling): a `Transfer-Encoding` whose final coding is not
//! `chunked`, one in HTTP/1.0, or conflicting `Content-Length` values are refused with 400; chunked
//! framing wins over `Content-Length`, which is then dropped, and the connection closed after the
//! response. A response whose body fails or outgrows its declared length ends the connection.

mod head;
mod wire;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use http_body::Body;

pub use head::{parse_request_head, BodyFraming, HeadError, RequestHead, MAX_REQUEST_HEADERS};
pub use wire::{ClientStream, RequestBody, RequestBodyError};

use crate::body::{ClientBody, GatewayBody};
use crate::integration::h1;
use crate::logging::is_id_field;
use crate::pipeline::{self, ConnInfo, Worker};
use wire::{lock, BodyState, Wire};

/// Extra bytes read past `limits.max_header_bytes` before a head is refused outright: heads between the
/// two reach the pipeline, which answers with the stage's `REQUEST_HEADER_FIELDS_TOO_LARGE` response.
pub const HEAD_READ_SLACK: usize = 8 * 1024;

/// Response bytes gathered before they are written, when the body has more ready.
const WRITE_BATCH: usize = 64 * 1024;

/// How long a closing connection waits for its close to complete and for the client to stop sending a
/// body Moat did not read (so the kernel does not reset the connection before the response is read).
const LINGER: Duration = Duration::from_secs(1);

/// Most unread request-body bytes discarded while lingering.
const LINGER_BYTES: usize = 1024 * 1024;

/// Serves HTTP/1.1 requests on `stream` until the client closes, asks to close, the connection turns
/// out unusable, or `conn.closing` is set while no request is in progress.
pub async fn serve(stream: Box<dyn ClientStream>, conn: Arc<ConnInfo>, worker: Arc<Worker>) {
    let max_head_bytes = worker.gateway.limits.max_header_bytes.saturating_add(HEAD_READ_SLACK);
    let wire = Arc::new(Mutex::new(Wire::new(stream)));
    let mut out = Vec::with_capacity(4096);
    loop {
        let head = match read_head(&wire, &conn, max_head_bytes).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(error) => {
                refuse(&wire, &mut out, error).await;
                return;
            }
        };
        let is_head = head.parts.method == Method::HEAD;
        let version = head.parts.version;
        let keep_alive = head.keep_alive;
        let body = request_body(&wire, &head);
        let request = Request::from_parts(head.parts, ClientBody::Http1(body));
        let Ok(response) = pipeline::handle(Arc::clone(&worker), Arc::clone(&conn), request).await;
        // Another request may follow only when this one's body has been read to its end.
        let body_read = matches!(lock(&wire).body, BodyState::Done);
        let keep_alive = keep_alive && body_read && !conn.closing.load(Ordering::Relaxed);
        let reusable = write_response(&wire, &mut out, response, is_head, version, keep_alive)
            .await
            .unwrap_or(false);
        if !reusable {
            close(&wire, !body_read).await;
            return;
        }
    }
}

/// Reads until a whole request head is buffered. `Ok(None)`: the client closed, or the connection is
/// closing and no request has started.
async fn read_head(
    wire: &Mutex<Wire>,
    conn: &ConnInfo,
    max_head_bytes: usize,
) -> Result<Option<RequestHead>, HeadError> {
    loop {
        {
            let mut wire = lock(wire);
            head::skip_leading_empty_lines(&mut wire.read_buf);
            if !wire.read_buf.is_empty() {
                if let Some(head) = parse_request_head(&mut wire.read_buf, max_head_bytes)? {
                    return Ok(Some(head));
                }
            }
        }
        let filled = poll_fn(|cx| {
            let mut wire = lock(wire);
            if wire.read_buf.is_empty() && conn.closing.load(Ordering::Relaxed) {
                return Poll::Ready(Ok(0));
            }
            wire.poll_fill(cx)
        })
        .await;
        if !matches!(filled, Ok(n) if n > 0) {
            return Ok(None);
        }
    }
}

/// The body of the request whose head was just read: handed over whole when it is already buffered,
/// else streamed from the connection as it is polled.
fn request_body(wire: &Arc<Mutex<Wire>>, head: &RequestHead) -> RequestBody {
    let mut guard = lock(wire);
    let w = &mut *guard;
    w.generation += 1;
    w.continue_owed = None;
    match head.framing {
        BodyFraming::None => {
            w.body = BodyState::Done;
            return RequestBody::buffered(Bytes::new());
        }
        BodyFraming::Length(n) if w.read_buf.len() as u64 >= n => {
            w.body = BodyState::Done;
            // `n` fits: it is at most the buffer's length.
            return RequestBody::buffered(w.read_buf.split_to(usize::try_from(n).unwrap_or(0)).freeze());
        }
        BodyFraming::Length(n) => w.body = BodyState::Length(n),
        BodyFraming::Chunked => w.body = BodyState::Chunked(h1::ChunkedDecoder::default()),
    }
    // A client waiting for `100 Continue` has sent nothing of its body yet; it is asked when the body
    // is first read, so a request refused from its head alone never makes the client send it.
    if head.expect_continue && w.read_buf.is_empty() {
        w.continue_owed = Some(0);
    }
    RequestBody::streaming(Arc::clone(wire), w.generation)
}

/// How the response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body bytes at all (HEAD, 1xx, 204, 304).
    Bodiless,
    Length(u64),
    Chunked,
    /// HTTP/1.0 client and no known length: the end of the body is the end of the connection.
    UntilClose,
}

/// Writes `response`; `Ok(true)` when the connection can carry another request.
async fn write_response(
    wire: &Mutex<Wire>,
    out: &mut Vec<u8>,
    response: Response<GatewayBody>,
    is_head: bool,
    version: Version,
    mut keep_alive: bool,
) -> io::Result<bool> {
    let (parts, mut body) = response.into_parts();
    let status = parts.status;
    let no_body =
        is_head || status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    // 1xx and 204 never carry Content-Length (RFC 9110 section 8.6).
    let length_allowed = !(status.is_informational() || status == StatusCode::NO_CONTENT);
    out.clear();
    push_status_line(out, status);
    let mut declared = None;
    let mut has_date = false;
    let has_ids = body.has_id_fields();
    body.id_fields(&mut |name, value| push_field(out, name.as_str().as_bytes(), value));
    for (name, value) in &parts.headers {
        if has_ids && is_id_field(name) {
            continue;
        }
        if name == header::CONTENT_LENGTH {
            match (length_allowed, declared, h1::parse_decimal(value.as_bytes())) {
                (true, None, Some(n)) => declared = Some(n),
                // Unparsable, repeated or not allowed: the length is Moat's to state.
                _ => continue,
            }
        } else if name == header::TRANSFER_ENCODING {
            continue;
        } else if name == header::CONNECTION {
            keep_alive &= !has_token(value, b"close");
            continue;
        } else if name == header::DATE {
            has_date = true;
        }
        push_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    let hint = body.size_hint().exact();
    let framing = if no_body {
        if declared.is_none() && is_head && length_allowed {
            if let Some(n) = hint {
                push_length(out, n);
            }
        }
        Framing::Bodiless
    } else if let Some(n) = declared {
        Framing::Length(n)
    } else if let Some(n) = hint {
        push_length(out, n);
        Framing::Length(n)
    } else if version == Version::HTTP_11 {
        push_field(out, b"transfer-encoding", b"chunked");
        Framing::Chunked
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    if !has_date {
        push_date(out);
    }
    if !keep_alive {
        push_field(out, b"connection", b"close");
    } else if version == Version::HTTP_10 {
        push_field(out, b"connection", b"keep-alive");
    }
    out.extend_from_slice(b"\r\n");
    if framing == Framing::Bodiless {
        drop(body);
        flush(wire, out).await?;
        return Ok(keep_alive);
    }

    let mut sent = 0u64;
    loop {
        // Whatever the body has ready joins the buffer; only when it must wait is the buffer written.
        let frame = match poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                flush(wire, out).await?;
                poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            }
        };
        let data = match frame {
            None => break,
            Some(Err(_)) => {
                // The integration failed mid-body: what was sent stands, the connection ends without the
                // end of the framing so the client sees a truncated response.
                flush(wire, out).await?;
                return Ok(false);
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
        };
        match framing {
            Framing::Length(n) => {
                let room = usize::try_from(n - sent).unwrap_or(usize::MAX);
                if data.len() > room {
                    // More than the declared length: send what was declared, then close.
                    out.extend_from_slice(&data[..room]);
                    flush(wire, out).await?;
                    return Ok(false);
                }
                out.extend_from_slice(&data);
                sent += data.len() as u64;
            }
            Framing::Chunked => h1::encode_chunk(&data, out),
            Framing::UntilClose | Framing::Bodiless => out.extend_from_slice(&data),
        }
        if body.is_end_stream() {
            break;
        }
        if out.len() >= WRITE_BATCH {
            flush(wire, out).await?;
        }
    }
    drop(body);
    match framing {
        Framing::Chunked => out.extend_from_slice(h1::LAST_CHUNK),
        // Shorter than declared: the client waits for bytes that never come unless the connection ends.
        Framing::Length(n) if sent < n => keep_alive = false,
        _ => {}
    }
    flush(wire, out).await?;
    Ok(keep_alive)
}

/// Answers a refused request head and closes the connection.
async fn refuse(wire: &Mutex<Wire>, out: &mut Vec<u8>, error: HeadError) {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = format!(
        r#"{{"message":"{}"}}"#,
        status.canonical_reason().unwrap_or("Bad Request")
    );
    out.clear();
    push_status_line(out, status);
    push_field(out, b"content-type", b"application/json");
    push_length(out, body.len() as u64);
    push_date(out);
    push_field(out, b"connection", b"close");
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    if flush(wire, out).await.is_ok() {
        close(wire, true).await;
    }
}

/// Ends the connection: the write side is shut down (TLS: close_notify), then, when the client may still
/// be sending a body Moat did not read, its bytes are read and dropped for a moment, so the response is
/// not lost to a reset.
async fn close(wire: &Mutex<Wire>, linger: bool) {
    let closing = async {
        poll_fn(|cx| lock(wire).poll_shutdown(cx)).await?;
        let mut discarded = 0;
        while linger && discarded < LINGER_BYTES {
            let n = poll_fn(|cx| {
                let mut wire = lock(wire);
                wire.read_buf.clear();
                wire.poll_fill(cx)
            })
            .await?;
            if n == 0 {
                break;
            }
            discarded += n;
        }
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(LINGER, closing).await;
}

/// Writes all of `out` (and flushes a TLS session), then empties it.
async fn flush(wire: &Mutex<Wire>, out: &mut Vec<u8>) -> io::Result<()> {
    let mut at = 0;
    while at < out.len() {
        let n = poll_fn(|cx| lock(wire).poll_write(cx, &out[at..])).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        at += n;
    }
    out.clear();
    poll_fn(|cx| lock(wire).poll_flush(cx)).await
}

fn has_token(value: &HeaderValue, token: &[u8]) -> bool {
    value
        .as_bytes()
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

fn push_status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn push_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn push_length(out: &mut Vec<u8>, n: u64) {
    push_field(out, b"content-length", itoa::Buffer::new().format(n).as_bytes());
}

thread_local! {
    /// The `date` field value of the current second, per worker thread.
    static DATE: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

fn push_date(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(cached_second, text)| {
        if *cached_second != second || text.is_empty() {
            *cached_second = second;
            *text = httpdate::fmt_http_date(now);
        }
        push_field(out, b"date", text.as_bytes());
    });
}

/// A client connection served by [`serve`], as [`crate::http_conn`] drives it.
pub struct Connection {
    /// The serving task's future.
    pub serving: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    /// The connection's facts; setting `closing` asks it to end once no request is in progress.
    pub conn: Arc<ConnInfo>,
}

impl Connection {
    /// Serves `stream` for `conn` with `worker`'s gateway.
    #[must_use]
    pub fn new(stream: Box<dyn ClientStream>, conn: Arc<ConnInfo>, worker: Arc<Worker>) -> Connection {
        Connection {
            serving: Box::pin(serve(stream, Arc::clone(&conn), worker)),
            conn,
        }
    }
}
