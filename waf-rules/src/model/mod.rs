//! The AWS WAF v2 document model: serde types for `WebACL`, `RuleGroup`, `IPSet` and `RegexPatternSet`, their
//! loader (JSON or YAML, wrapped as the AWS CLI prints it or bare) and the semantic checks AWS applies on create.
//!
//! Field names are the WAFv2 API model's, exactly (`PascalCase`, `ARN`, `IPSetReferenceStatement`, ...). Every
//! field of the API model is accepted, including those Moat does not act on (`Id`, `Capacity`, `VisibilityConfig`,
//! `TokenDomains`, ...); any other field is an error, so a typo never passes silently.
//!
//! Blobs: `ByteMatchStatement.SearchString` is a `Blob` in the API model, which the WAFv2 JSON API and
//! `aws wafv2 get-web-acl` print base64-encoded; it is read as base64 here. CloudFormation's
//! `SearchStringBase64` (also base64) is accepted too; exactly one of the two must be present.

mod acl;
mod statement;
mod validate;

#[cfg(test)]
mod tests;

pub use acl::*;
pub use statement::*;

use std::fmt;

use serde::de::DeserializeOwned;

/// One problem found while loading: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// JSON path of the offending value, relative to the object (`Rules[3].Statement.ByteMatchStatement`).
    pub path: String,
    /// The rule concerned, when there is one.
    pub rule: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "{} (rule {rule:?}): {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Why a document could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The text is neither valid JSON nor valid YAML.
    #[error("not valid JSON or YAML: {0}")]
    Syntax(String),
    /// A field has the wrong name, type or value for the API model (found while reading; reading stops there).
    #[error("{path}: {message}")]
    Schema {
        /// JSON path of the bad field, e.g. `Rules[3].Statement.ByteMatchStatement.PositionalConstraint`.
        path: String,
        /// The reason, e.g. ``unknown variant `CONTAIN`, expected one of `EXACTLY`, ...``.
        message: String,
    },
    /// The document is well-formed but breaks AWS's rules or references something unknown; every problem found.
    #[error("{}", join_problems(.0))]
    Invalid(Vec<Problem>),
}

fn join_problems(problems: &[Problem]) -> String {
    problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
}

impl LoadError {
    /// The problems of an [`LoadError::Invalid`]; empty for the other kinds.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid(p) => p,
            _ => &[],
        }
    }
}

/// Which document a text holds: the wrapper key the AWS CLI prints and the sibling keys of that output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocKind {
    wrapper: &'static str,
    siblings: &'static [&'static str],
}

pub(crate) const WEB_ACL: DocKind = DocKind {
    wrapper: "WebACL",
    siblings: &["LockToken", "ApplicationIntegrationURL"],
};
pub(crate) const RULE_GROUP: DocKind = DocKind {
    wrapper: "RuleGroup",
    siblings: &["LockToken"],
};
pub(crate) const IP_SET: DocKind = DocKind {
    wrapper: "IPSet",
    siblings: &["LockToken"],
};
pub(crate) const REGEX_PATTERN_SET: DocKind = DocKind {
    wrapper: "RegexPatternSet",
    siblings: &["LockToken"],
};

/// Parses JSON (text starting with `{`) or YAML into a generic value.
fn parse_value(text: &str) -> Result<serde_json::Value, LoadError> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| LoadError::Syntax(e.to_string()))
    } else {
        serde_yaml::from_str(text).map_err(|e| LoadError::Syntax(e.to_string()))
    }
}

/// Reads a document of `kind` from JSON or YAML text, wrapped or bare, into `T`.
pub(crate) fn read_document<T: DeserializeOwned>(text: &str, kind: DocKind) -> Result<T, LoadError> {
    let mut value = parse_value(text)?;
    if let serde_json::Value::Object(map) = &mut value {
        if let Some(inner) = map.remove(kind.wrapper) {
            if let Some(other) = map.keys().find(|k| !kind.siblings.contains(&k.as_str())) {
                return Err(LoadError::Schema {
                    path: other.clone(),
                    message: format!(
                        "unknown field next to {:?}; the AWS CLI output has only {:?}",
                        kind.wrapper, kind.siblings
                    ),
                });
            }
            value = inner;
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        LoadError::Schema {
            path: if path == "." { "(root)".to_owned() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// Parses a `WebACL` document (see the module documentation) and runs the semantic checks.
pub fn parse_web_acl(text: &str) -> Result<WebAclModel, LoadError> {
    let acl: WebAclModel = read_document(text, WEB_ACL)?;
    let problems = validate::web_acl(&acl);
    if problems.is_empty() {
        Ok(acl)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

/// Parses a `RuleGroup` document and runs the semantic checks.
pub fn parse_rule_group(text: &str) -> Result<RuleGroupModel, LoadError> {
    let group: RuleGroupModel = read_document(text, RULE_GROUP)?;
    let problems = validate::rule_group(&group);
    if problems.is_empty() {
        Ok(group)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

/// Parses an `IPSet` document and checks every address (CIDR syntax and `IPAddressVersion`).
pub fn parse_ip_set(text: &str) -> Result<IpSetModel, LoadError> {
    let set: IpSetModel = read_document(text, IP_SET)?;
    let problems = validate::ip_set(&set);
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

/// Parses a `RegexPatternSet` document (patterns are checked when an ACL using the set is compiled).
pub fn parse_regex_pattern_set(text: &str) -> Result<RegexPatternSetModel, LoadError> {
    let set: RegexPatternSetModel = read_document(text, REGEX_PATTERN_SET)?;
    let problems = validate::regex_pattern_set(&set);
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

/// Parses an IP set address: `a.b.c.d/n` or `v6/n`; a bare address means the full prefix.
pub fn parse_cidr(text: &str) -> Option<(std::net::IpAddr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: std::net::IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.trim().parse::<u8>().ok().filter(|&n| n <= max)?,
        None => max,
    };
    Some((ip, len))
}
