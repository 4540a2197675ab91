//! The client connection as both the server loop and a request body read it: the socket, its read
//! buffer and the state of the body being read. [`RequestBody`] streams a body straight from the socket
//! inside the request's own task (no channel, no second task); a body that arrived with its head (most
//! small ones) is handed over as one buffer and never touches the socket again.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::integration::h1::{ChunkedDecoder, Decoded};

/// A client connection's transport: plain TCP or TLS, watched by [`crate::conn_watch`].
pub trait ClientStream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> ClientStream for T {}

/// How much the read buffer grows by when it is full.
const READ_CHUNK: usize = 8 * 1024;

/// The interim response sent when a client waiting on `Expect: 100-continue` is asked for its body.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Why a request body could not be read to its end.
#[derive(Debug, thiserror::Error)]
pub enum RequestBodyError {
    /// The socket failed.
    #[error("client connection failed: {0}")]
    Io(#[from] io::Error),
    /// The client closed the connection before the end of the body.
    #[error("client closed the connection before the end of the request body")]
    Closed,
    /// A chunked body that breaks RFC 9112 section 7.1.
    #[error("{0}")]
    Chunked(#[from] crate::integration::h1::ResponseError),
}

/// Where the current request's body stands.
#[derive(Debug)]
pub(super) enum BodyState {
    /// Fully read, or there was none.
    Done,
    /// `Content-Length` bytes still to read.
    Length(u64),
    /// A chunked body being decoded.
    Chunked(ChunkedDecoder),
    /// Reading failed; the connection cannot carry another request.
    Failed,
}

/// The shared side of a connection.
pub(super) struct Wire {
    pub(super) stream: Box<dyn ClientStream>,
    pub(super) read_buf: BytesMut,
    pub(super) body: BodyState,
    /// Counts requests, so a body outliving its request can never read the next one's bytes.
    pub(super) generation: u64,
    /// Bytes of `100 Continue` still to write before the body is read (None: not owed).
    pub(super) continue_owed: Option<usize>,
}

impl Wire {
    pub(super) fn new(stream: Box<dyn ClientStream>) -> Wire {
        Wire {
            stream,
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            body: BodyState::Done,
            generation: 0,
            continue_owed: None,
        }
    }

    /// Reads more bytes into the buffer; `Ready(Ok(0))` at end of stream.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 4 {
            self.read_buf.reserve(READ_CHUNK);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.read_buf)
    }

    /// Writes some of `data`.
    pub(super) fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    /// Flushes what the stream buffers (a TLS session's records).
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    /// Shuts the write side down (TCP FIN; TLS close_notify first).
    pub(super) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    /// Writes what is left of an owed `100 Continue`.
    fn poll_continue(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(written) = self.continue_owed {
            if written == CONTINUE.len() {
                self.continue_owed = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.stream).poll_write(cx, &CONTINUE[written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.continue_owed = Some(written + n);
        }
        Poll::Ready(Ok(()))
    }

    /// The next piece of the current body from the buffer, reading from the socket when it is empty.
    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, RequestBodyError>>> {
        loop {
            match &mut self.body {
                BodyState::Done | BodyState::Failed => return Poll::Ready(None),
                BodyState::Length(left) => {
                    if !self.read_buf.is_empty() {
                        let take = usize::try_from(*left).unwrap_or(usize::MAX).min(self.read_buf.len());
                        *left -= take as u64;
                        if *left == 0 {
                            self.body = BodyState::Done;
                        }
                        return Poll::Ready(Some(Ok(self.read_buf.split_to(take).freeze())));
                    }
                }
                BodyState::Chunked(decoder) => match decoder.decode(&mut self.read_buf) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(data))),
                    Ok(Decoded::Done) => {
                        self.body = BodyState::Done;
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => {}
                    Err(error) => {
                        self.body = BodyState::Failed;
                        return Poll::Ready(Some(Err(error.into())));
                    }
                },
            }
            // The buffer holds nothing more of the body: ask for it (once) and read.
            if let Err(error) = std::task::ready!(self.poll_continue(cx)) {
                self.body = BodyState::Failed;
                return Poll::Ready(Some(Err(error.into())));
            }
            match std::task::ready!(self.poll_fill(cx)) {
                Ok(0) => {
                    self.body = BodyState::Failed;
                    return Poll::Ready(Some(Err(RequestBodyError::Closed)));
                }
                Ok(_) => {}
                Err(error) => {
                    self.body = BodyState::Failed;
                    return Poll::Ready(Some(Err(error.into())));
                }
            }
        }
    }

    fn body_size_hint(&self) -> SizeHint {
        match self.body {
            BodyState::Done | BodyState::Failed => SizeHint::with_exact(0),
            BodyState::Length(left) => SizeHint::with_exact(left),
            BodyState::Chunked(_) => SizeHint::default(),
        }
    }
}

/// Locks a connection's wire. Only one task ever uses a connection, so the lock is never contended; a
/// poisoned lock (a panic elsewhere while it was held) still yields the wire, whose state stays valid.
pub(super) fn lock(wire: &Mutex<Wire>) -> MutexGuard<'_, Wire> {
    wire.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Source {
    /// Already read (or empty): handed over whole.
    Buffered(Option<Bytes>),
    /// Still arriving on the connection.
    Streaming { wire: Arc<Mutex<Wire>>, generation: u64 },
}

/// A client's HTTP/1.1 request body.
pub struct RequestBody {
    source: Source,
}

impl RequestBody {
    /// A body that has fully arrived (or an empty one).
    #[must_use]
    pub fn buffered(bytes: Bytes) -> RequestBody {
        RequestBody {
            source: Source::Buffered(Some(bytes)),
        }
    }

    /// A body read from `wire` as it is polled, for the request numbered `generation`.
    pub(super) fn streaming(wire: Arc<Mutex<Wire>>, generation: u64) -> RequestBody {
        RequestBody {
            source: Source::Streaming { wire, generation },
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.source {
            Source::Buffered(bytes) => Poll::Ready(bytes.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Source::Streaming { wire, generation } => {
                let mut wire = lock(wire);
                if wire.generation != *generation {
                    return Poll::Ready(None);
                }
                wire.poll_body(cx)
                    .map(|piece| piece.map(|result| result.map(Frame::data)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.source {
            Source::Buffered(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Source::Streaming { wire, generation } => {
                let wire = lock(wire);
                wire.generation != *generation || matches!(wire.body, BodyState::Done | BodyState::Failed)
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.source {
            Source::Buffered(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Source::Streaming { wire, generation } => {
                let wire = lock(wire);
                if wire.generation == *generation {
                    wire.body_size_hint()
                } else {
                    SizeHint::with_exact(0)
                }
            }
        }
    }
}
