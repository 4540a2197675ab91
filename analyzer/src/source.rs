//! Where events come from. A source is written on the command line as `-` (stdin) or a file path; more kinds
//! (globs, gzip, following rotation, CloudWatch Logs groups) are added here.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use crate::event::LogEvent;

/// A source of log events, as parsed from a command-line argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// One local file.
    File(PathBuf),
}

/// Errors reading a source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
}

impl Source {
    /// Parses a command-line source argument.
    pub fn parse(spec: &str) -> Source {
        if spec == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(spec))
        }
    }

    /// Calls `each` with every event, in order, until it returns `Break`.
    pub fn for_each_event(&self, mut each: impl FnMut(LogEvent) -> ControlFlow<()>) -> Result<(), SourceError> {
        let (name, reader): (String, Box<dyn BufRead>) = match self {
            Source::Stdin => ("-".to_owned(), Box::new(BufReader::new(io::stdin()))),
            Source::File(path) => {
                let shown = path.display().to_string();
                let file = File::open(path).map_err(|source| SourceError::Io {
                    path: shown.clone(),
                    source,
                })?;
                (shown, Box::new(BufReader::with_capacity(1 << 16, file)))
            }
        };
        let stream: Arc<str> = Arc::from(name.as_str());
        for line in reader.lines() {
            let line = line.map_err(|source| SourceError::Io {
                path: name.clone(),
                source,
            })?;
            let mut event = LogEvent::from_message(line);
            event.log_stream = Some(stream.clone());
            if each(event).is_break() {
                break;
            }
        }
        Ok(())
    }
}
