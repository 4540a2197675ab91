//! One client connection's HTTP protocol: HTTP/1.1 (Moat's own server, [`crate::h1_server`]), or HTTP/2
//! (hyper's) chosen by ALPN (TLS) or by the client's connection preface (plain TCP, "prior knowledge").
//! Choosing up front lets each connection run its server directly on the socket, with no adaptor on every
//! read.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::HttpService;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;

use crate::body::GatewayBody;
use crate::h1_server::{self, ClientStream};
use crate::runtime::Limits;

/// A request handler hyper's HTTP/2 server can run: Moat's pipeline, answering with [`GatewayBody`].
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

/// HTTP/2 server settings built once from the limits (HTTP/1.1 reads its limits from the gateway).
pub struct HttpBuilders {
    http2: http2::Builder<TokioExecutor>,
}

impl HttpBuilders {
    /// Settings for `limits`.
    #[must_use]
    pub fn new(limits: &Limits) -> HttpBuilders {
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.http2_max_concurrent_streams)
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
        HttpBuilders { http2 }
    }

    /// Serves HTTP/2 on `stream` with `service`.
    pub fn serve_http2<S: GatewayService + Clone>(&self, stream: Box<dyn ClientStream>, service: S) -> Connection<S> {
        Connection {
            protocol: Protocol::Http2 {
                inner: self.http2.serve_connection(TokioIo::new(stream), service),
            },
        }
    }

    /// Serves HTTP/1.1 on `stream` with Moat's own server.
    pub fn serve_http1<S: GatewayService>(&self, http1: h1_server::Connection) -> Connection<S> {
        Connection {
            protocol: Protocol::Http1 { inner: http1 },
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
    pub struct Connection<S>
    where
        S: HttpService<Incoming>,
    {
        #[pin]
        protocol: Protocol<S>,
    }
}

pin_project_lite::pin_project! {
    #[project = ProtocolProj]
    enum Protocol<S>
    where
        S: HttpService<Incoming>,
    {
        Http1 { inner: h1_server::Connection },
        Http2 { #[pin] inner: http2::Connection<TokioIo<Box<dyn ClientStream>>, S, TokioExecutor> },
    }
}

impl<S: GatewayService> Connection<S> {
    /// Finishes in-flight requests, then closes (HTTP/1.1: `Connection: close` on the response in
    /// flight, or at once when idle; HTTP/2: GOAWAY).
    pub fn graceful_shutdown(self: Pin<&mut Self>) {
        match self.project().protocol.project() {
            ProtocolProj::Http1 { inner } => inner.conn.closing.store(true, Ordering::Relaxed),
            ProtocolProj::Http2 { inner } => inner.graceful_shutdown(),
        }
    }
}

impl<S: GatewayService> Future for Connection<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().protocol.project() {
            ProtocolProj::Http1 { inner } => inner.serving.as_mut().poll(cx),
            ProtocolProj::Http2 { inner } => inner.poll(cx).map(|_| ()),
        }
    }
}
