//! The integration client of one worker thread: HTTP/1.1 keep-alive connections per endpoint, driven
//! inside the request's own task (no connection task, no channel), reused newest-first, and returned to
//! the pool only when their response body has been read to the end.
//!
//! Each worker owns its pool, so the lock is never contended. A pooled connection the endpoint closed
//! while idle is noticed before use from the socket's readiness (no system call when it is healthy), and
//! closed by the worker's periodic [`UpstreamPool::reap_idle`] if no request gets to it first; if
//! the endpoint closes a reused connection before answering, a request whose body was not yet streamed is
//! retried once more on another connection, as RFC 9112 section 9.3.1 allows for a connection that failed
//! before any response byte.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::uri::Authority;
use http::{Method, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use rustc_hash::FxHashMap;
use tokio::net::TcpStream;

use super::h1::{
    self, ChunkedDecoder, Decoded, FieldParts, HeadScratch, RequestFraming, ResponseError, ResponseFraming,
    ResponseHead,
};

/// A boxed error from the client's request body (its source chain carries a `BodyLimitError`).
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Why an integration request failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The endpoint's host name did not resolve.
    #[error("cannot resolve {authority}: {source}")]
    Resolve {
        /// Endpoint.
        authority: String,
        /// Cause.
        source: std::io::Error,
    },
    /// TCP connect failed or timed out.
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        /// Endpoint.
        authority: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Writing the request failed.
    #[error("error sending the request to the endpoint: {0}")]
    Write(#[source] std::io::Error),
    /// Reading the response failed.
    #[error("error reading the endpoint's response: {0}")]
    Read(#[source] std::io::Error),
    /// The endpoint closed the connection before its response was complete.
    #[error("the endpoint closed the connection before the response was complete")]
    Closed,
    /// The endpoint's response is not valid HTTP/1.x.
    #[error("invalid response from the endpoint: {0}")]
    Response(#[from] ResponseError),
    /// The client's request body failed (too large, too slow, or the client went away).
    #[error("the client's request body could not be forwarded")]
    Body(#[source] BodyError),
}

/// Every endpoint authority the process has seen, numbered once so the pool is indexed, not hashed, on
/// the request path. Ids stay valid across config reloads.
static ENDPOINTS: std::sync::LazyLock<Mutex<FxHashMap<Authority, usize>>> =
    std::sync::LazyLock::new(|| Mutex::new(FxHashMap::default()));

/// The pool index of `authority` (assigned when a config is compiled).
#[must_use]
pub fn endpoint_id(authority: &Authority) -> usize {
    let Ok(mut ids) = ENDPOINTS.lock() else {
        return 0;
    };
    let next = ids.len();
    *ids.entry(authority.clone()).or_insert(next)
}

/// Bytes read from an endpoint socket at a time, at most.
const READ_CHUNK: usize = 16 * 1024;

/// Header fields the pipeline adds to a response (request and trace ids) without growing its map.
const RESPONSE_EXTRA_HEADERS: usize = 6;

/// Request body pieces up to this size are copied next to their framing and written with it in one call.
const COALESCE_BYTES: usize = 16 * 1024;

/// One connection to an endpoint, with the buffers it keeps between requests.
struct Connection {
    stream: TcpStream,
    read_buf: BytesMut,
    write_buf: Vec<u8>,
    head_scratch: HeadScratch,
    idle_since: Instant,
}

impl Connection {
    /// Whether an idle connection can carry a request: no end-of-file, error or stray bytes arrived
    /// while it sat in the pool. Healthy sockets are not readable, which tokio knows without a system call.
    fn is_healthy(&self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.stream.poll_read_ready(&mut cx) {
            Poll::Pending => true,
            Poll::Ready(Err(_)) => false,
            Poll::Ready(Ok(())) => {
                let mut probe = [0u8; 1];
                matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            }
        }
    }

    fn reserve_read(&mut self) {
        if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 8 {
            self.read_buf.reserve(READ_CHUNK);
        }
    }

    /// Writes `data` unless the endpoint starts to answer first (an early response, e.g. a 413 before
    /// the body): then returns `Ok(true)` with the first response bytes in `read_buf`.
    async fn write_unless_answered(&mut self, mut data: &[u8]) -> Result<bool, UpstreamError> {
        while !data.is_empty() {
            match self.stream.try_write(data) {
                Ok(n) => {
                    data = &data[n..];
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(UpstreamError::Write(e)),
            }
            tokio::select! {
                biased;
                ready = self.stream.readable() => {
                    ready.map_err(UpstreamError::Read)?;
                    if self.probe_answer()? {
                        return Ok(true);
                    }
                }
                ready = self.stream.writable() => ready.map_err(UpstreamError::Write)?,
            }
        }
        Ok(false)
    }

    /// Reads what the endpoint sent without waiting: `Ok(true)` when bytes of its final response arrived
    /// (interim 1xx responses are consumed and do not count).
    fn probe_answer(&mut self) -> Result<bool, UpstreamError> {
        self.reserve_read();
        match self.stream.try_read_buf(&mut self.read_buf) {
            Ok(0) => Err(UpstreamError::Closed),
            Ok(_) => Ok(h1::skip_interim_responses(&mut self.read_buf)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(UpstreamError::Read(e)),
        }
    }

    /// Reads until a whole response head is parsed.
    async fn read_head(&mut self, method: &Method, max_head_bytes: usize) -> Result<ResponseHead, UpstreamError> {
        use tokio::io::AsyncReadExt;
        loop {
            if !self.read_buf.is_empty() {
                let parsed = h1::parse_response_head(
                    &mut self.read_buf,
                    method,
                    max_head_bytes,
                    RESPONSE_EXTRA_HEADERS,
                    &mut self.head_scratch,
                )?;
                if let Some(head) = parsed {
                    return Ok(head);
                }
            }
            self.reserve_read();
            let n = self
                .stream
                .read_buf(&mut self.read_buf)
                .await
                .map_err(UpstreamError::Read)?;
            if n == 0 {
                return Err(UpstreamError::Closed);
            }
        }
    }
}

/// Pooled keep-alive connections to integration endpoints.
pub struct UpstreamPool {
    /// Idle connections by endpoint id, most recently used last.
    idle: Mutex<Vec<Vec<Connection>>>,
    addresses: Mutex<FxHashMap<Authority, SocketAddr>>,
    max_idle_per_endpoint: usize,
    idle_timeout: Duration,
    connect_timeout: Duration,
    max_response_head_bytes: usize,
}

/// Limits of an [`UpstreamPool`].
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Idle connections kept per endpoint.
    pub max_idle_per_endpoint: usize,
    /// How long an idle connection is kept.
    pub idle_timeout: Duration,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Largest response head accepted from an endpoint.
    pub max_response_head_bytes: usize,
}

impl UpstreamPool {
    /// An empty pool with these limits.
    #[must_use]
    pub fn new(settings: PoolSettings) -> Arc<UpstreamPool> {
        Arc::new(UpstreamPool {
            idle: Mutex::new(Vec::new()),
            addresses: Mutex::new(FxHashMap::default()),
            max_idle_per_endpoint: settings.max_idle_per_endpoint,
            idle_timeout: settings.idle_timeout,
            connect_timeout: settings.connect_timeout,
            max_response_head_bytes: settings.max_response_head_bytes,
        })
    }

    /// Sends a request to `authority` (pool index `endpoint`, from [`endpoint_id`]) on an idle connection
    /// when a healthy one is pooled, else on a new one, and returns the response head with a body that
    /// streams from the connection. `fields` lists the request's header fields, `Host` included and
    /// hop-by-hop fields excluded; it is called again if the request is retried.
    ///
    /// # Errors
    /// When the endpoint cannot be reached, the exchange fails, or the client's body fails.
    pub async fn send<'f, B, F, I>(
        self: &Arc<Self>,
        endpoint: usize,
        authority: &Authority,
        method: &Method,
        path_and_query: &str,
        fields: F,
        mut body: B,
    ) -> Result<Response<UpstreamBody>, UpstreamError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: Into<BodyError>,
        F: Fn() -> I,
        I: Iterator<Item = FieldParts<'f>>,
    {
        let framing = if body.is_end_stream() {
            if fields().any(|(name, _)| name == b"content-length") {
                RequestFraming::Length(0)
            } else {
                RequestFraming::Empty
            }
        } else {
            body.size_hint()
                .exact()
                .map_or(RequestFraming::Chunked, RequestFraming::Length)
        };
        // A body that has already arrived (most small ones) goes out with the head in one write, and
        // can be written again if a reused connection turns out to be closed.
        let mut first = None;
        let mut body_done = framing == RequestFraming::Empty || body.is_end_stream();
        if !body_done {
            let polled = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await;
            match polled {
                Poll::Ready(Some(Ok(frame))) => first = frame.into_data().ok(),
                Poll::Ready(Some(Err(e))) => return Err(UpstreamError::Body(e.into())),
                Poll::Ready(None) => {}
                Poll::Pending => {}
            }
            body_done = body.is_end_stream();
        }
        loop {
            let (mut conn, reused) = match self.check_out(endpoint) {
                Some(conn) => (conn, true),
                None => (self.connect(authority).await?, false),
            };
            let replayable = reused && body_done;
            let outcome = self
                .exchange(
                    &mut conn,
                    method,
                    path_and_query,
                    fields(),
                    framing,
                    first.as_ref(),
                    body_done,
                    &mut body,
                )
                .await;
            match outcome {
                Ok((head, answered_early)) => {
                    return Ok(self.respond(endpoint, conn, head, answered_early));
                }
                // Closed before any response byte, on a connection the endpoint may have dropped while idle.
                Err(UpstreamError::Closed | UpstreamError::Read(_) | UpstreamError::Write(_))
                    if replayable && conn.read_buf.is_empty() => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Writes the request on `conn` and reads the response head; `Ok((head, true))` when the endpoint
    /// answered before the whole body was sent.
    #[allow(clippy::too_many_arguments)]
    async fn exchange<'f, B>(
        &self,
        conn: &mut Connection,
        method: &Method,
        path: &str,
        fields: impl Iterator<Item = FieldParts<'f>>,
        framing: RequestFraming,
        first: Option<&Bytes>,
        body_done: bool,
        body: &mut B,
    ) -> Result<(ResponseHead, bool), UpstreamError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: Into<BodyError>,
    {
        let chunked = framing == RequestFraming::Chunked;
        let mut write_buf = std::mem::take(&mut conn.write_buf);
        write_buf.clear();
        h1::encode_request_head(method, path, fields, framing, &mut write_buf);
        let mut large_first = None;
        if let Some(data) = first {
            if data.len() <= COALESCE_BYTES {
                push_body_piece(data, chunked, &mut write_buf);
            } else {
                large_first = Some(data);
            }
        }
        if body_done && chunked && large_first.is_none() {
            write_buf.extend_from_slice(h1::LAST_CHUNK);
        }
        let mut answered = conn.write_unless_answered(&write_buf).await;
        if let (Ok(false), Some(data)) = (&answered, large_first) {
            answered = write_piece(conn, data, chunked, body_done, &mut write_buf).await;
        }
        let mut answered = answered?;
        if !answered && !body_done {
            answered = stream_body(conn, body, chunked, &mut write_buf).await?;
        }
        if write_buf.capacity() > 4 * COALESCE_BYTES {
            write_buf = Vec::with_capacity(1024);
        }
        conn.write_buf = write_buf;
        let head = conn.read_head(method, self.max_response_head_bytes).await?;
        Ok((head, answered))
    }

    fn respond(
        self: &Arc<Self>,
        endpoint: usize,
        conn: Connection,
        head: ResponseHead,
        answered_early: bool,
    ) -> Response<UpstreamBody> {
        let state = match head.framing {
            ResponseFraming::Empty => BodyState::Done,
            ResponseFraming::Length(n) => BodyState::Length(n),
            ResponseFraming::Chunked => BodyState::Chunked(ChunkedDecoder::default()),
            ResponseFraming::UntilClose => BodyState::UntilClose,
        };
        let mut body = UpstreamBody {
            conn: Some(conn),
            state,
            reusable: head.keep_alive && !answered_early,
            pool: Arc::clone(self),
            endpoint,
        };
        if matches!(body.state, BodyState::Done) {
            body.finish();
        }
        let mut response = Response::new(body);
        *response.status_mut() = head.status;
        *response.headers_mut() = head.headers;
        response
    }

    fn check_out(&self, endpoint: usize) -> Option<Connection> {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(endpoint)?;
        let now = Instant::now();
        while let Some(conn) = list.pop() {
            if self.is_reusable(&conn, now) {
                return Some(conn);
            }
        }
        None
    }

    /// Whether a pooled connection may carry a request at `now`: inside the idle timeout and healthy.
    fn is_reusable(&self, conn: &Connection, now: Instant) -> bool {
        now.duration_since(conn.idle_since) < self.idle_timeout && conn.is_healthy()
    }

    /// Closes the idle connections that are past the idle timeout or that their endpoint closed (or sent
    /// stray bytes on) while pooled, keeping the others in their order; returns how many were closed.
    /// Requests only look at the newest idle connections, so without this a pool that traffic no longer
    /// reaches would hold sockets their endpoints have given up on (in `CLOSE_WAIT`) indefinitely.
    pub fn reap_idle(&self) -> usize {
        let Ok(mut idle) = self.idle.lock() else { return 0 };
        let now = Instant::now();
        let mut closed = 0;
        for list in idle.iter_mut() {
            let before = list.len();
            list.retain(|conn| self.is_reusable(conn, now));
            closed += before - list.len();
        }
        closed
    }

    /// Runs [`UpstreamPool::reap_idle`] every half idle timeout, for as long as the worker's runtime runs.
    pub async fn reap_idle_periodically(self: Arc<Self>) {
        // (An interval must not be zero: a pool built with no idle timeout still ticks every 10 ms.)
        let mut every = tokio::time::interval((self.idle_timeout / 2).max(Duration::from_millis(10)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            self.reap_idle();
        }
    }

    fn check_in(&self, endpoint: usize, mut conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() <= endpoint {
                idle.resize_with(endpoint + 1, Vec::new);
            }
            let list = &mut idle[endpoint];
            if list.len() < self.max_idle_per_endpoint {
                conn.idle_since = Instant::now();
                list.push(conn);
            }
        }
    }

    async fn resolve(&self, authority: &Authority) -> Result<SocketAddr, UpstreamError> {
        if let Some(addr) = self.addresses.lock().ok().and_then(|a| a.get(authority).copied()) {
            return Ok(addr);
        }
        let host_port = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
        let host_port = host_port.trim_start_matches('[').replace("]:", ":");
        let addr = match host_port.parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => {
                let lookup = tokio::net::lookup_host((authority.host(), authority.port_u16().unwrap_or(80))).await;
                let mut addrs = lookup.map_err(|source| UpstreamError::Resolve {
                    authority: authority.to_string(),
                    source,
                })?;
                let addr = addrs.next().ok_or_else(|| UpstreamError::Resolve {
                    authority: authority.to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
                })?;
                // Names are re-resolved for every new connection; only literal addresses are cached.
                return Ok(addr);
            }
        };
        if let Ok(mut cache) = self.addresses.lock() {
            cache.insert(authority.clone(), addr);
        }
        Ok(addr)
    }

    async fn connect(&self, authority: &Authority) -> Result<Connection, UpstreamError> {
        let addr = self.resolve(authority).await?;
        let connect_error = |source| UpstreamError::Connect {
            authority: authority.to_string(),
            source,
        };
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| connect_error(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")))?
            .map_err(connect_error)?;
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            stream,
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            write_buf: Vec::with_capacity(1024),
            head_scratch: HeadScratch::default(),
            idle_since: Instant::now(),
        })
    }
}

/// Appends one piece of request body with its framing.
fn push_body_piece(data: &[u8], chunked: bool, out: &mut Vec<u8>) {
    if chunked {
        h1::encode_chunk(data, out);
    } else {
        out.extend_from_slice(data);
    }
}

/// Writes one piece of request body (and the last chunk after it when `last`), copying only small pieces.
async fn write_piece(
    conn: &mut Connection,
    data: &Bytes,
    chunked: bool,
    last: bool,
    scratch: &mut Vec<u8>,
) -> Result<bool, UpstreamError> {
    scratch.clear();
    if data.len() <= COALESCE_BYTES {
        push_body_piece(data, chunked, scratch);
        if last && chunked {
            scratch.extend_from_slice(h1::LAST_CHUNK);
        }
        return conn.write_unless_answered(scratch).await;
    }
    if chunked {
        h1::encode_chunk_size(data.len(), scratch);
        if conn.write_unless_answered(scratch).await? {
            return Ok(true);
        }
        scratch.clear();
    }
    if conn.write_unless_answered(data).await? {
        return Ok(true);
    }
    if chunked {
        scratch.extend_from_slice(b"\r\n");
        if last {
            scratch.extend_from_slice(h1::LAST_CHUNK);
        }
        return conn.write_unless_answered(scratch).await;
    }
    Ok(false)
}

/// Streams the rest of the client's body; `Ok(true)` when the endpoint answered before it was all sent.
async fn stream_body<B>(
    conn: &mut Connection,
    body: &mut B,
    chunked: bool,
    scratch: &mut Vec<u8>,
) -> Result<bool, UpstreamError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BodyError>,
{
    loop {
        let frame = tokio::select! {
            biased;
            frame = body.frame() => frame,
            ready = conn.stream.readable() => {
                ready.map_err(UpstreamError::Read)?;
                if conn.probe_answer()? {
                    return Ok(true);
                }
                continue;
            }
        };
        match frame {
            None => {
                if chunked {
                    return conn.write_unless_answered(h1::LAST_CHUNK).await;
                }
                return Ok(false);
            }
            Some(Err(e)) => return Err(UpstreamError::Body(e.into())),
            Some(Ok(frame)) => {
                // Trailers from the client are not forwarded.
                let Ok(data) = frame.into_data() else { continue };
                let last = body.is_end_stream();
                if write_piece(conn, &data, chunked, last, scratch).await? {
                    return Ok(true);
                }
                if last {
                    return Ok(false);
                }
            }
        }
    }
}

enum BodyState {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// An integration response body, read from the endpoint's connection as the client consumes it; the
/// connection goes back to the pool when the body has been read to its end (and is closed if the body
/// is dropped early).
pub struct UpstreamBody {
    conn: Option<Connection>,
    state: BodyState,
    reusable: bool,
    pool: Arc<UpstreamPool>,
    endpoint: usize,
}

impl UpstreamBody {
    /// The body has ended: the connection returns to the pool if it can carry another request.
    fn finish(&mut self) {
        self.state = BodyState::Done;
        if let Some(conn) = self.conn.take() {
            // Bytes past the end of the message break the framing of the next one: close instead.
            if self.reusable && conn.read_buf.is_empty() {
                self.pool.check_in(self.endpoint, conn);
            }
        }
    }

    fn fail(&mut self, error: UpstreamError) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        self.state = BodyState::Done;
        self.conn = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = UpstreamError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let buf = &mut conn.read_buf;
            match &mut this.state {
                BodyState::Done => return Poll::Ready(None),
                BodyState::Length(left) => {
                    if !buf.is_empty() {
                        let take = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                        let data = buf.split_to(take).freeze();
                        *left -= take as u64;
                        if *left == 0 {
                            this.finish();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                BodyState::Chunked(decoder) => match decoder.decode(buf) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::Done) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => {}
                    Err(error) => return this.fail(error.into()),
                },
                BodyState::UntilClose => {
                    if !buf.is_empty() {
                        let data = buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
            }
            conn.reserve_read();
            match tokio_util::io::poll_read_buf(Pin::new(&mut conn.stream), cx, &mut conn.read_buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return this.fail(UpstreamError::Read(error)),
                Poll::Ready(Ok(0)) => {
                    if matches!(this.state, BodyState::UntilClose) {
                        this.state = BodyState::Done;
                        this.conn = None;
                        return Poll::Ready(None);
                    }
                    return this.fail(UpstreamError::Closed);
                }
                Poll::Ready(Ok(_)) => {}
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, BodyState::Done | BodyState::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            BodyState::Done => SizeHint::with_exact(0),
            BodyState::Length(n) => SizeHint::with_exact(n),
            BodyState::Chunked(_) | BodyState::UntilClose => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests;
