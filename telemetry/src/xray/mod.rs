//! AWS X-Ray: sampling rules ([`sampling`]), the segment document of a finished request ([`segment`]),
//! and its two transports: the daemon's UDP framing ([`udp`]) and `PutTraceSegments` ([`api`]).
//! Each transport is a [`crate::Sink`], so the shipper batches, retries and counts them like any other.

pub mod api;
pub mod sampling;
pub mod segment;
pub mod udp;

/// Largest segment document X-Ray accepts: "A segment document can be up to 64 kB"
/// (<https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html>).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
