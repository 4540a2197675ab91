//! Interim log sink (being replaced by the batching writer): appends lines to stdout or a file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// A log destination.
#[derive(Debug)]
pub struct LogSink {
    file: Mutex<Option<File>>,
}

impl LogSink {
    /// Opens `destination` (`stdout` or a file path).
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(destination: &str, _rotate_bytes: u64, _keep_files: u32, _queue_batches: usize) -> io::Result<Arc<LogSink>> {
        let file = if destination == "stdout" {
            None
        } else {
            Some(OpenOptions::new().create(true).append(true).open(destination)?)
        };
        Ok(Arc::new(LogSink { file: Mutex::new(file) }))
    }

    /// Appends bytes.
    pub fn append(&self, bytes: &[u8]) {
        if let Ok(mut file) = self.file.lock() {
            match file.as_mut() {
                Some(file) => {
                    let _ = file.write_all(bytes);
                }
                None => {
                    let _ = io::stdout().write_all(bytes);
                }
            }
        }
    }

    /// Flushes everything.
    pub fn flush_and_close(&self) {}
}
