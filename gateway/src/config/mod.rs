//! Config files: YAML or JSON in, a validated [`crate::runtime::Gateway`] out.
//!
//! Loading happens in two steps, each with errors that name the file, the line and the field path:
//! [`raw`] deserialises strictly (unknown fields are errors), then [`compile`] checks meaning (routes,
//! stages, canaries, log formats, certificates), collecting every problem before reporting, and builds the
//! immutable runtime objects.

pub mod compile;
pub mod locate;
pub mod raw;
pub mod telemetry;
pub mod waf;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use locate::LineIndex;
use raw::RawConfig;

use crate::runtime::Gateway;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Field path, e.g. `apis[0].stages.prod.canary.percent`; empty for the whole file.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Every problem found in one config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// The file, as given.
    pub file: String,
    /// The problems, in file order where lines are known.
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file)?;
            if let Some(line) = error.line {
                write!(f, ":{line}")?;
            }
            if error.path.is_empty() {
                write!(f, ": {}", error.message)?;
            } else {
                write!(f, ": {}: {}", error.path, error.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// What loading should do besides validating.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Open log files and create their directories (`moat serve`); `moat check` leaves the disk alone.
    pub open_sinks: bool,
    /// `--threads`, overriding `server.threads`.
    pub threads: Option<usize>,
}

/// Reads, parses and compiles the config file at `path`.
///
/// # Errors
/// Every problem found, each with its line and field path.
pub fn load(path: &Path, options: LoadOptions) -> Result<Gateway, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        file: file.clone(),
        errors: vec![ConfigError {
            path: String::new(),
            line: None,
            message: format!("cannot read the file: {e}"),
        }],
    })?;
    let base_dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    load_str(&text, &file, &base_dir, options)
}

/// Parses and compiles config `text`; `file` names it in errors, relative paths resolve against `base_dir`.
///
/// # Errors
/// Every problem found, each with its line and field path.
pub fn load_str(text: &str, file: &str, base_dir: &Path, options: LoadOptions) -> Result<Gateway, ConfigErrors> {
    let index = LineIndex::build(text);
    let fail = |errors: Vec<ConfigError>| ConfigErrors {
        file: file.to_owned(),
        errors,
    };
    let raw = parse(text, file, &index).map_err(|e| fail(vec![e]))?;
    compile::compile(&raw, base_dir, options).map_err(|problems| {
        let mut errors: Vec<ConfigError> = problems
            .into_iter()
            .map(|(path, message)| ConfigError {
                line: index.line_of(&path),
                path,
                message,
            })
            .collect();
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        fail(errors)
    })
}

fn is_json(text: &str, file: &str) -> bool {
    file.ends_with(".json") || text.trim_start().starts_with('{')
}

fn parse(text: &str, file: &str, index: &LineIndex) -> Result<RawConfig, ConfigError> {
    if is_json(text, file) {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, RawConfig>(&mut de).map_err(|e| {
            let path = render_path(e.path());
            let inner = e.inner();
            let line = Some(inner.line()).filter(|l| *l > 0).or_else(|| index.line_of(&path));
            ConfigError {
                path,
                line,
                message: explain(&inner.to_string()),
            }
        })
    } else {
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, RawConfig>(de).map_err(|e| {
            let path = render_path(e.path());
            let inner = e.inner();
            let line = index
                .line_of(&path)
                .filter(|_| !path.is_empty())
                .or_else(|| inner.location().map(|l| l.line()));
            ConfigError {
                path,
                line,
                message: explain(&inner.to_string()),
            }
        })
    }
}

/// Drops the position suffix serde adds (we report the line ourselves).
fn explain(message: &str) -> String {
    let message = match message.find(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    message.to_owned()
}

/// Renders a serde path in the same shape as [`locate`] paths.
fn render_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => locate::push_index(&mut out, *index),
            serde_path_to_error::Segment::Map { key } | serde_path_to_error::Segment::Enum { variant: key } => {
                locate::push_key(&mut out, key);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

/// Parses a duration written as `250ms`, `10s`, `2m` or `1h`.
///
/// # Errors
/// A message saying what is allowed.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("`{text}` is not a duration: write a whole number with a unit, e.g. 500ms, 30s, 2m, 1h");
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests;
