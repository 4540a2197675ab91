use bytes::BytesMut;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

use super::head::skip_leading_empty_lines;
use super::*;

fn parse(text: &[u8]) -> Result<Option<RequestHead>, HeadError> {
    let mut buf = BytesMut::from(text);
    parse_request_head(&mut buf, 64 * 1024)
}

fn complete(text: &[u8]) -> RequestHead {
    parse(text).expect("valid").expect("complete")
}

#[test]
fn a_get_is_parsed_into_parts_and_consumed_from_the_buffer() {
    let mut buf = BytesMut::from(
        &b"GET /products/42?color=red HTTP/1.1\r\nHost: api.example.com\r\nX-A: 1\r\nx-a: 2\r\n\r\nNEXT"[..],
    );
    let head = parse_request_head(&mut buf, 1024).expect("valid").expect("complete");
    assert_eq!(head.parts.method, Method::GET);
    assert_eq!(head.parts.uri.path(), "/products/42");
    assert_eq!(head.parts.uri.query(), Some("color=red"));
    assert_eq!(head.parts.version, Version::HTTP_11);
    assert_eq!(head.parts.headers["host"], "api.example.com");
    let repeated: Vec<_> = head.parts.headers.get_all("x-a").iter().collect();
    assert_eq!(repeated, ["1", "2"]);
    assert_eq!(head.framing, BodyFraming::None);
    assert!(head.keep_alive);
    assert!(!head.expect_continue);
    assert_eq!(&buf[..], b"NEXT", "only the head is consumed");
}

#[test]
fn an_incomplete_head_waits_for_more_until_it_is_too_large() {
    assert!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n").expect("valid").is_none());
    let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nX-Long: "[..]);
    buf.extend_from_slice(&[b'a'; 200]);
    assert_eq!(parse_request_head(&mut buf, 100).unwrap_err(), HeadError::TooLarge);
    let mut fields = String::from("GET / HTTP/1.1\r\n");
    for i in 0..=MAX_REQUEST_HEADERS {
        fields.push_str(&format!("X-{i}: v\r\n"));
    }
    fields.push_str("\r\n");
    assert_eq!(parse(fields.as_bytes()).unwrap_err(), HeadError::TooLarge);
    assert_eq!(HeadError::TooLarge.status(), 431);
}

#[test]
fn malformed_heads_are_refused_with_400() {
    for bad in [
        &b"GET / HTTP/2.0\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        b"G\x01T / HTTP/1.1\r\n\r\n",
    ] {
        let error = parse(bad).expect_err(&String::from_utf8_lossy(bad));
        assert!(matches!(error, HeadError::Malformed(_)), "{error:?}");
        assert_eq!(error.status(), 400);
    }
}

#[test]
fn content_length_frames_the_body_when_it_is_one_decimal_number() {
    let head = complete(b"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
    assert_eq!(head.framing, BodyFraming::Length(12));
    let head = complete(b"POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n");
    assert_eq!(
        head.framing,
        BodyFraming::Length(7),
        "repeats of one value are one value"
    );
    assert_eq!(
        complete(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").framing,
        BodyFraming::None
    );
    for bad in [
        &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
    ] {
        let error = parse(bad).expect_err(&String::from_utf8_lossy(bad));
        assert!(matches!(error, HeadError::Framing(_)), "{error:?}");
    }
}

#[test]
fn only_a_single_final_chunked_coding_is_accepted() {
    assert_eq!(
        complete(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").framing,
        BodyFraming::Chunked
    );
    assert_eq!(
        complete(b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n\r\n").framing,
        BodyFraming::Chunked
    );
    for bad in [
        &b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ] {
        let error = parse(bad).expect_err(&String::from_utf8_lossy(bad));
        assert!(matches!(error, HeadError::Framing(_)), "{error:?}");
    }
}

#[test]
fn chunked_wins_over_content_length_which_is_dropped_and_the_connection_closed() {
    let head = complete(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_eq!(head.framing, BodyFraming::Chunked);
    assert!(!head.parts.headers.contains_key("content-length"));
    assert!(!head.keep_alive);
}

#[test]
fn persistence_follows_the_version_and_connection_options() {
    assert!(!complete(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
    assert!(!complete(b"GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").keep_alive);
    assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
    assert!(complete(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").parts.version, Version::HTTP_10);
}

#[test]
fn expect_continue_counts_only_for_http11_requests_with_a_body() {
    let with_body = b"PUT / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
    assert!(complete(with_body).expect_continue);
    assert!(!complete(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").expect_continue);
    assert!(!complete(b"PUT / HTTP/1.1\r\nContent-Length: 3\r\nExpect: something\r\n\r\n").expect_continue);
}

#[test]
fn leading_empty_lines_are_ignored() {
    let mut buf = BytesMut::from(&b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"[..]);
    skip_leading_empty_lines(&mut buf);
    assert!(buf.starts_with(b"GET"));
}

/// A wire whose client end the test writes to.
fn wire_pair() -> (Arc<Mutex<Wire>>, tokio::io::DuplexStream) {
    let (server, client) = tokio::io::duplex(64 * 1024);
    (Arc::new(Mutex::new(Wire::new(Box::new(server)))), client)
}

fn streaming_head(framing: &[u8]) -> RequestHead {
    let mut text = b"POST / HTTP/1.1\r\n".to_vec();
    text.extend_from_slice(framing);
    text.extend_from_slice(b"\r\n");
    complete(&text)
}

#[tokio::test]
async fn a_body_already_buffered_is_handed_over_whole() {
    let (wire, _client) = wire_pair();
    lock(&wire).read_buf.extend_from_slice(b"helloNEXT");
    let body = request_body(&wire, &streaming_head(b"Content-Length: 5\r\n"));
    assert_eq!(body.size_hint().exact(), Some(5));
    assert_eq!(&body.collect().await.expect("body").to_bytes()[..], b"hello");
    assert!(matches!(lock(&wire).body, BodyState::Done));
    assert_eq!(&lock(&wire).read_buf[..], b"NEXT");
}

#[tokio::test]
async fn a_length_body_streams_from_the_socket_and_leaves_the_next_request() {
    let (wire, mut client) = wire_pair();
    lock(&wire).read_buf.extend_from_slice(b"he");
    let body = request_body(&wire, &streaming_head(b"Content-Length: 11\r\n"));
    let reader = tokio::spawn(async move { body.collect().await.map(|b| b.to_bytes()) });
    client.write_all(b"llo ").await.expect("write");
    tokio::task::yield_now().await;
    client.write_all(b"worldGET").await.expect("write");
    assert_eq!(&reader.await.expect("task").expect("body")[..], b"hello world");
    assert!(matches!(lock(&wire).body, BodyState::Done));
    assert_eq!(&lock(&wire).read_buf[..], b"GET");
}

#[tokio::test]
async fn a_chunked_body_is_decoded_and_its_trailers_dropped() {
    let (wire, mut client) = wire_pair();
    let body = request_body(&wire, &streaming_head(b"Transfer-Encoding: chunked\r\n"));
    assert_eq!(body.size_hint().exact(), None);
    client
        .write_all(b"3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nTrailer: t\r\n\r\nNEXT")
        .await
        .expect("write");
    assert_eq!(&body.collect().await.expect("body").to_bytes()[..], b"abcdefg");
    assert_eq!(&lock(&wire).read_buf[..], b"NEXT");
}

#[tokio::test]
async fn a_client_closing_mid_body_is_an_error_and_the_connection_unusable() {
    let (wire, mut client) = wire_pair();
    let body = request_body(&wire, &streaming_head(b"Content-Length: 10\r\n"));
    client.write_all(b"12345").await.expect("write");
    drop(client);
    let error = body.collect().await.expect_err("cut short");
    assert!(matches!(error, RequestBodyError::Closed), "{error}");
    assert!(matches!(lock(&wire).body, BodyState::Failed));
}

#[tokio::test]
async fn continue_is_sent_once_when_the_body_is_first_wanted() {
    use tokio::io::AsyncReadExt;
    let (wire, mut client) = wire_pair();
    let head = streaming_head(b"Content-Length: 2\r\nExpect: 100-continue\r\n");
    let body = request_body(&wire, &head);
    let reader = tokio::spawn(async move { body.collect().await.map(|b| b.to_bytes()) });
    let mut interim = [0u8; 25];
    client.read_exact(&mut interim).await.expect("100 Continue");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    client.write_all(b"ok").await.expect("write");
    assert_eq!(&reader.await.expect("task").expect("body")[..], b"ok");
}

#[tokio::test]
async fn a_body_that_outlives_its_request_reads_nothing_of_the_next() {
    let (wire, _client) = wire_pair();
    let stale = request_body(&wire, &streaming_head(b"Content-Length: 10\r\n"));
    // The next request starts (the server would only do so after this body ended or failed).
    let _next = request_body(&wire, &streaming_head(b"Content-Length: 3\r\n"));
    lock(&wire).read_buf.extend_from_slice(b"abc");
    assert!(stale.is_end_stream());
    assert!(stale.collect().await.expect("empty").to_bytes().is_empty());
    assert_eq!(&lock(&wire).read_buf[..], b"abc");
}
