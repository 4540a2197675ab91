//! Errors of `moatctl query`.

use std::io;

/// What went wrong parsing, compiling or running a query.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query text does not parse; `line`/`column` are 1-based.
    #[error("query error at line {line}, column {column}: {message}")]
    Syntax {
        /// Line of the query.
        line: usize,
        /// Column (in characters).
        column: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A source could not be read.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// A local file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// Writing results failed.
    #[error("writing results: {0}")]
    Output(io::Error),
    /// A command-line option is invalid (`--since`, `--until`, the source).
    #[error("{0}")]
    Usage(String),
    /// A worker thread died (a bug: it is reported rather than giving a partial result).
    #[error("internal error: {0}")]
    Worker(String),
    /// CloudWatch Logs refused or failed the query.
    #[error("CloudWatch Logs: {0}")]
    CloudWatch(String),
}
