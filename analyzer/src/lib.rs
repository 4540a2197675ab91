//! moat-analyzer: the library behind `moatctl`. It reads what Moat writes, and what Amazon API Gateway writes to
//! CloudWatch Logs, and answers an operator's questions: tail with CloudWatch filter patterns, Logs Insights
//! queries, CloudWatch-style alarms, canary verdicts and X-Ray trace summaries.
//!
//! Every command reads [`event::LogEvent`]s from a [`source`], turns a message into fields with [`record`] when
//! it needs fields, and writes data to stdout and messages to stderr.

pub mod alarms;
pub mod canary;
pub mod compare_op;
pub mod event;
pub mod filter_pattern;
pub mod query;
pub mod record;
pub mod source;
pub mod tail;
pub mod traces;
