//! Record formats shared by the gateway (which writes them) and the analyzer (which reads them back).
//!
//! No I/O here. Start at [`record::RequestRecord`], the borrowed view of one finished request that every
//! format renders from; then [`access_log`] (API Gateway's `$context` format strings, compiled once and
//! rendered per request without allocating) and [`execution_log`] (API Gateway's REST execution-log
//! lines, `(requestId) text`, by level) and [`waf_log`] (AWS WAF's web ACL traffic log record), and
//! [`emf`] (CloudWatch Embedded Metric Format documents, split to stay within EMF's limits; one JSON
//! object per document, without the newline, rendered into fresh buffers).
//!
//! Guarantees: every rendered record is exactly one line ending in `\n`, whatever the request carried
//! (values are escaped, never trusted); rendering appends to a caller-owned buffer and does not allocate
//! beyond growing it.
#![deny(missing_docs)]

pub mod access_log;
pub mod emf;
pub mod execution_log;
pub mod record;
mod text;
pub mod waf_log;
