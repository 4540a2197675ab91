//! Identifiers every request gets: `x-amzn-RequestId` (a UUID), `x-amz-apigw-id` (the extended request
//! id) and the trace context: the X-Ray trace header (`Root=1-{8 hex epoch}-{24 hex};Parent={16 hex};Sampled={0|1}`,
//! <https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader>) and the
//! W3C `traceparent` (`00-{32 hex trace id}-{16 hex parent id}-{2 hex flags}`,
//! <https://www.w3.org/TR/trace-context/#traceparent-header>), kept consistent with each other.
//! All are formatted into fixed-size stack buffers from a fast thread-local generator.

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_into(out: &mut [u8], mut value: u128) {
    for byte in out.iter_mut().rev() {
        *byte = HEX[(value & 0xf) as usize];
        value >>= 4;
    }
}

/// A request id: a random (version 4) UUID in its 36-character text form.
#[derive(Clone, Copy)]
pub struct RequestId([u8; 36]);

impl RequestId {
    /// A new random id.
    #[must_use]
    pub fn generate() -> RequestId {
        let mut bits = fastrand::u128(..);
        bits = (bits & !(0xf << 76)) | (0x4 << 76);
        bits = (bits & !(0x3 << 62)) | (0x2 << 62);
        let mut out = [b'-'; 36];
        hex_into(&mut out[0..8], bits >> 96);
        hex_into(&mut out[9..13], (bits >> 80) & 0xffff);
        hex_into(&mut out[14..18], (bits >> 64) & 0xffff);
        hex_into(&mut out[19..23], (bits >> 48) & 0xffff);
        hex_into(&mut out[24..36], bits & 0xffff_ffff_ffff);
        RequestId(out)
    }

    /// The text form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The text form as bytes (for header values, without re-checking UTF-8).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The extended request id (`x-amz-apigw-id`): 16 base64 characters, as API Gateway writes it.
#[derive(Clone, Copy)]
pub struct ExtendedRequestId([u8; 16]);

impl ExtendedRequestId {
    /// A new random id.
    #[must_use]
    pub fn generate() -> ExtendedRequestId {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = fastrand::u128(..);
        let mut out = [b'='; 16];
        // 11 random bytes encode to 15 characters and one '=' of padding; the last character holds 4 bits.
        for byte in out.iter_mut().take(14) {
            *byte = B64[(bits & 63) as usize];
            bits >>= 6;
        }
        out[14] = B64[((bits & 15) << 2) as usize];
        ExtendedRequestId(out)
    }

    /// The text form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The text form as bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Length of an X-Ray header value Moat writes: `Root=` + 35 + `;Parent=` + 16 + `;Sampled=` + 1.
const HEADER_LEN: usize = 74;
/// End of `Root=1-{8}-{24}` in the header value.
const ROOT_END: usize = 40;
/// Where the sampling flag sits in the header value.
const SAMPLED_AT: usize = HEADER_LEN - 1;
/// Length of a version-00 `traceparent`.
const TRACEPARENT_LEN: usize = 55;

/// Where a request's trace context came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceSource {
    /// A well-formed `X-Amzn-Trace-Id` (a `traceparent` alongside it agreed, or was rewritten to match).
    XRay,
    /// A well-formed `traceparent` alone (the `X-Amzn-Trace-Id` was absent or malformed).
    TraceParent,
    /// Neither header was usable: a new trace was started.
    New,
}

/// The trace context a request carries onward, as `X-Amzn-Trace-Id` (`Root=...;Parent=...;Sampled=...`)
/// and as W3C `traceparent`, both naming the same trace and the gateway's own segment as the parent.
///
/// The two ids are the same 128 bits: the X-Ray root `1-{8 hex}-{24 hex}` is the W3C trace id with a
/// `1-` prefix and a `-` after its 8th digit, as the OpenTelemetry X-Ray propagators map them
/// (`open-telemetry/opentelemetry-js-contrib`, `propagator-aws-xray` README: "timestamp ... corresponds
/// to the first 8 characters of the OpenTelemetry trace ID"). When both headers arrive:
/// they agree (same trace id) and are kept, fields missing from `X-Amzn-Trace-Id` (`Parent`, the
/// sampling decision) coming from `traceparent`; or they disagree and `X-Amzn-Trace-Id` wins, as with
/// ADOT's propagator order `tracecontext,baggage,xray` where the last extractor overrides
/// (`open-telemetry/opentelemetry-lambda` PR #1226), and `traceparent` is rewritten from it.
#[derive(Clone, Copy)]
pub struct TraceHeader {
    text: [u8; HEADER_LEN],
    trace_id: u128,
    segment_id: u64,
    parent_id: Option<u64>,
    sampled: Option<bool>,
    source: TraceSource,
}

impl TraceHeader {
    /// Keeps the root (and sampling decision) of a well-formed incoming header, else starts a new trace;
    /// a request without a decision is not sampled. `now_secs` is the current Unix time. The gateway's
    /// own (new) segment id is sent as `Parent`. [`TraceHeader::from_headers`] also reads `traceparent`
    /// and leaves the decision to a sampler.
    #[must_use]
    pub fn continue_or_start(incoming: Option<&[u8]>, now_secs: u64) -> TraceHeader {
        let mut header = TraceHeader::from_headers(incoming, None, now_secs);
        header.decide_with(|| false);
        header
    }

    /// The trace context of a request from its `X-Amzn-Trace-Id` and `traceparent` values (see the type's
    /// docs for the consistency rule). A malformed header is ignored (and so replaced downstream); when
    /// neither is usable a new trace starts, its id's first 32 bits being `now_secs`. The sampling
    /// decision is the caller's (`Sampled=1/0`, or the `traceparent` sampled flag) or, when the caller
    /// left it open (`Sampled=?` or none), undecided until [`TraceHeader::decide_with`].
    #[must_use]
    pub fn from_headers(x_amzn_trace_id: Option<&[u8]>, traceparent: Option<&[u8]>, now_secs: u64) -> TraceHeader {
        let xray = x_amzn_trace_id.and_then(parse_xray);
        let w3c = traceparent.and_then(parse_traceparent);
        let (trace_id, parent_id, sampled, source) = match (xray, w3c) {
            (Some(x), Some(t)) if x.trace_id == t.trace_id => (
                x.trace_id,
                x.parent.or(Some(t.parent)),
                x.sampled.or(Some(t.sampled)),
                TraceSource::XRay,
            ),
            (Some(x), _) => (x.trace_id, x.parent, x.sampled, TraceSource::XRay),
            (None, Some(t)) => (t.trace_id, Some(t.parent), Some(t.sampled), TraceSource::TraceParent),
            (None, None) => {
                let epoch = u128::from(now_secs & 0xffff_ffff) << 96;
                (epoch | (fastrand::u128(..) >> 32), None, None, TraceSource::New)
            }
        };
        let mut header = TraceHeader {
            text: [0; HEADER_LEN],
            trace_id,
            segment_id: fastrand::u64(1..),
            parent_id,
            sampled,
            source,
        };
        header.render();
        header
    }

    fn render(&mut self) {
        let text = &mut self.text;
        text[..7].copy_from_slice(b"Root=1-");
        hex_into(&mut text[7..15], self.trace_id >> 96);
        text[15] = b'-';
        hex_into(&mut text[16..ROOT_END], self.trace_id & ((1 << 96) - 1));
        let sampled = self.sampled.map_or(b'?', sampled_flag);
        write_after_root(&mut text[ROOT_END..], Some(self.segment_id), Some(sampled));
    }

    /// Settles the sampling decision: keeps the caller's when it made one, else asks `sampler` (called
    /// at most once). Returns whether the request is sampled.
    pub fn decide_with(&mut self, sampler: impl FnOnce() -> bool) -> bool {
        let sampled = match self.sampled {
            Some(sampled) => sampled,
            None => sampler(),
        };
        self.set_sampled(sampled);
        sampled
    }

    /// Overrides the sampling decision (for a gateway that must not honour callers' decisions).
    pub fn set_sampled(&mut self, sampled: bool) {
        self.sampled = Some(sampled);
        self.text[SAMPLED_AT] = sampled_flag(sampled);
    }

    /// The sampling decision: the caller's, the sampler's, or `None` while undecided.
    #[must_use]
    pub fn sampling_decision(&self) -> Option<bool> {
        self.sampled
    }

    /// Whether the request is sampled (`false` while undecided).
    #[must_use]
    pub fn sampled(&self) -> bool {
        self.sampled == Some(true)
    }

    /// The 128-bit trace id (the X-Ray root without its dashes, the W3C trace id).
    #[must_use]
    pub fn trace_id(&self) -> u128 {
        self.trace_id
    }

    /// The gateway's own segment id: the `Parent` it sends onward.
    #[must_use]
    pub fn segment_id(&self) -> u64 {
        self.segment_id
    }

    /// The caller's segment (span) id, when the request carried one.
    #[must_use]
    pub fn parent_id(&self) -> Option<u64> {
        self.parent_id
    }

    /// Which header the context came from.
    #[must_use]
    pub fn source(&self) -> TraceSource {
        self.source
    }

    /// The whole header value (`Sampled=?` while undecided).
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The whole header value as bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// `Root=1-...` as bytes.
    #[must_use]
    pub fn root_bytes(&self) -> &[u8] {
        &self.text[..ROOT_END]
    }

    /// `Root=1-...`, which is what `$context.xrayTraceId` shows.
    #[must_use]
    pub fn root(&self) -> &str {
        std::str::from_utf8(&self.text[..ROOT_END]).unwrap_or_default()
    }

    /// The `traceparent` to send onward: the same trace, the gateway's segment as parent, the sampled
    /// flag from the decision (`00` while undecided).
    #[must_use]
    pub fn traceparent(&self) -> TraceParent {
        self.traceparent_with(self.segment_id)
    }

    /// A `traceparent` of this trace with `parent` as its parent id.
    fn traceparent_with(&self, parent: u64) -> TraceParent {
        let mut out = [b'-'; TRACEPARENT_LEN];
        out[..2].copy_from_slice(b"00");
        hex_into(&mut out[3..35], self.trace_id);
        hex_into(&mut out[36..52], u128::from(parent));
        out[53..].copy_from_slice(if self.sampled() { b"01" } else { b"00" });
        TraceParent(out)
    }

    /// The trace headers sent to the integration. A traced stage (`traced`) puts its own segment in the
    /// chain: both headers name it as the parent and carry the settled decision (`as_bytes`,
    /// `traceparent`). An untraced stage has no segment to name, so it passes the caller's context on
    /// as it came, as API Gateway does with tracing off: the root, plus the caller's `Parent` and decision
    /// when it sent them, so a new trace goes out as its root alone (AWS's proxy-integration event
    /// examples show `"X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050"`,
    /// <https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html>); and a `traceparent`
    /// only when there is a caller's span to name as its parent (W3C requires one).
    #[must_use]
    pub fn forwarded(&self, traced: bool) -> ForwardedTrace {
        if traced {
            return ForwardedTrace {
                xray: self.text,
                xray_len: HEADER_LEN,
                traceparent: Some(self.traceparent()),
            };
        }
        let mut xray = [0u8; HEADER_LEN];
        xray[..ROOT_END].copy_from_slice(&self.text[..ROOT_END]);
        let len = ROOT_END + write_after_root(&mut xray[ROOT_END..], self.parent_id, self.sampled.map(sampled_flag));
        let traceparent = self.parent_id.map(|parent| self.traceparent_with(parent));
        ForwardedTrace {
            xray,
            xray_len: len,
            traceparent,
        }
    }

    /// The ids and decision as the telemetry exporters take them.
    #[must_use]
    pub fn context(&self) -> moat_telemetry::request::TraceContext {
        moat_telemetry::request::TraceContext {
            trace_id: self.trace_id,
            segment_id: self.segment_id,
            parent_id: self.parent_id,
            sampled: self.sampled(),
        }
    }
}

/// The `Sampled=` flag of a settled decision.
fn sampled_flag(sampled: bool) -> u8 {
    if sampled {
        b'1'
    } else {
        b'0'
    }
}

/// Writes the part of an X-Ray header after its root at the start of `out`: `;Parent={16 hex}` and
/// `;Sampled={flag}`, each when given. Returns the length written.
fn write_after_root(out: &mut [u8], parent: Option<u64>, sampled: Option<u8>) -> usize {
    let mut len = 0;
    if let Some(parent) = parent {
        out[..8].copy_from_slice(b";Parent=");
        hex_into(&mut out[8..24], u128::from(parent));
        len = 24;
    }
    if let Some(flag) = sampled {
        out[len..len + 9].copy_from_slice(b";Sampled=");
        out[len + 9] = flag;
        len += 10;
    }
    len
}

/// The trace headers one request carries to its integration ([`TraceHeader::forwarded`]).
#[derive(Clone, Copy)]
pub struct ForwardedTrace {
    xray: [u8; HEADER_LEN],
    xray_len: usize,
    traceparent: Option<TraceParent>,
}

impl ForwardedTrace {
    /// The `X-Amzn-Trace-Id` value.
    #[must_use]
    pub fn xray(&self) -> &[u8] {
        &self.xray[..self.xray_len]
    }

    /// The `traceparent` value, when one is sent.
    #[must_use]
    pub fn traceparent(&self) -> Option<&[u8]> {
        self.traceparent.as_ref().map(TraceParent::as_bytes)
    }
}

/// A formatted W3C `traceparent` value (version `00`, 55 bytes).
#[derive(Clone, Copy)]
pub struct TraceParent([u8; TRACEPARENT_LEN]);

impl TraceParent {
    /// The text form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The text form as bytes (for header values).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What a well-formed `X-Amzn-Trace-Id` says.
#[derive(Clone, Copy)]
struct XrayParts {
    trace_id: u128,
    parent: Option<u64>,
    sampled: Option<bool>,
}

/// What a well-formed `traceparent` says.
#[derive(Clone, Copy)]
struct TraceParentParts {
    trace_id: u128,
    parent: u64,
    sampled: bool,
}

/// The value of `digits` as lowercase hex; `None` when empty, too long or not lowercase hex.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    if digits.is_empty() || digits.len() > 32 {
        return None;
    }
    let mut value = 0u128;
    for &b in digits {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// Parses `Root=1-{8}-{24};Parent={16};Sampled={0|1|?}` (any order, other `key=value` parts ignored).
fn parse_xray(value: &[u8]) -> Option<XrayParts> {
    let mut trace_id = None;
    let mut parent = None;
    let mut sampled = None;
    for part in value.split(|b| *b == b';') {
        let part = part.trim_ascii();
        if let Some(id) = part.strip_prefix(b"Root=") {
            if id.len() != 35 || !id.starts_with(b"1-") || id[10] != b'-' {
                return None;
            }
            let high = lower_hex(&id[2..10])?;
            let low = lower_hex(&id[11..])?;
            trace_id = Some((high << 96) | low);
        } else if let Some(flag) = part.strip_prefix(b"Sampled=") {
            sampled = match flag {
                b"1" => Some(true),
                b"0" => Some(false),
                b"?" => None,
                _ => return None,
            };
        } else if let Some(id) = part.strip_prefix(b"Parent=") {
            if id.len() != 16 {
                return None;
            }
            let mut lower = [0u8; 16];
            for (out, b) in lower.iter_mut().zip(id) {
                *out = b.to_ascii_lowercase();
            }
            parent = Some(u64::try_from(lower_hex(&lower)?).ok()?);
        } else if !part.is_empty() && !part.contains(&b'=') {
            return None;
        }
    }
    trace_id.map(|trace_id| XrayParts {
        trace_id,
        parent,
        sampled,
    })
}

/// Parses a W3C `traceparent`: `{version}-{32 hex}-{16 hex}-{2 hex}`, lowercase, version not `ff`,
/// ids not all zero; a future version may append `-...` after the flags, version `00` may not.
fn parse_traceparent(value: &[u8]) -> Option<TraceParentParts> {
    let value = value.trim_ascii();
    if value.len() < TRACEPARENT_LEN || value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
        return None;
    }
    let version = lower_hex(&value[..2])?;
    if version == 0xff
        || (version == 0 && value.len() != TRACEPARENT_LEN)
        || (value.len() > TRACEPARENT_LEN && value[TRACEPARENT_LEN] != b'-')
    {
        return None;
    }
    let trace_id = lower_hex(&value[3..35])?;
    let parent = u64::try_from(lower_hex(&value[36..52])?).ok()?;
    let flags = lower_hex(&value[53..55])?;
    if trace_id == 0 || parent == 0 {
        return None;
    }
    Some(TraceParentParts {
        trace_id,
        parent,
        sampled: flags & 1 == 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_a_v4_uuid() {
        let id = RequestId::generate();
        let s = id.as_str();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(s.matches('-').count(), 4);
        assert_ne!(RequestId::generate().as_str(), s);
    }

    #[test]
    fn extended_id_is_16_base64_chars() {
        let id = ExtendedRequestId::generate();
        assert_eq!(id.as_str().len(), 16);
        assert!(id.as_str().ends_with('='));
    }

    #[test]
    fn well_formed_trace_header_is_continued() {
        let incoming = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let header = TraceHeader::continue_or_start(Some(incoming), 0);
        assert_eq!(header.root(), "Root=1-5759e988-bd862e3fe1be46a994272793");
        assert!(header.as_str().ends_with(";Sampled=1"));
        assert!(
            !header.as_str().contains("53995c3f42cd8ad8"),
            "the gateway becomes the parent"
        );
    }

    #[test]
    fn malformed_trace_header_is_replaced() {
        for bad in [
            &b"Root=1-xyz"[..],
            b"garbage",
            b"Root=1-5759e988-bd862e3fe1be46a99427279;Sampled=1",
            b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=7",
        ] {
            let header = TraceHeader::continue_or_start(Some(bad), 0x5759_e988);
            let root = header.root();
            assert!(root.starts_with("Root=1-5759e988-"), "{root}");
            assert_eq!(root.len(), 40);
        }
    }

    const ROOT: &[u8] = b"Root=1-5759e988-bd862e3fe1be46a994272793";
    const TRACE_ID: u128 = 0x5759_e988_bd86_2e3f_e1be_46a9_9427_2793;

    #[test]
    fn xray_header_keeps_root_parent_and_decision() {
        let incoming = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995C3F42CD8AD8;Sampled=0;Lineage=a87bd80c:1";
        let header = TraceHeader::from_headers(Some(incoming), None, 0);
        assert_eq!(header.trace_id(), TRACE_ID);
        assert_eq!(header.parent_id(), Some(0x5399_5c3f_42cd_8ad8));
        assert_eq!(header.sampling_decision(), Some(false));
        assert_eq!(header.source(), TraceSource::XRay);
        let text = header.as_str();
        assert_eq!(text.len(), 74);
        assert!(
            text.starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent="),
            "{text}"
        );
        assert_eq!(&text[48..64], format!("{:016x}", header.segment_id()));
        assert!(text.ends_with(";Sampled=0"));
    }

    #[test]
    fn open_decision_is_left_to_the_sampler_once() {
        for incoming in [
            &b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"[..],
            b"Root=1-5759e988-bd862e3fe1be46a994272793",
        ] {
            let mut header = TraceHeader::from_headers(Some(incoming), None, 0);
            assert_eq!(header.sampling_decision(), None);
            assert!(header.as_str().ends_with(";Sampled=?"));
            let mut calls = 0;
            assert!(header.decide_with(|| {
                calls += 1;
                true
            }));
            assert!(header.decide_with(|| unreachable!()), "decided once, kept");
            assert_eq!(calls, 1);
            assert!(header.as_str().ends_with(";Sampled=1"));
            assert_eq!(&header.traceparent().as_str()[53..], "01");
        }
        let mut decided =
            TraceHeader::from_headers(Some(b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"), None, 0);
        assert!(decided.decide_with(|| false), "the caller's Sampled=1 is honoured");
        let mut old = TraceHeader::continue_or_start(Some(b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"), 0);
        assert_eq!(
            old.sampling_decision(),
            Some(false),
            "continue_or_start does not sample undecided requests"
        );
        old.set_sampled(true);
        assert!(old.as_str().ends_with(";Sampled=1"));
    }

    #[test]
    fn traceparent_alone_becomes_the_xray_header() {
        let tp = b"00-5759e988bd862e3fe1be46a994272793-00f067aa0ba902b7-01";
        let header = TraceHeader::from_headers(None, Some(tp), 0);
        assert_eq!(header.source(), TraceSource::TraceParent);
        assert_eq!(header.root_bytes(), ROOT);
        assert_eq!(header.parent_id(), Some(0x00f0_67aa_0ba9_02b7));
        assert_eq!(header.sampling_decision(), Some(true));
        let out = header.traceparent();
        assert_eq!(
            out.as_str(),
            format!("00-5759e988bd862e3fe1be46a994272793-{:016x}-01", header.segment_id())
        );
        // A malformed X-Amzn-Trace-Id is replaced by the traceparent's context.
        let header = TraceHeader::from_headers(Some(b"Root=1-xyz"), Some(tp), 0);
        assert_eq!(header.source(), TraceSource::TraceParent);
        assert_eq!(header.trace_id(), TRACE_ID);
    }

    #[test]
    fn agreeing_headers_are_kept_and_fill_each_other() {
        let tp = b"00-5759e988bd862e3fe1be46a994272793-00f067aa0ba902b7-01";
        let header = TraceHeader::from_headers(Some(ROOT), Some(tp), 0);
        assert_eq!(header.source(), TraceSource::XRay);
        assert_eq!(header.trace_id(), TRACE_ID);
        assert_eq!(
            header.parent_id(),
            Some(0x00f0_67aa_0ba9_02b7),
            "Parent from traceparent"
        );
        assert_eq!(header.sampling_decision(), Some(true), "decision from traceparent");
        assert_eq!(
            &header.traceparent().as_str()[3..35],
            "5759e988bd862e3fe1be46a994272793"
        );
    }

    #[test]
    fn disagreeing_headers_xray_wins_and_traceparent_is_rewritten() {
        let xray = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0";
        let tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let header = TraceHeader::from_headers(Some(xray), Some(tp), 0);
        assert_eq!(header.source(), TraceSource::XRay);
        assert_eq!(header.trace_id(), TRACE_ID);
        assert_eq!(header.parent_id(), Some(0x5399_5c3f_42cd_8ad8));
        assert_eq!(header.sampling_decision(), Some(false));
        assert_eq!(
            header.traceparent().as_str(),
            format!("00-5759e988bd862e3fe1be46a994272793-{:016x}-00", header.segment_id())
        );
    }

    #[test]
    fn malformed_traceparents_are_ignored() {
        for bad in [
            &b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"[..],
            b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            b"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        ] {
            let header = TraceHeader::from_headers(None, Some(bad), 0x5759_e988);
            assert_eq!(header.source(), TraceSource::New, "{}", String::from_utf8_lossy(bad));
        }
        // A future version may carry more fields after the flags.
        let future = b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever";
        assert_eq!(
            TraceHeader::from_headers(None, Some(future), 0).source(),
            TraceSource::TraceParent
        );
    }

    #[test]
    fn new_trace_carries_the_epoch_and_a_fresh_segment() {
        let header = TraceHeader::from_headers(None, None, 0x5759_e988);
        assert_eq!(header.source(), TraceSource::New);
        assert_eq!(header.trace_id() >> 96, 0x5759_e988);
        assert_eq!(header.parent_id(), None);
        assert_ne!(header.segment_id(), 0);
        let context = header.context();
        assert_eq!(context.trace_id, header.trace_id());
        assert_eq!(context.segment_id, header.segment_id());
        assert_eq!(context.parent_id, None);
        assert!(!context.sampled, "undecided is not sampled");
    }

    #[test]
    fn traced_stage_forwards_its_segment_as_parent_in_both_headers() {
        let caller = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let header = TraceHeader::from_headers(Some(caller), None, 0);
        let out = header.forwarded(true);
        assert_eq!(out.xray(), header.as_bytes());
        let parent = format!("{:016x}", header.segment_id());
        assert!(std::str::from_utf8(out.xray()).is_ok_and(|x| x.contains(&parent)));
        assert_eq!(
            out.traceparent(),
            Some(format!("00-5759e988bd862e3fe1be46a994272793-{parent}-01").as_bytes())
        );
    }

    #[test]
    fn untraced_stage_forwards_the_callers_context_unchanged() {
        // A new trace goes out as its root alone, with no traceparent (there is no span to name).
        let header = TraceHeader::from_headers(None, None, 0x5759_e988);
        let out = header.forwarded(false);
        assert_eq!(out.xray(), header.root_bytes());
        assert_eq!(out.traceparent(), None);
        // The caller's parent and decision pass as they came; traceparent names the caller's span.
        let caller = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let out = TraceHeader::from_headers(Some(caller), None, 0).forwarded(false);
        assert_eq!(out.xray(), caller);
        assert_eq!(
            out.traceparent(),
            Some(&b"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"[..])
        );
        // A root with an open decision (or none) stays that way.
        let out = TraceHeader::from_headers(Some(b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"), None, 0)
            .forwarded(false);
        assert_eq!(out.xray(), ROOT);
        assert_eq!(out.traceparent(), None);
        // A traceparent alone: the X-Ray header is written from it, the traceparent passes unchanged.
        let tp = b"00-5759e988bd862e3fe1be46a994272793-00f067aa0ba902b7-00";
        let out = TraceHeader::from_headers(None, Some(tp), 0).forwarded(false);
        assert_eq!(
            out.xray(),
            b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=00f067aa0ba902b7;Sampled=0"
        );
        assert_eq!(out.traceparent(), Some(&tp[..]));
    }
}
