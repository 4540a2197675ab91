//! The X-Ray daemon transport: each segment document in one UDP datagram, after the daemon's header
//! `{"format": "json", "version": 1}\n` (<https://github.com/aws/aws-xray-daemon> README), to
//! `AWS_XRAY_DAEMON_ADDRESS` or 127.0.0.1:2000. Sends never block and never fail the caller: a datagram
//! the socket does not take (buffer full, daemon gone) is counted in [`UdpStats`] and dropped, as UDP
//! telemetry is.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::{BatchLimits, Delivered, Record, SendError, Sink};

/// The environment variable naming the daemon.
pub const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";
/// Where the daemon listens unless told otherwise.
pub const DEFAULT_DAEMON_ADDRESS: &str = "127.0.0.1:2000";
/// The header every datagram starts with.
pub const DAEMON_HEADER: &[u8] = b"{\"format\": \"json\", \"version\": 1}\n";
/// Largest datagram: the IPv4 UDP payload limit (65,507 bytes), under the daemon's 64 KB receive
/// buffer (`aws-xray-daemon` `pkg/cfg/cfg.go`, `Socket.BufferSizeKB: 64`).
pub const MAX_DATAGRAM_BYTES: usize = 65_507;
/// Largest document that fits in a datagram after the header (65,474 bytes).
pub const MAX_UDP_DOCUMENT_BYTES: usize = MAX_DATAGRAM_BYTES - DAEMON_HEADER.len();

/// The daemon's addresses, from `AWS_XRAY_DAEMON_ADDRESS`'s documented forms: `host:port` (UDP and TCP
/// on the same address) or `udp:host:port tcp:host:port` in either order (X-Ray SDK for .NET,
/// `SetDaemonAddress`). Only the UDP address is used here; TCP serves the SDKs' sampling proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaemonAddress {
    /// Where segment datagrams go.
    pub udp: SocketAddr,
    /// The daemon's TCP (sampling proxy) address.
    pub tcp: SocketAddr,
}

/// Why a daemon address was refused.
#[derive(Debug, thiserror::Error)]
#[error("{DAEMON_ADDRESS_ENV}={value:?}: {message}")]
pub struct DaemonAddressError {
    /// The value given.
    pub value: String,
    /// What is wrong with it.
    pub message: String,
}

impl DaemonAddress {
    /// Parses one of the documented forms, resolving host names (this may query DNS: call it at start-up).
    ///
    /// # Errors
    /// An unknown form, a missing port, a name that does not resolve.
    pub fn parse(value: &str) -> Result<DaemonAddress, DaemonAddressError> {
        let fail = |message: String| DaemonAddressError {
            value: value.to_owned(),
            message,
        };
        let parts: Vec<&str> = value.split_whitespace().collect();
        match parts.as_slice() {
            [single] if !single.starts_with("udp:") && !single.starts_with("tcp:") => {
                let addr = resolve(single).map_err(fail)?;
                Ok(DaemonAddress { udp: addr, tcp: addr })
            }
            [a, b] => {
                let (mut udp, mut tcp) = (None, None);
                for part in [a, b] {
                    if let Some(addr) = part.strip_prefix("udp:") {
                        udp = Some(resolve(addr).map_err(fail)?);
                    } else if let Some(addr) = part.strip_prefix("tcp:") {
                        tcp = Some(resolve(addr).map_err(fail)?);
                    }
                }
                match (udp, tcp) {
                    (Some(udp), Some(tcp)) => Ok(DaemonAddress { udp, tcp }),
                    _ => Err(fail("two addresses must be `udp:host:port tcp:host:port`".to_owned())),
                }
            }
            _ => Err(fail("expected `host:port` or `udp:host:port tcp:host:port`".to_owned())),
        }
    }

    /// `AWS_XRAY_DAEMON_ADDRESS` when set and not empty, else 127.0.0.1:2000.
    ///
    /// # Errors
    /// As [`DaemonAddress::parse`] for a set variable.
    pub fn from_env() -> Result<DaemonAddress, DaemonAddressError> {
        match std::env::var(DAEMON_ADDRESS_ENV) {
            Ok(value) if !value.trim().is_empty() => DaemonAddress::parse(&value),
            _ => DaemonAddress::parse(DEFAULT_DAEMON_ADDRESS),
        }
    }
}

fn resolve(host_port: &str) -> Result<SocketAddr, String> {
    let mut addrs = host_port
        .to_socket_addrs()
        .map_err(|e| format!("{host_port:?} is not a host:port that resolves ({e})"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{host_port:?} resolves to no address"))
}

/// What a [`UdpSink`] did, for metrics.
#[derive(Debug, Default)]
pub struct UdpStats {
    /// Datagrams the socket took.
    pub sent: AtomicU64,
    /// Datagrams the socket refused (buffer full, daemon unreachable): dropped.
    pub send_errors: AtomicU64,
    /// Documents over [`MAX_UDP_DOCUMENT_BYTES`]: dropped.
    pub too_large: AtomicU64,
}

/// Sends segment documents to the X-Ray daemon over UDP.
#[derive(Debug)]
pub struct UdpSink {
    socket: UdpSocket,
    daemon: SocketAddr,
    name: String,
    datagram: Vec<u8>,
    stats: Arc<UdpStats>,
}

impl UdpSink {
    /// A non-blocking socket on an ephemeral port, connected to `daemon`.
    ///
    /// # Errors
    /// The socket cannot be bound or connected.
    pub fn new(daemon: SocketAddr) -> io::Result<UdpSink> {
        let local: SocketAddr = if daemon.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.set_nonblocking(true)?;
        socket.connect(daemon)?;
        Ok(UdpSink {
            socket,
            daemon,
            name: format!("xray-daemon:{daemon}"),
            datagram: Vec::with_capacity(MAX_DATAGRAM_BYTES),
            stats: Arc::default(),
        })
    }

    /// The daemon this sink sends to.
    #[must_use]
    pub fn daemon(&self) -> SocketAddr {
        self.daemon
    }

    /// The counters, shared with whoever reports metrics.
    #[must_use]
    pub fn stats(&self) -> Arc<UdpStats> {
        self.stats.clone()
    }

    /// Sends one document in one datagram; returns whether the socket took it (else it is counted).
    pub fn emit(&mut self, document: &[u8]) -> bool {
        if document.len() > MAX_UDP_DOCUMENT_BYTES {
            self.stats.too_large.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.datagram.clear();
        self.datagram.extend_from_slice(DAEMON_HEADER);
        self.datagram.extend_from_slice(document);
        match self.socket.send(&self.datagram) {
            Ok(n) if n == self.datagram.len() => {
                self.stats.sent.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => {
                self.stats.send_errors.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

impl Sink for UdpSink {
    fn name(&self) -> &str {
        &self.name
    }

    /// One datagram per record; the batch size only bounds how long one `send` runs.
    fn limits(&self) -> BatchLimits {
        BatchLimits {
            max_records: 50,
            max_bytes: 50 * MAX_UDP_DOCUMENT_BYTES,
            overhead_per_record: 0,
            max_record_bytes: MAX_UDP_DOCUMENT_BYTES,
            max_span_ms: None,
        }
    }

    /// Sends every record; the ones the socket refuses are `rejected` (UDP is never retried).
    async fn send(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        let mut delivered = Delivered::default();
        for record in batch {
            if self.emit(&record.payload) {
                delivered.accepted += 1;
            } else {
                delivered.rejected += 1;
            }
        }
        Ok(delivered)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn listener() -> UdpSocket {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        socket
    }

    #[tokio::test]
    async fn datagram_is_header_then_document() {
        let daemon = listener();
        let mut sink = UdpSink::new(daemon.local_addr().unwrap()).unwrap();
        let document = r#"{"name":"testxray/dev","id":"70de5b6f19ff9a0a","start_time":1478293361.271,"trace_id":"1-581cf771-a006649127e371903a2de979","end_time":1478293361.449}"#;
        let delivered = sink
            .send(&[Record::new(0, document), Record::new(1, document)])
            .await
            .unwrap();
        assert_eq!(
            delivered,
            Delivered {
                accepted: 2,
                rejected: 0
            }
        );
        let mut buf = vec![0u8; 70_000];
        for _ in 0..2 {
            let n = daemon.recv(&mut buf).unwrap();
            let datagram = &buf[..n];
            assert!(datagram.starts_with(b"{\"format\": \"json\", \"version\": 1}\n"));
            let body = &datagram[DAEMON_HEADER.len()..];
            assert_eq!(body, document.as_bytes(), "one document, nothing after it");
            let header: serde_json::Value = serde_json::from_slice(&datagram[..DAEMON_HEADER.len() - 1]).unwrap();
            assert_eq!(header, serde_json::json!({"format": "json", "version": 1}));
        }
        assert_eq!(sink.stats().sent.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn largest_document_fits_and_larger_is_counted() {
        let daemon = listener();
        let mut sink = UdpSink::new(daemon.local_addr().unwrap()).unwrap();
        let largest = vec![b'x'; MAX_UDP_DOCUMENT_BYTES];
        assert!(sink.emit(&largest));
        let mut buf = vec![0u8; 70_000];
        assert_eq!(daemon.recv(&mut buf).unwrap(), MAX_DATAGRAM_BYTES);
        assert!(!sink.emit(&vec![b'x'; MAX_UDP_DOCUMENT_BYTES + 1]));
        assert_eq!(sink.stats().too_large.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn absent_daemon_is_counted_never_raised() {
        let port = listener().local_addr().unwrap().port(); // bound then dropped: nobody listens
        let mut sink = UdpSink::new((Ipv4Addr::LOCALHOST, port).into()).unwrap();
        let results: Vec<bool> = (0..5)
            .map(|_| {
                let ok = sink.emit(b"{}");
                std::thread::sleep(Duration::from_millis(20));
                ok
            })
            .collect();
        let stats = sink.stats();
        let (sent, errors) = (
            stats.sent.load(Ordering::Relaxed),
            stats.send_errors.load(Ordering::Relaxed),
        );
        assert_eq!(sent + errors, 5);
        assert!(
            errors >= 1,
            "ICMP port unreachable surfaces as refused sends: {results:?}"
        );
    }

    #[test]
    fn daemon_address_forms() {
        let v4 = |s: &str| s.parse::<SocketAddr>().unwrap();
        let same = DaemonAddress::parse("127.0.0.1:2000").unwrap();
        assert_eq!((same.udp, same.tcp), (v4("127.0.0.1:2000"), v4("127.0.0.1:2000")));
        let split = DaemonAddress::parse("tcp:127.0.0.1:2000 udp:127.0.0.2:2001").unwrap();
        assert_eq!((split.udp, split.tcp), (v4("127.0.0.2:2001"), v4("127.0.0.1:2000")));
        let split = DaemonAddress::parse(" udp:127.0.0.1:2000  tcp:127.0.0.2:2001 ").unwrap();
        assert_eq!(split.udp, v4("127.0.0.1:2000"));
        assert_eq!(DaemonAddress::parse("localhost:2000").unwrap().udp.port(), 2000);
        assert_eq!(DaemonAddress::parse("[::1]:2000").unwrap().udp, v4("[::1]:2000"));
        for bad in [
            "",
            "127.0.0.1",
            "udp:127.0.0.1:2000",
            "udp:127.0.0.1:2000 udp:127.0.0.1:2001",
            "a b c",
        ] {
            let err = DaemonAddress::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("AWS_XRAY_DAEMON_ADDRESS="), "{err}");
        }
        assert_eq!(
            DaemonAddress::parse(DEFAULT_DAEMON_ADDRESS).unwrap().udp,
            v4("127.0.0.1:2000")
        );
    }
}
