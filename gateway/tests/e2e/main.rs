//! End-to-end tests: the real `moat` binary (`CARGO_BIN_EXE_moat`) started in a temp dir on port 0, in front
//! of upstreams that run in this process, driven by HTTP/1.1, HTTP/2, TLS and raw-TCP clients.
//!
//! Each module covers one area of the spec; each test is named after the behaviour it checks. [`harness`] holds
//! the process runner, the echoing upstream, the clients and the certificate maker.

mod canary;
mod check;
mod cloudwatch;
mod drain;
mod framing;
mod harness;
mod headers;
mod http2;
mod limits;
mod logs;
mod responses;
mod routing;
mod selftest;
mod tls;
mod traces;
mod waf;

/// Replaces `@NAME@` placeholders in a config template (braces are left alone: route keys use them).
pub fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("@{k}@"), v);
    }
    assert!(!s.contains("@UP"), "unfilled placeholder in config:\n{s}");
    s
}
