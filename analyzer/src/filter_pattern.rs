//! CloudWatch Logs filter patterns.
//!
//! PLACEHOLDER (branch h1-sources): this file only gives the sources and `moatctl tail` the API of the real
//! filter-pattern engine, which another branch builds in this same file. Here a pattern matches a message that
//! contains the whole pattern text as a substring; nothing of AWS's syntax is implemented. The lead replaces this
//! file with the real engine at merge.

/// A parsed filter pattern (placeholder: the pattern text, matched as a substring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterPattern {
    text: String,
}

/// Why a filter pattern could not be parsed (the placeholder accepts every pattern).
#[derive(Debug, thiserror::Error)]
#[error("invalid filter pattern")]
pub struct FilterPatternError;

impl FilterPattern {
    /// Parses a filter pattern (placeholder: keeps the text as is).
    ///
    /// # Errors
    /// Never in the placeholder.
    pub fn parse(pattern: &str) -> Result<FilterPattern, FilterPatternError> {
        Ok(FilterPattern {
            text: pattern.to_owned(),
        })
    }

    /// Whether `message` matches (placeholder: contains the pattern text).
    pub fn matches(&self, message: &str) -> bool {
        message.contains(self.text.as_str())
    }
}
