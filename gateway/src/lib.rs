//! Moat's data plane.
//!
//! Start at [`pipeline`]: one driver runs API Gateway's phases in order (limits, route, canary split,
//! integrate, respond, log) for every request. [`config`] turns a YAML or JSON file into the immutable
//! [`runtime::Gateway`] the pipeline reads; [`server`] owns sockets and TLS, [`h1_server`] speaks HTTP/1.1 (hyper speaks HTTP/2); [`logging`] renders the
//! access and execution logs AWS users already parse, through [`log_sink`]'s batching writers.

pub mod body;
pub mod config;
pub mod conn_watch;
pub mod gateway_response;
pub mod h1_server;
pub mod http_conn;
pub mod ids;
pub mod integration;
pub mod log_sink;
pub mod logging;
pub mod pipeline;
pub mod routing;
pub mod runtime;
pub mod server;
pub mod telemetry_hub;
pub mod tls;
pub mod waf;
pub mod waf_tools;
