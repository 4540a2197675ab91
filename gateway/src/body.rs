//! Body wrappers on the request path.
//!
//! [`LimitedBody`] streams a client's request body to the integration while enforcing
//! `limits.max_body_bytes` and `limits.body_read_timeout`; [`GatewayBody`] streams the response to the
//! client, counts its bytes and runs the log phase exactly once, when the body ends or is dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderName;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;

use crate::integration::upstream::{UpstreamBody, UpstreamError};

/// Why a request body was cut off.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimitError {
    /// More than `limits.max_body_bytes`.
    #[error("request body is larger than limits.max_body_bytes ({0} bytes)")]
    TooLarge(u64),
    /// Not received within `limits.body_read_timeout`.
    #[error("request body was not received within limits.body_read_timeout ({0:?})")]
    TooSlow(Duration),
    /// The client's connection failed mid-body.
    #[error("client connection failed while sending the request body")]
    Client,
}

impl BodyLimitError {
    /// Finds a body-limit error in an error's source chain (the integration client wraps it).
    #[must_use]
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<BodyLimitError> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<BodyLimitError>() {
                return Some(*found);
            }
            current = e.source();
        }
        None
    }
}

/// A client's request body, from whichever server read the request.
pub enum ClientBody {
    /// HTTP/1.1, from Moat's own server.
    Http1(crate::h1_server::RequestBody),
    /// HTTP/2, from hyper's server.
    Http2(Incoming),
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ClientBody::Http1(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            ClientBody::Http2(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ClientBody::Http1(body) => body.is_end_stream(),
            ClientBody::Http2(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ClientBody::Http1(body) => body.size_hint(),
            ClientBody::Http2(body) => body.size_hint(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A client request body with a size cap and a deadline for the whole body.
    pub struct LimitedBody {
        #[pin]
        inner: ClientBody,
        remaining: u64,
        limit: u64,
        timeout: Duration,
        started: Option<tokio::time::Instant>,
        deadline: Option<Pin<Box<Sleep>>>,
    }
}

impl LimitedBody {
    /// Wraps `inner`; the time limit counts from the first read of the body.
    #[must_use]
    pub fn new(inner: ClientBody, limit: u64, timeout: Duration) -> LimitedBody {
        LimitedBody {
            inner,
            remaining: limit,
            limit,
            timeout,
            started: None,
            deadline: None,
        }
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = BodyLimitError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyLimitError>>> {
        let this = self.project();
        let timeout = *this.timeout;
        let started = *this.started.get_or_insert_with(tokio::time::Instant::now);
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > *this.remaining {
                        *this.remaining = 0;
                        return Poll::Ready(Some(Err(BodyLimitError::TooLarge(*this.limit))));
                    }
                    *this.remaining -= len;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(_))) => Poll::Ready(Some(Err(BodyLimitError::Client))),
            Poll::Ready(None) => Poll::Ready(None),
            // The timer is armed only when the client makes us wait: a body already buffered (most small
            // bodies) costs no timer registration.
            Poll::Pending => {
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(started + timeout)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyLimitError::TooSlow(timeout)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request body whose first bytes were read ahead (for WAF inspection): the buffered prefix is sent
/// first, then the rest streams from `rest` as it arrives.
pub struct PrefixedBody<B> {
    prefix: Option<Bytes>,
    rest: B,
}

impl<B: Body<Data = Bytes> + Unpin> PrefixedBody<B> {
    /// A body with nothing read ahead.
    #[must_use]
    pub fn new(rest: B) -> PrefixedBody<B> {
        PrefixedBody { prefix: None, rest }
    }

    /// Reads ahead until at least `limit` bytes are buffered or the body ends, and returns the buffered
    /// bytes (which can exceed `limit` by part of one chunk). Reading again continues where it stopped.
    ///
    /// # Errors
    /// The body's own error (too large, too slow, client gone).
    pub async fn read_ahead(&mut self, limit: usize) -> Result<&[u8], B::Error> {
        use http_body_util::BodyExt;
        let mut buffered = self.prefix.take().unwrap_or_default();
        let mut joined: Option<bytes::BytesMut> = None;
        while buffered.len() + joined.as_ref().map_or(0, bytes::BytesMut::len) < limit && !self.rest.is_end_stream() {
            let Some(frame) = self.rest.frame().await else { break };
            let Ok(data) = frame?.into_data() else { continue };
            if buffered.is_empty() && joined.is_none() {
                buffered = data;
            } else {
                let joined = joined.get_or_insert_with(|| bytes::BytesMut::from(&buffered[..]));
                joined.extend_from_slice(&data);
            }
        }
        let prefix = joined.map_or(buffered, bytes::BytesMut::freeze);
        Ok(self.prefix.insert(prefix))
    }

    /// The bytes read ahead so far.
    #[must_use]
    pub fn prefix(&self) -> &[u8] {
        self.prefix.as_deref().unwrap_or_default()
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for PrefixedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(prefix) = self.prefix.take().filter(|p| !p.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.as_ref().is_none_or(Bytes::is_empty) && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.rest.size_hint();
        let buffered = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        if buffered > 0 {
            // Upper first: `set_lower` insists on lower <= upper.
            if let Some(upper) = hint.upper() {
                hint.set_upper(upper.saturating_add(buffered));
            }
            hint.set_lower(hint.lower().saturating_add(buffered));
        }
        hint
    }
}

/// Runs the log phase when a response body has been sent (or abandoned).
pub trait OnComplete: Send {
    /// Called once with the number of body bytes sent and whether the body ended normally.
    fn complete(self: Box<Self>, bytes_sent: u64, finished: bool);

    /// Calls `field` with each response header field that carries the request's ids. The servers write
    /// them into the response head themselves, in place of any field of the same name in the response's
    /// map, so the hot path never edits a header map for them.
    fn id_fields(&self, field: &mut dyn FnMut(&HeaderName, &[u8]));
}

enum Source {
    Full(Option<Bytes>),
    Upstream(UpstreamBody),
}

/// The response body sent to clients: fixed bytes or a streamed integration response.
pub struct GatewayBody {
    source: Source,
    sent: u64,
    on_complete: Option<Box<dyn OnComplete>>,
}

impl GatewayBody {
    /// A fixed body.
    #[must_use]
    pub fn full(bytes: Bytes, on_complete: Option<Box<dyn OnComplete>>) -> GatewayBody {
        GatewayBody {
            source: Source::Full(Some(bytes)),
            sent: 0,
            on_complete,
        }
    }

    /// A streamed integration response (its connection returns to the pool when it has been read to the end).
    #[must_use]
    pub fn upstream(body: UpstreamBody, on_complete: Option<Box<dyn OnComplete>>) -> GatewayBody {
        GatewayBody {
            source: Source::Upstream(body),
            sent: 0,
            on_complete,
        }
    }

    /// Whether the response carries the request's id fields: a body with a log phase supplies them (at
    /// least `x-amzn-RequestId`), and the endpoint's own values of [`crate::logging::ID_FIELDS`] are dropped.
    #[must_use]
    pub fn has_id_fields(&self) -> bool {
        self.on_complete.is_some()
    }

    /// Calls `field` with each of the request's id fields ([`OnComplete::id_fields`]); none for a body
    /// without a log phase.
    pub fn id_fields(&self, field: &mut dyn FnMut(&HeaderName, &[u8])) {
        if let Some(on_complete) = &self.on_complete {
            on_complete.id_fields(field);
        }
    }

    fn finish(&mut self, finished: bool) {
        if let Some(callback) = self.on_complete.take() {
            callback.complete(self.sent, finished);
        }
    }
}

impl Drop for GatewayBody {
    fn drop(&mut self) {
        let ended = self.is_end_stream();
        self.finish(ended);
    }
}

impl Body for GatewayBody {
    type Data = Bytes;
    type Error = UpstreamError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        let this = &mut *self;
        let polled = match &mut this.source {
            Source::Full(bytes) => Poll::Ready(bytes.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Source::Upstream(body) => Pin::new(body).poll_frame(cx),
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.sent += data.len() as u64;
                }
                if this.is_end_stream() {
                    this.finish(true);
                }
            }
            Poll::Ready(None) => this.finish(true),
            Poll::Ready(Some(Err(_))) => this.finish(false),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.source {
            Source::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Source::Upstream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.source {
            Source::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Source::Upstream(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    /// A body that yields one piece per poll.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|p| Ok(Frame::data(Bytes::from_static(p)))))
        }

        fn is_end_stream(&self) -> bool {
            self.0.is_empty()
        }
    }

    fn chunks(pieces: &[&'static [u8]]) -> Chunks {
        Chunks(pieces.iter().copied().collect())
    }

    #[tokio::test]
    async fn read_ahead_joins_chunks_up_to_the_limit_and_forwards_everything_once() {
        let mut body = PrefixedBody::new(chunks(&[b"abc", b"def", b"ghi", b"jkl"]));
        assert_eq!(body.read_ahead(5).await.expect("body"), b"abcdef");
        assert_eq!(body.size_hint().lower(), 6);
        let all = body.collect().await.expect("body").to_bytes();
        assert_eq!(&all[..], b"abcdefghijkl");
    }

    #[tokio::test]
    async fn read_ahead_of_a_short_or_empty_body_takes_it_all() {
        let mut body = PrefixedBody::new(Full::new(Bytes::from_static(b"{\"a\":1}")));
        assert_eq!(body.read_ahead(16 * 1024).await.expect("body"), b"{\"a\":1}");
        assert_eq!(body.size_hint().exact(), Some(7));
        assert!(!body.is_end_stream());
        assert_eq!(&body.collect().await.expect("body").to_bytes()[..], b"{\"a\":1}");
        let mut empty = PrefixedBody::new(Full::new(Bytes::new()));
        assert_eq!(empty.read_ahead(10).await.expect("body"), b"");
        assert!(empty.is_end_stream());
    }
}
