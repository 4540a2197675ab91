//! Identifiers every request gets: `x-amzn-RequestId` (a UUID), `x-amz-apigw-id` (the extended request
//! id) and the X-Ray trace header (`Root=1-{8 hex epoch}-{24 hex};Parent={16 hex};Sampled={0|1}`,
//! <https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader>).
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

/// The `X-Amzn-Trace-Id` a request carries onward: `Root=...;Parent=...;Sampled=...`.
#[derive(Clone, Copy)]
pub struct TraceHeader {
    text: [u8; 128],
    len: usize,
    root_end: usize,
}

impl TraceHeader {
    /// Keeps the root (and sampling decision) of a well-formed incoming header, else starts a new trace.
    /// `now_secs` is the current Unix time; `segment_id` is the gateway's own segment, sent as `Parent`.
    #[must_use]
    pub fn continue_or_start(incoming: Option<&[u8]>, now_secs: u64) -> TraceHeader {
        let parsed = incoming.and_then(parse);
        let mut header = TraceHeader {
            text: [0; 128],
            len: 0,
            root_end: 0,
        };
        let mut root = [0u8; 35];
        let sampled = match parsed {
            Some((incoming_root, sampled)) => {
                root.copy_from_slice(incoming_root);
                sampled
            }
            None => {
                root[..2].copy_from_slice(b"1-");
                hex_into(&mut root[2..10], u128::from(now_secs & 0xffff_ffff));
                root[10] = b'-';
                hex_into(&mut root[11..35], fastrand::u128(..) >> 32);
                b'0'
            }
        };
        header.push(b"Root=");
        header.push(&root);
        header.root_end = header.len;
        header.push(b";Parent=");
        let mut parent = [0u8; 16];
        hex_into(&mut parent, u128::from(fastrand::u64(..)));
        header.push(&parent);
        header.push(b";Sampled=");
        header.push(&[sampled]);
        header
    }

    fn push(&mut self, bytes: &[u8]) {
        self.text[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// The whole header value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text[..self.len]).unwrap_or_default()
    }

    /// The whole header value as bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.text[..self.len]
    }

    /// `Root=1-...` as bytes.
    #[must_use]
    pub fn root_bytes(&self) -> &[u8] {
        &self.text[..self.root_end]
    }

    /// `Root=1-...`, which is what `$context.xrayTraceId` shows.
    #[must_use]
    pub fn root(&self) -> &str {
        std::str::from_utf8(&self.text[..self.root_end]).unwrap_or_default()
    }
}

/// Returns the 35-byte root id and the sampling flag of a well-formed header.
fn parse(value: &[u8]) -> Option<(&[u8], u8)> {
    let mut root = None;
    let mut sampled = b'0';
    for part in value.split(|b| *b == b';') {
        let part = part.trim_ascii();
        if let Some(id) = part.strip_prefix(b"Root=") {
            let ok = id.len() == 35
                && id.starts_with(b"1-")
                && id[10] == b'-'
                && id[2..10]
                    .iter()
                    .chain(&id[11..])
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            if !ok {
                return None;
            }
            root = Some(id);
        } else if let Some(flag) = part.strip_prefix(b"Sampled=") {
            match flag {
                b"0" | b"1" => sampled = flag[0],
                b"?" => {}
                _ => return None,
            }
        } else if let Some(parent) = part.strip_prefix(b"Parent=") {
            if parent.len() != 16 || !parent.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
        } else if !part.is_empty() && !part.contains(&b'=') {
            return None;
        }
    }
    root.map(|r| (r, sampled))
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
}
