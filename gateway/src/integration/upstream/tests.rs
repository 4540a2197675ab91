//! The client against scripted endpoints on loopback: each test's endpoint reads requests off a raw socket
//! and writes exactly the bytes the case needs, so framing, reuse and failure paths are exercised as they
//! happen on the wire.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::Request;
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// What a scripted endpoint does with each request it reads on a connection.
#[derive(Clone, Copy)]
enum Reply {
    /// Write these bytes and keep reading requests.
    Send(&'static [u8]),
    /// Write these bytes and close.
    SendAndClose(&'static [u8]),
    /// Write these bytes without reading the request body, then close.
    SendBeforeBody(&'static [u8]),
}

struct Endpoint {
    authority: Authority,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// Reads one request (head, and a body framed by Content-Length or chunked) into `into`.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, head_only: bool) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head_len = end + 4;
            let head = String::from_utf8_lossy(&buf[..head_len]).to_ascii_lowercase();
            let need = if head_only {
                head_len
            } else if let Some(cl) = head.lines().find_map(|l| l.strip_prefix("content-length: ")) {
                head_len + cl.trim().parse::<usize>().ok()?
            } else if head.contains("transfer-encoding: chunked") {
                match buf[head_len..].windows(5).position(|w| w == b"0\r\n\r\n") {
                    Some(at) => head_len + at + 5,
                    None => usize::MAX,
                }
            } else {
                head_len
            };
            if buf.len() >= need {
                return Some(buf.drain(..need).collect());
            }
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn endpoint(reply: Reply) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let authority: Authority = listener
        .local_addr()
        .expect("addr")
        .to_string()
        .parse()
        .expect("authority");
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (count, seen) = (Arc::clone(&connections), Arc::clone(&requests));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let head_only = matches!(reply, Reply::SendBeforeBody(_));
                while let Some(request) = read_request(&mut stream, &mut buf, head_only).await {
                    seen.lock().expect("lock").push(request);
                    match reply {
                        Reply::Send(bytes) => {
                            if stream.write_all(bytes).await.is_err() {
                                return;
                            }
                        }
                        Reply::SendAndClose(bytes) | Reply::SendBeforeBody(bytes) => {
                            let _ = stream.write_all(bytes).await;
                            let _ = stream.shutdown().await;
                            // Drain what the client still sends so the close is a FIN, not a reset.
                            let mut sink = [0u8; 4096];
                            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                            return;
                        }
                    }
                }
            });
        }
    });
    Endpoint {
        authority,
        connections,
        requests,
    }
}

fn settings() -> PoolSettings {
    PoolSettings {
        max_idle_per_endpoint: 8,
        idle_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(2),
        max_response_head_bytes: 4096,
    }
}

fn pool() -> Arc<UpstreamPool> {
    UpstreamPool::new(settings())
}

fn get(ep: &Endpoint, method: &str, path: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", ep.authority.as_str())
        .body(Full::new(Bytes::new()))
        .expect("request")
}

async fn send<B>(pool: &Arc<UpstreamPool>, ep: &Endpoint, req: Request<B>) -> Result<(u16, Vec<u8>), UpstreamError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BodyError>,
{
    let id = endpoint_id(&ep.authority);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
    let fields = || {
        parts
            .headers
            .iter()
            .map(|(n, v)| h1::field(n.as_str().as_bytes(), v.as_bytes()))
    };
    let response = pool.send(id, &ep.authority, &parts.method, path, fields, body).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, body))
}

/// A keep-alive response with a two-byte body, `ok`.
const OK_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Sends `GET path` to `ep` and asserts the answer is [`OK_RESPONSE`]'s.
async fn expect_ok(pool: &Arc<UpstreamPool>, ep: &Endpoint, path: &str) {
    assert_eq!(
        send(pool, ep, get(ep, "GET", path)).await.expect("ok"),
        (200, b"ok".to_vec())
    );
}

#[tokio::test]
async fn reuses_a_connection_for_content_length_responses() {
    let ep = endpoint(Reply::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")).await;
    let pool = pool();
    for _ in 0..3 {
        assert_eq!(
            send(&pool, &ep, get(&ep, "GET", "/a?b=c")).await.expect("ok"),
            (200, b"hello".to_vec())
        );
    }
    assert_eq!(ep.connections.load(Ordering::SeqCst), 1, "keep-alive connection reused");
    let first = ep.requests.lock().expect("lock")[0].clone();
    assert!(
        first.starts_with(b"GET /a?b=c HTTP/1.1\r\nhost: 127.0.0.1:"),
        "{}",
        String::from_utf8_lossy(&first)
    );
}

#[tokio::test]
async fn decodes_chunked_responses_and_reuses_the_connection() {
    let ep = endpoint(Reply::Send(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\nT: 1\r\n\r\n",
    ))
    .await;
    let pool = pool();
    for _ in 0..2 {
        assert_eq!(
            send(&pool, &ep, get(&ep, "GET", "/")).await.expect("ok"),
            (200, b"Wikipedia ".to_vec())
        );
    }
    assert_eq!(ep.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn reads_close_delimited_bodies_and_does_not_reuse() {
    let ep = endpoint(Reply::SendAndClose(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
    ))
    .await;
    let pool = pool();
    for _ in 0..2 {
        assert_eq!(
            send(&pool, &ep, get(&ep, "GET", "/")).await.expect("ok"),
            (200, b"until the end".to_vec())
        );
    }
    assert_eq!(ep.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn head_204_and_304_have_no_body() {
    let ep = endpoint(Reply::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")).await;
    let pool = pool();
    let (status, body) = send(&pool, &ep, get(&ep, "HEAD", "/")).await.expect("ok");
    assert_eq!((status, body.len()), (200, 0));
    let (status, _) = send(&pool, &ep, get(&ep, "HEAD", "/")).await.expect("ok");
    assert_eq!(status, 200);
    assert_eq!(
        ep.connections.load(Ordering::SeqCst),
        1,
        "a HEAD response leaves the connection reusable"
    );
    let ep = endpoint(Reply::Send(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")).await;
    assert_eq!(
        send(&pool, &ep, get(&ep, "GET", "/")).await.expect("ok"),
        (304, Vec::new())
    );
    let ep = endpoint(Reply::Send(b"HTTP/1.1 204 No Content\r\n\r\n")).await;
    assert_eq!(
        send(&pool, &ep, get(&ep, "DELETE", "/x")).await.expect("ok"),
        (204, Vec::new())
    );
}

#[tokio::test]
async fn skips_interim_responses() {
    let ep = endpoint(Reply::Send(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
    ))
    .await;
    let pool = pool();
    let req = Request::post("/orders")
        .header("host", "x")
        .header("content-length", "3")
        .body(Full::new(Bytes::from_static(b"abc")))
        .expect("request");
    assert_eq!(send(&pool, &ep, req).await.expect("ok"), (201, b"ok".to_vec()));
    let seen = ep.requests.lock().expect("lock")[0].clone();
    assert!(
        seen.ends_with(b"content-length: 3\r\n\r\nabc"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
}

/// A request body of unknown length that yields each piece after one `Pending`, like a slow client.
struct SlowBody {
    pieces: std::collections::VecDeque<Bytes>,
    ready: bool,
}

impl SlowBody {
    fn new(pieces: Vec<Bytes>) -> SlowBody {
        SlowBody {
            pieces: pieces.into(),
            ready: false,
        }
    }
}

impl Body for SlowBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        Poll::Ready(self.pieces.pop_front().map(|piece| Ok(Frame::data(piece))))
    }
}

#[tokio::test]
async fn streams_bodies_of_unknown_length_chunked() {
    let ep = endpoint(Reply::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).await;
    let pool = pool();
    let body = SlowBody::new(vec![
        Bytes::from_static(b"one "),
        Bytes::from(vec![b'z'; 40_000]),
        Bytes::from_static(b" three"),
    ]);
    let req = Request::post("/u").header("host", "x").body(body).expect("request");
    assert_eq!(send(&pool, &ep, req).await.expect("ok").0, 200);
    let seen = ep.requests.lock().expect("lock")[0].clone();
    let text = String::from_utf8_lossy(&seen);
    assert!(
        text.contains("transfer-encoding: chunked\r\n\r\n4\r\none \r\n9c40\r\nzzz"),
        "{}",
        &text[..200]
    );
    assert!(text.ends_with("zzz\r\n6\r\n three\r\n0\r\n\r\n"));
}

#[tokio::test]
async fn an_early_response_is_returned_and_the_connection_dropped() {
    let ep = endpoint(Reply::SendBeforeBody(
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!",
    ))
    .await;
    let pool = pool();
    // A body far larger than the socket buffers, which the endpoint never reads.
    let pieces = (0..64).map(|_| Bytes::from(vec![b'x'; 256 * 1024])).collect();
    let req = Request::post("/upload")
        .header("host", "x")
        .body(SlowBody::new(pieces))
        .expect("request");
    let (status, body) = tokio::time::timeout(Duration::from_secs(10), send(&pool, &ep, req))
        .await
        .expect("the early response is seen while the body is still being sent")
        .expect("ok");
    assert_eq!((status, body), (413, b"too big!".to_vec()));
    assert_eq!(send(&pool, &ep, get(&ep, "GET", "/")).await.expect("ok").0, 413);
    assert_eq!(
        ep.connections.load(Ordering::SeqCst),
        2,
        "a connection with an unsent body is not reused"
    );
}

#[tokio::test]
async fn retries_a_request_without_body_when_a_pooled_connection_was_closed() {
    // Answers keep-alive, then closes anyway: the pooled connection is dead when the next request comes.
    let ep = endpoint(Reply::SendAndClose(OK_RESPONSE)).await;
    let pool = pool();
    expect_ok(&pool, &ep, "/1").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    expect_ok(&pool, &ep, "/2").await;
    assert_eq!(ep.connections.load(Ordering::SeqCst), 2);
    assert_eq!(
        ep.requests.lock().expect("lock").len(),
        2,
        "each request reached the endpoint once"
    );
}

#[tokio::test]
async fn reaping_closes_idle_connections_the_endpoint_closed_and_keeps_healthy_ones() {
    // The first endpoint answers keep-alive and then closes anyway; the second keeps its connection open.
    let closing = endpoint(Reply::SendAndClose(OK_RESPONSE)).await;
    let open = endpoint(Reply::Send(OK_RESPONSE)).await;
    let pool = pool();
    for ep in [&closing, &open] {
        expect_ok(&pool, ep, "/").await;
    }
    // Let the endpoint's FIN arrive and the runtime's I/O driver see it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(pool.reap_idle(), 1, "the connection its endpoint closed is closed");
    assert_eq!(pool.reap_idle(), 0, "the healthy connection stays");
    expect_ok(&pool, &open, "/").await;
    assert_eq!(open.connections.load(Ordering::SeqCst), 1, "and is reused");
}

#[tokio::test]
async fn reaping_closes_connections_past_the_idle_timeout() {
    let ep = endpoint(Reply::Send(OK_RESPONSE)).await;
    let pool = UpstreamPool::new(PoolSettings {
        idle_timeout: Duration::from_millis(40),
        ..settings()
    });
    expect_ok(&pool, &ep, "/").await;
    assert_eq!(pool.reap_idle(), 0, "inside the idle timeout");
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(pool.reap_idle(), 1, "past it");
    expect_ok(&pool, &ep, "/").await;
    assert_eq!(
        ep.connections.load(Ordering::SeqCst),
        2,
        "the next request opens a new connection"
    );
}

#[tokio::test]
async fn the_periodic_reaper_closes_expired_connections_with_no_traffic() {
    let ep = endpoint(Reply::Send(OK_RESPONSE)).await;
    let pool = UpstreamPool::new(PoolSettings {
        idle_timeout: Duration::from_millis(200),
        ..settings()
    });
    let reaper = tokio::spawn(Arc::clone(&pool).reap_idle_periodically());
    expect_ok(&pool, &ep, "/").await;
    let pooled = || pool.idle.lock().expect("lock").iter().map(Vec::len).sum::<usize>();
    assert_eq!(pooled(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(pooled(), 0, "closed by the reaper within 1.5x the idle timeout");
    reaper.abort();
}

#[tokio::test]
async fn bad_responses_are_errors() {
    let pool = pool();
    let cases: [(&'static [u8], &str); 4] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed"),
        (b"NOT HTTP\r\n\r\n", "invalid response"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "chunked",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "Content-Length",
        ),
    ];
    for (reply, expected) in cases {
        let ep = endpoint(Reply::SendAndClose(reply)).await;
        let error = send(&pool, &ep, get(&ep, "GET", "/")).await.expect_err("must fail");
        let text = crate::pipeline::error_chain(&error);
        assert!(text.contains(expected), "{text:?} should mention {expected:?}");
    }
    let big: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "b".repeat(5000)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let ep = endpoint(Reply::Send(big)).await;
    let error = send(&pool, &ep, get(&ep, "GET", "/"))
        .await
        .expect_err("head too large");
    assert!(
        matches!(error, UpstreamError::Response(ResponseError::HeadTooLarge(4096))),
        "{error}"
    );
}

#[tokio::test]
async fn a_dead_endpoint_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let authority: Authority = listener
        .local_addr()
        .expect("addr")
        .to_string()
        .parse()
        .expect("authority");
    drop(listener);
    let body = Full::new(Bytes::new());
    let fields = std::iter::empty;
    let Err(error) = pool()
        .send(endpoint_id(&authority), &authority, &Method::GET, "/", fields, body)
        .await
    else {
        panic!("a closed port must not answer");
    };
    assert!(matches!(error, UpstreamError::Connect { .. }), "{error}");
}
