//! CloudWatch Logs filter patterns, as metric filters, subscription filters, `FilterLogEvents` and Live Tail
//! read them (AWS doc "Filter pattern syntax for metric filters, subscription filters, filter log events, and
//! Live Tail"). A pattern is parsed and compiled once by [`FilterPattern::parse`]; [`FilterPattern::matches`]
//! then tests one message without allocating (term patterns) or by parsing the message as JSON (JSON patterns
//! only).
//!
//! The three kinds, chosen by the pattern's first character:
//!
//! - **terms** (anything else): `ERROR Exception` (every term, case-sensitive substring), `"exact phrase"`,
//!   `?ERROR ?WARN` (any of the `?` groups; terms after a `?term` join its group, as the AWS CDK's
//!   `anyTermGroup` writes `?"ERROR" "MainThread" ?"WARN" "Deadlock"`), `-term` or `- "term"` (exclude),
//!   `%regex%` (see below), and the empty pattern, `""` or `" "` (every message);
//! - **JSON** (`{`): `{ $.status = 5* && ($.latency > 100 || $.error IS TRUE) }` with selectors `$.a.b`,
//!   `$.a[0]`, `$.a[*]` and `$.*`, operators `= != < <= > >=`, `IS NULL`, `NOT EXISTS`, `IS TRUE`,
//!   `IS FALSE`, `&&` over `||` and parentheses;
//! - **space-delimited** (`[`): `[ip, user, ..., status = 5* || status = 429, size > 1000]`, fields split at
//!   spaces with `"..."` and `[...]` kept whole, one `...` for any number of fields.
//!
//! Values: a number (`+1000`, `55.5`, `10e-3`) compares numerically with numbers and with strings that are
//! numbers (API Gateway's JSON access logs quote every value); a string (quoted or not) compares for `=` and
//! `!=` only, with `*` as a wildcard at its start and/or end (`*Event`, `4*`, `*html*`; a `*` inside is a
//! literal `*`, as AWS documents for `Ev*ent`); a lone `*` means "any value"; `%regex%` holds the regex subset
//! AWS allows (letters, digits, space, `_ # = @ / ; , - :` and the operators `^ $ ? [ ] { } | \ * + .`, no
//! groups, ASCII only), at most two per JSON or space-delimited pattern.

mod conditions;
mod cursor;
mod delimited;
mod json;
mod terms;
mod value;

use std::fmt;
use std::str::FromStr;

use self::delimited::DelimitedPattern;
use self::json::JsonPattern;
use self::terms::TermPattern;

/// Why a filter pattern was rejected. Columns count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterPatternError {
    /// The pattern does not follow the grammar.
    #[error("filter pattern, column {column}: expected {expected}, found {found}")]
    Syntax {
        /// Where the unexpected text starts.
        column: usize,
        /// What the grammar allows there.
        expected: String,
        /// What is there instead (`end of pattern` at the end).
        found: String,
    },
    /// A `%regex%` uses a character AWS does not allow, or does not compile.
    #[error("filter pattern, column {column}: regex %{regex}%: {reason}")]
    Regex {
        /// Where the regex starts (its opening `%`).
        column: usize,
        /// The regex between the `%` signs.
        regex: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A space-delimited condition names a field the pattern does not have.
    #[error("filter pattern, column {column}: no field named {name:?} in this pattern")]
    UnknownField {
        /// Where the name is.
        column: usize,
        /// The name.
        name: String,
    },
    /// A JSON or space-delimited pattern holds more than AWS's two regexes.
    #[error("filter pattern: {count} regexes, but a JSON or space-delimited pattern may hold at most 2")]
    TooManyRegexes {
        /// How many it holds.
        count: usize,
    },
}

/// Which of the three syntaxes a pattern uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// Terms, phrases, `?` alternatives, `-` exclusions and `%regex%` (also the empty pattern).
    Terms,
    /// `{ $.selector ... }`.
    Json,
    /// `[field, ..., field = value]`.
    SpaceDelimited,
}

/// A compiled CloudWatch Logs filter pattern.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    source: String,
    compiled: Compiled,
}

#[derive(Debug, Clone)]
enum Compiled {
    Terms(TermPattern),
    Json(JsonPattern),
    Delimited(DelimitedPattern),
}

impl FilterPattern {
    /// Parses and compiles a pattern; errors name the column and what was expected there.
    pub fn parse(pattern: &str) -> Result<FilterPattern, FilterPatternError> {
        let trimmed = pattern.trim_start();
        let compiled = if trimmed.starts_with('{') {
            Compiled::Json(JsonPattern::parse(pattern)?)
        } else if trimmed.starts_with('[') {
            Compiled::Delimited(DelimitedPattern::parse(pattern)?)
        } else {
            Compiled::Terms(TermPattern::parse(pattern)?)
        };
        Ok(FilterPattern {
            source: pattern.to_owned(),
            compiled,
        })
    }

    /// Whether `message` matches. A JSON pattern never matches a message that is not a JSON object; a
    /// space-delimited pattern only matches a message with as many fields as it names (any number from
    /// its `...`).
    pub fn matches(&self, message: &str) -> bool {
        match &self.compiled {
            Compiled::Terms(pattern) => pattern.matches(message),
            Compiled::Json(pattern) => pattern.matches(message),
            Compiled::Delimited(pattern) => pattern.matches(message),
        }
    }

    /// The fields a space-delimited pattern extracts from a matching message, as CloudWatch's
    /// `TestMetricFilter` reports them: `$name` for named fields, `$N` (from 1) for the others. `None` when
    /// the message does not match or the pattern is not space-delimited.
    pub fn extract<'m>(&self, message: &'m str) -> Option<Vec<(String, &'m str)>> {
        match &self.compiled {
            Compiled::Delimited(pattern) => pattern.extract(message),
            Compiled::Terms(_) | Compiled::Json(_) => None,
        }
    }

    /// Which syntax the pattern uses.
    pub fn kind(&self) -> PatternKind {
        match &self.compiled {
            Compiled::Terms(_) => PatternKind::Terms,
            Compiled::Json(_) => PatternKind::Json,
            Compiled::Delimited(_) => PatternKind::SpaceDelimited,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl FromStr for FilterPattern {
    type Err = FilterPatternError;

    fn from_str(pattern: &str) -> Result<FilterPattern, FilterPatternError> {
        FilterPattern::parse(pattern)
    }
}

impl fmt::Display for FilterPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// AWS's quota: "a limit of 2 regex for each filter pattern when creating a delimited or JSON filter pattern".
const MAX_REGEXES: usize = 2;

/// How deep parentheses may nest in a JSON or space-delimited pattern (a bound on the parser's recursion).
const MAX_NESTING: usize = 64;

fn check_regex_count(count: usize) -> Result<(), FilterPatternError> {
    if count > MAX_REGEXES {
        Err(FilterPatternError::TooManyRegexes { count })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
