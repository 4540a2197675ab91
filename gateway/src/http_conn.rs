//! One client connection's HTTP protocol: HTTP/1.1, or HTTP/2 chosen by ALPN (TLS) or by the client's
//! connection preface (plain TCP, "prior knowledge"). Choosing up front lets each connection run hyper's
//! HTTP/1 or HTTP/2 server directly on the socket, with no adaptor on every read.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::HttpService;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::net::TcpStream;

use crate::body::GatewayBody;
use crate::runtime::Limits;

/// A client connection's transport, as hyper's servers need it.
pub trait ClientIo: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static {}

impl<T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static> ClientIo for T {}

/// A request handler both of hyper's servers can run: Moat's pipeline, answering with [`GatewayBody`].
pub trait GatewayService:
    HttpService<Incoming, ResBody = GatewayBody, Future: Send + 'static, Error: Into<BoxError>> + Send + 'static
{
}

impl<S> GatewayService for S where
    S: HttpService<Incoming, ResBody = GatewayBody, Future: Send + 'static, Error: Into<BoxError>> + Send + 'static
{
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The first bytes of an HTTP/2 connection preface (RFC 9113 section 3.4); no HTTP/1 method starts so.
const PREFACE_START: &[u8; 3] = b"PRI";

/// HTTP/1 and HTTP/2 server settings built once from the limits.
pub struct HttpBuilders {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl HttpBuilders {
    /// Settings for `limits`.
    #[must_use]
    pub fn new(limits: &Limits) -> HttpBuilders {
        let mut http1 = http1::Builder::new();
        // `limits.header_read_timeout` is enforced by `conn_watch`, not by hyper's per-request timer (which
        // hyper arms for every request, 30 s by default, once a timer is set, and which would also cut idle
        // keep-alive connections at that limit instead of `limits.idle_timeout`).
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            // Heads up to `max_header_bytes` reach the pipeline, which answers with API Gateway's JSON;
            // the parser refuses anything far larger on its own.
            .max_buf_size(limits.max_header_bytes.saturating_add(8192).max(8192))
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.http2_max_concurrent_streams)
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
        HttpBuilders { http1, http2 }
    }

    /// Serves `io` with the protocol chosen for it.
    pub fn serve<I: ClientIo, S: GatewayService + Clone>(&self, io: I, http2: bool, service: S) -> Connection<I, S> {
        if http2 {
            Connection {
                protocol: Protocol::Http2 {
                    inner: self.http2.serve_connection(io, service),
                },
            }
        } else {
            Connection {
                protocol: Protocol::Http1 {
                    inner: self.http1.serve_connection(io, service),
                },
            }
        }
    }
}

/// Whether a plain-TCP client opens with the HTTP/2 preface. Peeks without consuming; `None` when the
/// client closes or sends nothing within `timeout`.
pub async fn sniff_http2(stream: &TcpStream, timeout: Duration) -> Option<bool> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 3];
    loop {
        let n = tokio::time::timeout_at(deadline, stream.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf[..n] != PREFACE_START[..n] {
            return Some(false);
        }
        if n == PREFACE_START.len() {
            return Some(true);
        }
        // Only part of "PRI" so far: wait briefly for the rest (rare; peek does not wait for more bytes).
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

pin_project_lite::pin_project! {
    /// A served connection of either protocol.
    pub struct Connection<I, S>
    where
        S: HttpService<Incoming>,
    {
        #[pin]
        protocol: Protocol<I, S>,
    }
}

pin_project_lite::pin_project! {
    #[project = ProtocolProj]
    enum Protocol<I, S>
    where
        S: HttpService<Incoming>,
    {
        Http1 { #[pin] inner: http1::Connection<I, S> },
        Http2 { #[pin] inner: http2::Connection<I, S, TokioExecutor> },
    }
}

impl<I: ClientIo, S: GatewayService> Connection<I, S> {
    /// Finishes in-flight requests, then closes (HTTP/1: no further keep-alive; HTTP/2: GOAWAY).
    pub fn graceful_shutdown(self: Pin<&mut Self>) {
        match self.project().protocol.project() {
            ProtocolProj::Http1 { inner } => inner.graceful_shutdown(),
            ProtocolProj::Http2 { inner } => inner.graceful_shutdown(),
        }
    }
}

impl<I: ClientIo, S: GatewayService> Future for Connection<I, S> {
    type Output = Result<(), hyper::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().protocol.project() {
            ProtocolProj::Http1 { inner } => inner.poll(cx),
            ProtocolProj::Http2 { inner } => inner.poll(cx),
        }
    }
}
