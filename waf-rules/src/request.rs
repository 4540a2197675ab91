//! The borrowed view of a request that the gateway hands to [`crate::WebAcl::evaluate`], and the parsing of its
//! components (query arguments, cookies, forwarded IPs) shared by both evaluators.

use std::net::IpAddr;

/// One request header, as received: original case, raw value bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Name as received (matching is case-insensitive).
    pub name: &'a str,
    /// Raw value.
    pub value: &'a [u8],
}

/// A request as AWS WAF sees it behind API Gateway; every field borrows from the gateway's buffers.
#[derive(Clone, Copy, Debug)]
pub struct HttpRequest<'a> {
    /// The connection's peer address (or the address API Gateway would report as `sourceIp`).
    pub client_ip: IpAddr,
    /// The method (`GET`).
    pub method: &'a str,
    /// The raw path, as received (not decoded or normalised).
    pub uri_path: &'a str,
    /// The raw query string, without `?` (empty when there is none).
    pub query_string: &'a str,
    /// `HTTP/1.1`, `HTTP/2.0`, ...
    pub http_version: &'a str,
    /// Headers in order and case as received.
    pub headers: &'a [Header<'a>],
    /// The body, at most the ACL's inspection limit ([`crate::WebAcl::body_inspection_limit`]).
    pub body: &'a [u8],
    /// The full body size when known (for oversize handling); when smaller than `body.len()`, `body.len()` is used.
    pub body_size: u64,
    /// Wall-clock time in milliseconds (rate-based rules count in windows of this clock).
    pub now_ms: u64,
}

/// AWS WAF inspects at most this many bytes of headers (and of cookies).
pub const HEADER_INSPECTION_BYTES: usize = 8 * 1024;
/// AWS WAF inspects at most this many headers (and cookies).
pub const HEADER_INSPECTION_COUNT: usize = 200;
/// `Position: ANY` of a forwarded IP header looks at this many addresses from the end.
pub const FORWARDED_ANY_COUNT: usize = 10;

impl<'a> HttpRequest<'a> {
    /// Values of every header named `name` (ASCII case-insensitive), in order.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Query arguments as `(name, value)` raw byte pairs: split on `&`, then on the first `=` (no `=`: empty
    /// value); empty segments are skipped. Nothing is decoded.
    pub fn query_args(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        split_pairs(self.query_string.as_bytes(), b'&')
    }

    /// Cookies of every `Cookie` header as `(name, value)` pairs: split on `;`, surrounding spaces trimmed, then on
    /// the first `=`.
    pub fn cookies(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
            .flat_map(|h| split_pairs(h.value, b';'))
    }

    /// The body size used for oversize checks: `max(body_size, body.len())`.
    pub fn full_body_size(&self) -> u64 {
        self.body_size.max(self.body.len() as u64)
    }
}

fn split_pairs(s: &[u8], sep: u8) -> impl Iterator<Item = (&[u8], &[u8])> {
    s.split(move |&b| b == sep).filter_map(|seg| {
        let seg = trim_spaces(seg);
        if seg.is_empty() {
            return None;
        }
        Some(match seg.iter().position(|&b| b == b'=') {
            Some(i) => (&seg[..i], &seg[i + 1..]),
            None => (seg, &seg[seg.len()..]),
        })
    })
}

/// Trims ASCII spaces and tabs from both ends.
pub(crate) fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Parses one entry of a forwarded-IP header (an address, surrounding spaces allowed, no port).
pub(crate) fn parse_ip(entry: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(trim_spaces(entry)).ok()?.parse().ok()
}

/// Which address of a forwarded-IP header to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pick {
    First,
    Last,
}

/// The address at `pick` in the first header named `header`: `None` when the header is missing or that entry is
/// not a valid IP (the caller then applies the fallback behaviour).
pub(crate) fn forwarded_ip(req: &HttpRequest<'_>, header: &str, pick: Pick) -> Option<IpAddr> {
    let value = req.header_values(header).next()?;
    let entry = match pick {
        Pick::First => value.split(|&b| b == b',').next()?,
        Pick::Last => value.split(|&b| b == b',').next_back()?,
    };
    parse_ip(entry)
}

/// The last [`FORWARDED_ANY_COUNT`] entries of the first header named `header`, each parsed (`None` = invalid);
/// `None` overall when the header is missing.
pub(crate) fn forwarded_tail<'a>(
    req: &HttpRequest<'a>,
    header: &str,
) -> Option<impl Iterator<Item = Option<IpAddr>> + 'a> {
    let value = req.header_values(header).next()?;
    Some(value.rsplit(|&b| b == b',').take(FORWARDED_ANY_COUNT).map(parse_ip))
}
