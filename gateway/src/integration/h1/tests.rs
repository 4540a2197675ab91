use super::*;

fn head(text: &str, method: &Method) -> Result<Option<ResponseHead>, ResponseError> {
    let mut buf = BytesMut::from(text.as_bytes());
    parse_response_head(&mut buf, method, 64 * 1024, 0, &mut HeadScratch::default())
}

fn complete(text: &str) -> ResponseHead {
    head(text, &Method::GET).expect("valid").expect("complete")
}

fn encode(method: &Method, fields: &[FieldParts<'_>], framing: RequestFraming) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request_head(method, "/p?q=1", fields.iter().copied(), framing, &mut out);
    out
}

#[test]
fn encodes_request_head_with_each_framing() {
    let fields = [
        field(b"host", b"up:80"),
        field(b"x-a", b"1"),
        (&b"x-forwarded-for"[..], [&b"10.0.0.1"[..], b", ", b"127.0.0.1"]),
    ];
    assert_eq!(
        encode(&Method::GET, &fields, RequestFraming::Empty),
        b"GET /p?q=1 HTTP/1.1\r\nhost: up:80\r\nx-a: 1\r\nx-forwarded-for: 10.0.0.1, 127.0.0.1\r\n\r\n"
    );
    assert!(encode(&Method::POST, &fields, RequestFraming::Length(12))
        .ends_with(b"127.0.0.1\r\ncontent-length: 12\r\n\r\n"));
    // The client's own Content-Length is forwarded as is, not doubled.
    let with_length = [field(b"host", b"h"), field(b"content-length", b"12")];
    let out = encode(&Method::POST, &with_length, RequestFraming::Length(12));
    assert_eq!(out.windows(15).filter(|w| w == b"content-length:").count(), 1);
    assert!(encode(&Method::PUT, &fields, RequestFraming::Chunked).ends_with(b"transfer-encoding: chunked\r\n\r\n"));
}

#[test]
fn recognises_hop_by_hop_fields() {
    for name in [
        "Connection",
        "keep-alive",
        "TE",
        "Transfer-Encoding",
        "upgrade",
        "Proxy-Connection",
    ] {
        assert!(is_hop_by_hop(name.as_bytes()), "{name}");
    }
    for name in ["content-length", "host", "tee", "x-connection", ""] {
        assert!(!is_hop_by_hop(name.as_bytes()), "{name}");
    }
    let listed: Vec<&[u8]> = connection_listed(b"keep-alive, X-Secret ,close,,x-other").collect();
    assert_eq!(listed, [&b"X-Secret"[..], b"x-other"]);
}

#[test]
fn response_hop_by_hop_fields_are_not_kept() {
    let head = complete(
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: secret\r\nUpgrade: h2c\r\nX-Kept: yes\r\nContent-Length: 0\r\n\r\n",
    );
    let mut names: Vec<&str> = head.headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["content-length", "x-kept"]);
    assert!(head.keep_alive);
}

#[test]
fn encodes_chunks_in_hex() {
    let mut out = Vec::new();
    encode_chunk(b"hello", &mut out);
    encode_chunk(&[b'x'; 26], &mut out);
    encode_chunk(b"", &mut out);
    out.extend_from_slice(LAST_CHUNK);
    let mut expected = b"5\r\nhello\r\n1a\r\n".to_vec();
    expected.extend_from_slice(&[b'x'; 26]);
    expected.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(out, expected);
}

#[test]
fn parses_a_response_head_and_leaves_the_body() {
    let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n{\"ok\":true}"[..]);
    let head = parse_response_head(&mut buf, &Method::GET, 1024, 0, &mut HeadScratch::default())
        .expect("valid")
        .expect("complete");
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.version, Version::HTTP_11);
    assert_eq!(head.headers["content-type"], "application/json");
    assert_eq!(head.headers.get_all("x-multi").iter().count(), 2);
    assert_eq!(head.framing, ResponseFraming::Length(11));
    assert!(head.keep_alive);
    assert_eq!(&buf[..], b"{\"ok\":true}");
}

#[test]
fn partial_heads_wait_for_more_and_are_bounded() {
    assert!(head("HTTP/1.1 200 OK\r\nContent-Le", &Method::GET)
        .expect("valid")
        .is_none());
    let mut buf = BytesMut::from(format!("HTTP/1.1 200 OK\r\nX: {}", "a".repeat(200)).as_bytes());
    assert_eq!(
        parse_response_head(&mut buf, &Method::GET, 100, 0, &mut HeadScratch::default()).err(),
        Some(ResponseError::HeadTooLarge(100))
    );
    let mut buf = BytesMut::from(format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(200)).as_bytes());
    assert_eq!(
        parse_response_head(&mut buf, &Method::GET, 100, 0, &mut HeadScratch::default()).err(),
        Some(ResponseError::HeadTooLarge(100))
    );
}

#[test]
fn skips_interim_responses_and_refuses_upgrades() {
    let mut buf = BytesMut::from(
        &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"[..],
    );
    let created = parse_response_head(&mut buf, &Method::POST, 1024, 0, &mut HeadScratch::default())
        .expect("valid")
        .expect("complete");
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(!created.headers.contains_key("link"));
    assert!(buf.is_empty());
    assert_eq!(
        head(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            &Method::GET
        )
        .err(),
        Some(ResponseError::Upgrade)
    );
}

#[test]
fn framing_follows_rfc_9112_section_6_3() {
    // HEAD, 204 and 304 have no body whatever their headers say.
    let h = head("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", &Method::HEAD)
        .expect("valid")
        .expect("complete");
    assert_eq!(h.framing, ResponseFraming::Empty);
    assert_eq!(
        complete("HTTP/1.1 204 No Content\r\n\r\n").framing,
        ResponseFraming::Empty
    );
    assert_eq!(
        complete("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").framing,
        ResponseFraming::Empty
    );
    // Transfer-Encoding wins over Content-Length, and such a connection is not reused.
    let both = complete("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
    assert_eq!(both.framing, ResponseFraming::Chunked);
    assert!(!both.keep_alive);
    let chunked = complete("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
    assert_eq!(chunked.framing, ResponseFraming::Chunked);
    assert!(chunked.keep_alive);
    // A final coding other than chunked is delimited by close.
    let gzip = complete("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_eq!(gzip.framing, ResponseFraming::UntilClose);
    assert!(!gzip.keep_alive);
    // No length at all: until close.
    let open = complete("HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(open.framing, ResponseFraming::UntilClose);
    assert!(!open.keep_alive);
    assert_eq!(
        complete("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").framing,
        ResponseFraming::Empty
    );
    // Repeated identical lengths are one length; differing ones are an error.
    assert_eq!(
        complete("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n").framing,
        ResponseFraming::Length(7)
    );
    for bad in ["7, 8", "-1", "0x10", "", "99999999999999999999"] {
        let text = format!("HTTP/1.1 200 OK\r\nContent-Length: {bad}\r\n\r\n");
        assert_eq!(
            head(&text, &Method::GET).err(),
            Some(ResponseError::InvalidContentLength),
            "{bad}"
        );
    }
}

#[test]
fn keep_alive_depends_on_version_and_connection() {
    assert!(!complete("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive);
    assert!(!complete("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n").keep_alive);
    assert!(!complete("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
    let kept = complete("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(kept.version, Version::HTTP_10);
    assert!(kept.keep_alive);
}

#[test]
fn rejects_malformed_heads() {
    for text in [
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    ] {
        assert!(head(text, &Method::GET).is_err(), "{text:?}");
    }
    let many: String = (0..=MAX_RESPONSE_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        head(&format!("HTTP/1.1 200 OK\r\n{many}\r\n"), &Method::GET).err(),
        Some(ResponseError::TooManyHeaders)
    );
}

/// Feeds `wire` to a decoder `step` bytes at a time; returns the body or the first error.
fn decode_all(wire: &[u8], step: usize) -> Result<(Vec<u8>, BytesMut), ResponseError> {
    let mut decoder = ChunkedDecoder::default();
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed = 0;
    loop {
        match decoder.decode(&mut buf)? {
            Decoded::Data(data) => body.extend_from_slice(&data),
            Decoded::Done => return Ok((body, buf)),
            Decoded::NeedMore => {
                if fed == wire.len() {
                    return Err(ResponseError::Chunked("test input ended early"));
                }
                let next = (fed + step).min(wire.len());
                buf.extend_from_slice(&wire[fed..next]);
                fed = next;
            }
        }
    }
}

#[test]
fn decodes_chunked_bodies_split_anywhere() {
    let wire = b"5;name=value\r\nhello\r\n7\r\n, world\r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
    for step in [1, 2, 3, 7, wire.len()] {
        let (body, rest) = decode_all(wire, step).expect("valid");
        assert_eq!(body, b"hello, world0123456789", "step {step}");
        // Bytes after the body are left for whoever reads next (and make the connection unusable).
        let consumed_all_input = step >= wire.len();
        if consumed_all_input {
            assert_eq!(&rest[..], b"NEXT");
        }
    }
    // Bare LF line endings are tolerated.
    assert_eq!(decode_all(b"3\nabc\n0\n\n", 4).expect("valid").0, b"abc");
}

#[test]
fn rejects_malformed_chunked_bodies() {
    for wire in [
        &b"zz\r\n"[..],
        b"5\r\nhelloXX",
        b"5 x\r\nhello\r\n",
        b"1000000000000000\r\n",
        b";ext\r\n",
    ] {
        assert!(
            matches!(decode_all(wire, wire.len()), Err(ResponseError::Chunked(_))),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    let long_line = format!("5;{}\r\nhello\r\n0\r\n\r\n", "e".repeat(MAX_CHUNK_LINE_BYTES));
    assert_eq!(
        decode_all(long_line.as_bytes(), 64).err(),
        Some(ResponseError::Chunked("chunk-size line too long"))
    );
    let big_trailers = format!("0\r\nX: {}\r\n\r\n", "t".repeat(MAX_TRAILER_BYTES));
    assert_eq!(
        decode_all(big_trailers.as_bytes(), 512).err(),
        Some(ResponseError::Chunked("trailer fields too large"))
    );
}

#[test]
fn interim_responses_are_skipped_and_do_not_count_as_an_early_answer() {
    let mut buf = BytesMut::from(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]);
    assert!(!skip_interim_responses(&mut buf));
    assert!(buf.is_empty());
    let mut buf = BytesMut::from(&b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Payload Too Large\r\n"[..]);
    assert!(skip_interim_responses(&mut buf));
    assert!(buf.starts_with(b"HTTP/1.1 413"));
    let mut partial = BytesMut::from(&b"HTTP/1.1 100 Cont"[..]);
    assert!(
        !skip_interim_responses(&mut partial),
        "an unfinished interim response is not an answer"
    );
    assert_eq!(partial.len(), 17, "and is kept for the head parser");
    let mut short = BytesMut::from(&b"HTTP/1"[..]);
    assert!(!skip_interim_responses(&mut short));
    let mut upgrade = BytesMut::from(&b"HTTP/1.1 101 Switching Protocols\r\n\r\n"[..]);
    assert!(
        skip_interim_responses(&mut upgrade),
        "101 is final here: the head parser refuses it"
    );
    let mut final_response = BytesMut::from(&b"HTTP/1.1 200 OK\r\n"[..]);
    assert!(skip_interim_responses(&mut final_response));
}
