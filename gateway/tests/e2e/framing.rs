//! HTTP/1.1 message framing on the client side, over raw sockets (RFC 9112): pipelining, `Expect:
//! 100-continue`, HTTP/1.0 keep-alive, and the framing a gateway must refuse or normalise so that it and
//! the server behind it never disagree on where a request ends (request smuggling).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fill;
use crate::harness::{fnv_hex, read_some, tcp, Moat, ReadOutcome, Upstream};

const PROXY: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: http
    routes:
      "GET /hello": {integration: {type: mock, body: 'hello'}}
      "GET /bye": {integration: {type: mock, body: 'bye'}}
      "ANY /up/{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/{proxy}"}}
    stages:
      $default: {}
"#;

fn start(up: &Upstream) -> Moat {
    Moat::start(&fill(PROXY, &[("UP", up.hostport())]))
}

/// Reads from `stream` until it closes or `timeout` passes; the text received.
async fn read_until_close(stream: &mut tokio::net::TcpStream, timeout: Duration) -> String {
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(timeout, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads until `answer` contains `count` complete responses with bodies ending in `last`.
async fn read_until(stream: &mut tokio::net::TcpStream, needle: &str) -> String {
    let mut answer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !answer.contains(needle) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match read_some(stream, left).await {
            ReadOutcome::Data(data) => answer.push_str(&String::from_utf8_lossy(&data)),
            other => panic!("waiting for {needle:?}: {other:?}; so far: {answer}"),
        }
    }
    answer
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /bye HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_close(&mut stream, Duration::from_secs(5)).await;
    let bodies: Vec<&str> = answer
        .split("HTTP/1.1 200 OK")
        .skip(1)
        .map(|r| r.rsplit("\r\n\r\n").next().unwrap_or_default())
        .collect();
    assert_eq!(bodies, ["hello", "bye", "hello"], "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
}

#[tokio::test]
async fn chunked_request_with_content_length_is_forwarded_decoded_and_the_connection_closed() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    // Content-Length says 3; the chunked framing, which wins, carries "hello world".
    stream
        .write_all(
            b"POST /up/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
        )
        .await
        .expect("write");
    let answer = read_until_close(&mut stream, Duration::from_secs(5))
        .await
        .to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    let seen = up.last();
    assert_eq!(seen.body_len, 11);
    assert_eq!(seen.body_hash, fnv_hex(b"hello world"));
    assert!(
        !seen.headers.contains_key("content-length") || seen.headers["content-length"] == "11",
        "the client's Content-Length is never forwarded: {:?}",
        seen.headers
    );
}

#[tokio::test]
async fn ambiguous_framing_is_refused_with_400_and_never_forwarded() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let heads: [&[u8]; 6] = [
        b"POST /up/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"POST /up/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST /up/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /up/x HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /up/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST /up/x HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
    ];
    for head in heads {
        let mut stream = tcp(moat.addr()).await;
        stream.write_all(head).await.expect("write");
        let answer = read_until_close(&mut stream, Duration::from_secs(5)).await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n") && answer.ends_with(r#"{"message":"Bad Request"}"#),
            "{}: {answer}",
            String::from_utf8_lossy(head)
        );
    }
    assert!(up.requests().is_empty(), "nothing reaches the upstream");
}

#[tokio::test]
async fn expect_100_continue_is_answered_when_the_body_is_wanted() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"PUT /up/put HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await
        .expect("write");
    let interim = read_until(&mut stream, "\r\n\r\n").await;
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"hello").await.expect("write body");
    let answer = read_until(&mut stream, "}").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert_eq!(up.last().body_hash, fnv_hex(b"hello"));

    // Refused from its head alone (no route): no 100, the refusal at once, and the connection closed
    // since the unsent body would otherwise be read as the next request.
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"PUT /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_close(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
}

#[tokio::test]
async fn http10_keep_alive_is_honoured_when_asked_for() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await
        .expect("write");
    let first = read_until(&mut stream, "hello").await.to_ascii_lowercase();
    assert!(first.contains("connection: keep-alive"), "{first}");
    assert!(first.contains("content-length: 5"), "{first}");
    stream.write_all(b"GET /bye HTTP/1.0\r\n\r\n").await.expect("write");
    let second = read_until_close(&mut stream, Duration::from_secs(5))
        .await
        .to_ascii_lowercase();
    assert!(second.ends_with("bye"), "{second}");
    assert!(second.contains("connection: close"), "{second}");
}

#[tokio::test]
async fn body_arriving_in_pieces_streams_through_and_the_connection_is_reused() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"POST /up/p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nfirst")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The rest of the body and the next request in one write.
    stream
        .write_all(b"-halfGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until(&mut stream, "hello").await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert_eq!(up.last().body_hash, fnv_hex(b"first-half"));
}

#[tokio::test]
async fn head_response_has_the_length_but_no_body() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let mut stream = tcp(moat.addr()).await;
    stream
        .write_all(b"HEAD /up/h HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_close(&mut stream, Duration::from_secs(5)).await;
    let (head_response, rest) = answer.split_once("\r\n\r\n").expect("a head");
    assert!(
        head_response.to_ascii_lowercase().contains("content-length:"),
        "{head_response}"
    );
    assert!(
        rest.starts_with("HTTP/1.1 200 OK\r\n"),
        "no body after the HEAD response: {rest}"
    );
    assert!(rest.ends_with("hello"), "{rest}");
}
