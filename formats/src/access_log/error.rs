//! Why an access-log format string was rejected. Each message names the bad text, where it is, and what
//! is allowed instead.

use thiserror::Error;

/// An access-log format that API Gateway would not accept (or that Moat cannot render safely).
///
/// Columns are 1-based and count characters of the format string as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    /// `$context.` followed by a name that is not an access-log variable of either API type.
    #[error(
        "unknown access-log variable `$context.{name}` at column {column}: use a variable from \
         \"Variables for access logging for API Gateway\" (REST) or \"Customize HTTP API access logs\" \
         (HTTP); docs/logging.md lists them"
    )]
    UnknownVariable {
        /// The name after `$context.` (empty when nothing follows the dot).
        name: String,
        /// Column of the `$`.
        column: usize,
    },
    /// A documented variable that the other API type supports but this one does not.
    #[error(
        "`$context.{name}` at column {column} is not available in {api} API access logs; AWS supports it \
         only for {supported} APIs"
    )]
    UnsupportedForApiType {
        /// The name after `$context.`.
        name: String,
        /// Column of the `$`.
        column: usize,
        /// The API type of the stage being configured: `rest` or `http`.
        api: &'static str,
        /// The API type that supports the variable: `rest` or `http`.
        supported: &'static str,
    },
    /// Neither `$context.requestId` nor `$context.extendedRequestId` appears (AWS requires one).
    #[error(
        "access-log format must include `$context.requestId` or `$context.extendedRequestId` (AWS \
         requires at least one; including both is best practice)"
    )]
    MissingRequestId,
    /// A line break before the end of the format: AWS formats are a single line.
    #[error(
        "access-log format must be a single line: line break at column {column} (only one trailing \
         newline is allowed)"
    )]
    MultipleLines {
        /// Column of the line break.
        column: usize,
    },
    /// A VTL reference other than a plain `$context.name`: `$input`, `$util`, `$stageVariables`,
    /// `${context.x}`, `$!context.x`, ...
    #[error(
        "only `$context.<name>` variables are allowed in access-log formats, found `{reference}` at \
         column {column} (`$input`, `$util`, `$stageVariables` and `${{...}}` / `$!...` references are \
         not supported by API Gateway access logs)"
    )]
    NotContextVariable {
        /// The reference as written, up to its first non-name character.
        reference: String,
        /// Column of the `$`.
        column: usize,
    },
}
