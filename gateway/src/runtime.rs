//! The validated, immutable configuration the data plane reads: built once by [`crate::config`], shared
//! behind an `Arc`, never mutated. Everything a request needs is precomputed here (stage variables are
//! already substituted into integration URIs; route keys are parsed), so the request path only looks up.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use moat_formats::record::ApiType;
use rustc_hash::FxHashMap;

use crate::gateway_response::GatewayResponses;
use crate::integration::Integration;
use crate::logging::StageLogging;
use crate::routing::RouteTable;

/// The whole gateway.
#[derive(Debug)]
pub struct Gateway {
    /// Sockets to listen on, in config order.
    pub listeners: Vec<ListenerSpec>,
    /// Worker threads.
    pub threads: usize,
    /// How long shutdown waits for in-flight requests.
    pub grace_period: Duration,
    /// Peers whose `X-Forwarded-For` is trusted.
    pub trusted_proxies: Vec<Cidr>,
    /// `$context.accountId`.
    pub account_id: Arc<str>,
    /// Region, used in ARNs and default domain names.
    pub region: Arc<str>,
    /// Request limits.
    pub limits: Limits,
    /// Custom domain names by lower-case host name (Fx-hashed: the keys are fixed by the config, so a
    /// client's Host header cannot provoke collisions).
    pub domains: FxHashMap<String, Domain>,
    /// APIs in config order.
    pub apis: Vec<Arc<Api>>,
    /// TLS settings, when a listener terminates TLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The telemetry hub, when some log ships to CloudWatch Logs.
    pub telemetry: Option<Arc<crate::telemetry_hub::TelemetryHub>>,
}

/// One listening socket.
#[derive(Debug, Clone)]
pub struct ListenerSpec {
    /// Address to bind.
    pub address: SocketAddr,
    /// Whether TLS is terminated here.
    pub tls: bool,
}

/// Request limits (see `docs/config.md` for defaults).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Request line plus headers, bytes.
    pub max_header_bytes: usize,
    /// Status line plus headers of an integration's response, bytes.
    pub max_response_header_bytes: usize,
    /// Request body, bytes.
    pub max_body_bytes: u64,
    /// Time to receive the request head.
    pub header_read_timeout: Duration,
    /// Time to receive the whole body.
    pub body_read_timeout: Duration,
    /// Idle keep-alive connections are closed after this.
    pub idle_timeout: Duration,
    /// Open client connections per process.
    pub max_connections: usize,
    /// Concurrent HTTP/2 streams per connection.
    pub http2_max_concurrent_streams: u32,
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `::1/128` or a bare address.
    ///
    /// # Errors
    /// A message saying what is allowed.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `ip` is inside this network.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A custom domain name.
#[derive(Debug)]
pub struct Domain {
    /// Host name.
    pub name: String,
    /// Base path mappings, longest base path first.
    pub mappings: Vec<Mapping>,
}

/// A base path mapping.
#[derive(Debug)]
pub struct Mapping {
    /// Base path without slashes; empty for the root mapping.
    pub base_path: String,
    /// The API.
    pub api: Arc<Api>,
    /// The stage.
    pub stage: Arc<Stage>,
}

/// An API.
#[derive(Debug)]
pub struct Api {
    /// Name.
    pub name: Arc<str>,
    /// `$context.apiId`.
    pub id: Arc<str>,
    /// REST or HTTP.
    pub api_type: ApiType,
    /// Stages by name.
    pub stages: FxHashMap<String, Arc<Stage>>,
    /// The `$default` stage of an HTTP API, served without a path prefix.
    pub default_stage: Option<Arc<Stage>>,
}

/// A stage: its routes (with its variables applied), canary and logging.
#[derive(Debug)]
pub struct Stage {
    /// Stage name (`$context.stage`).
    pub name: Arc<str>,
    /// The API's name.
    pub api_name: Arc<str>,
    /// The API's id.
    pub api_id: Arc<str>,
    /// REST or HTTP.
    pub api_type: ApiType,
    /// What non-canary requests run.
    pub main: StageVariant,
    /// The canary, if the stage has one.
    pub canary: Option<Canary>,
    /// The API's gateway responses.
    pub gateway_responses: Arc<GatewayResponses>,
    /// Access and execution logging.
    pub logging: StageLogging,
    /// The stage's WebACL, if it has one.
    pub waf: Option<crate::waf::StageWaf>,
}

/// A stage's canary.
#[derive(Debug)]
pub struct Canary {
    /// A request goes to the canary when a uniform random `u64` is below this.
    pub threshold: u64,
    /// The share as configured, 0 to 100.
    pub percent: f64,
    /// What canary requests run.
    pub variant: StageVariant,
}

/// Routes of one deployment with one set of stage variables applied.
#[derive(Debug)]
pub struct StageVariant {
    /// The routes.
    pub routes: RouteTable<Route>,
}

/// A route as the pipeline runs it.
#[derive(Debug)]
pub struct Route {
    /// `$context.routeKey`.
    pub route_key: Arc<str>,
    /// `$context.resourcePath`.
    pub resource_path: Arc<str>,
    /// `$context.resourceId`.
    pub resource_id: Arc<str>,
    /// Path parameter names, in the order the route table reports their values.
    pub param_names: Vec<String>,
    /// What serves it.
    pub integration: Integration,
}

impl Canary {
    /// Converts a percentage (0-100) to a threshold over the `u64` range.
    #[must_use]
    pub fn threshold_for(percent: f64) -> u64 {
        if percent >= 100.0 {
            u64::MAX
        } else if percent <= 0.0 {
            0
        } else {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            {
                (percent / 100.0 * (u64::MAX as f64)) as u64
            }
        }
    }

    /// Whether a request with this random draw goes to the canary.
    #[must_use]
    pub fn selects(&self, draw: u64) -> bool {
        self.threshold == u64::MAX || draw < self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let net = Cidr::parse("10.0.0.0/8").expect("cidr");
        assert!(net.contains("10.1.2.3".parse().expect("ip")));
        assert!(!net.contains("11.0.0.1".parse().expect("ip")));
        assert!(net.contains("::ffff:10.0.0.1".parse().expect("ip")));
        let one = Cidr::parse("::1").expect("cidr");
        assert!(one.contains("::1".parse().expect("ip")));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
        assert!(Cidr::parse("0.0.0.0/0")
            .expect("cidr")
            .contains("1.2.3.4".parse().expect("ip")));
    }
}
