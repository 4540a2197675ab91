//! The integration client of one worker thread: HTTP/1.1 keep-alive connections per endpoint, reused
//! newest-first, returned to the pool only when their response body has been read to the end.
//!
//! Each worker owns its pool, so the lock is never contended; a connection that the endpoint closed while
//! idle is detected before use (a request that was never written is retried on another connection).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::uri::Authority;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustc_hash::FxHashMap;
use tokio::net::TcpStream;

use crate::body::LimitedBody;

/// Why an integration request failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The endpoint's host name did not resolve.
    #[error("cannot resolve {authority}: {source}")]
    Resolve {
        /// Endpoint.
        authority: String,
        /// Cause.
        source: std::io::Error,
    },
    /// TCP connect failed or timed out.
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        /// Endpoint.
        authority: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// Every endpoint authority the process has seen, numbered once so the pool is indexed, not hashed, on
/// the request path. Ids stay valid across config reloads.
static ENDPOINTS: std::sync::LazyLock<Mutex<FxHashMap<Authority, usize>>> =
    std::sync::LazyLock::new(|| Mutex::new(FxHashMap::default()));

/// The pool index of `authority` (assigned when a config is compiled).
#[must_use]
pub fn endpoint_id(authority: &Authority) -> usize {
    let Ok(mut ids) = ENDPOINTS.lock() else {
        return 0;
    };
    let next = ids.len();
    *ids.entry(authority.clone()).or_insert(next)
}

struct Idle {
    sender: SendRequest<LimitedBody>,
    since: Instant,
}

/// Pooled keep-alive connections to integration endpoints.
pub struct UpstreamPool {
    /// Idle connections by endpoint id.
    idle: Mutex<Vec<Vec<Idle>>>,
    addresses: Mutex<FxHashMap<Authority, SocketAddr>>,
    max_idle_per_endpoint: usize,
    idle_timeout: Duration,
    connect_timeout: Duration,
}

/// A connection lent for one request; give it back with [`PooledConnection::release`] once the response
/// body has ended.
pub struct PooledConnection {
    sender: SendRequest<LimitedBody>,
    endpoint: usize,
    pool: Arc<UpstreamPool>,
}

impl PooledConnection {
    /// Returns the connection to its pool for reuse.
    pub fn release(self) {
        self.pool.check_in(self.endpoint, self.sender);
    }
}

impl UpstreamPool {
    /// A pool keeping at most `max_idle_per_endpoint` idle connections per endpoint for `idle_timeout`.
    #[must_use]
    pub fn new(max_idle_per_endpoint: usize, idle_timeout: Duration, connect_timeout: Duration) -> Arc<UpstreamPool> {
        Arc::new(UpstreamPool {
            idle: Mutex::new(Vec::new()),
            addresses: Mutex::new(FxHashMap::default()),
            max_idle_per_endpoint,
            idle_timeout,
            connect_timeout,
        })
    }

    /// Sends `req` to `authority` (pool index `endpoint`, from [`endpoint_id`]), on an idle connection when
    /// one is ready, else on a new one.
    ///
    /// # Errors
    /// When the endpoint cannot be reached or the exchange fails.
    pub async fn send(
        self: &Arc<Self>,
        endpoint: usize,
        authority: &Authority,
        mut req: Request<LimitedBody>,
    ) -> Result<(Response<Incoming>, PooledConnection), UpstreamError> {
        while let Some(mut sender) = self.check_out(endpoint) {
            match sender.try_send_request(req).await {
                Ok(response) => return Ok((response, self.lend(endpoint, sender))),
                Err(mut error) => match error.take_message() {
                    // Never written: the connection was closing. Try another one.
                    Some(unsent) => req = unsent,
                    None => return Err(UpstreamError::Http(error.into_error())),
                },
            }
        }
        let mut sender = self.connect(authority).await?;
        let response = sender.send_request(req).await?;
        Ok((response, self.lend(endpoint, sender)))
    }

    fn lend(self: &Arc<Self>, endpoint: usize, sender: SendRequest<LimitedBody>) -> PooledConnection {
        PooledConnection {
            sender,
            endpoint,
            pool: Arc::clone(self),
        }
    }

    fn check_out(&self, endpoint: usize) -> Option<SendRequest<LimitedBody>> {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(endpoint)?;
        let now = Instant::now();
        let mut index = list.len();
        while index > 0 {
            index -= 1;
            let entry = &list[index];
            if entry.sender.is_closed() || now.duration_since(entry.since) >= self.idle_timeout {
                list.swap_remove(index);
            } else if entry.sender.is_ready() {
                return Some(list.swap_remove(index).sender);
            }
            // Otherwise the connection is still finishing its previous exchange: leave it for later.
        }
        None
    }

    fn check_in(&self, endpoint: usize, sender: SendRequest<LimitedBody>) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() <= endpoint {
                idle.resize_with(endpoint + 1, Vec::new);
            }
            let list = &mut idle[endpoint];
            if list.len() < self.max_idle_per_endpoint {
                list.push(Idle {
                    sender,
                    since: Instant::now(),
                });
            }
        }
    }

    async fn resolve(&self, authority: &Authority) -> Result<SocketAddr, UpstreamError> {
        if let Some(addr) = self.addresses.lock().ok().and_then(|a| a.get(authority).copied()) {
            return Ok(addr);
        }
        let host_port = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
        let host_port = host_port.trim_start_matches('[').replace("]:", ":");
        let addr = match host_port.parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => {
                let lookup = tokio::net::lookup_host((authority.host(), authority.port_u16().unwrap_or(80))).await;
                let mut addrs = lookup.map_err(|source| UpstreamError::Resolve {
                    authority: authority.to_string(),
                    source,
                })?;
                let addr = addrs.next().ok_or_else(|| UpstreamError::Resolve {
                    authority: authority.to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
                })?;
                // Names are re-resolved for every new connection; only literal addresses are cached.
                return Ok(addr);
            }
        };
        if let Ok(mut cache) = self.addresses.lock() {
            cache.insert(authority.clone(), addr);
        }
        Ok(addr)
    }

    async fn connect(&self, authority: &Authority) -> Result<SendRequest<LimitedBody>, UpstreamError> {
        let addr = self.resolve(authority).await?;
        let connect_error = |source| UpstreamError::Connect {
            authority: authority.to_string(),
            source,
        };
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| connect_error(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")))?
            .map_err(connect_error)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::Builder::new().handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}
