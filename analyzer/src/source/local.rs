//! Local files read once: plain or gzip (recognised by its magic bytes, `1f 8b`, whatever the name), globs
//! expanded and ordered oldest first, lines split on `\n` (a `\r` before it is dropped, invalid UTF-8 becomes
//! U+FFFD), and an optional progress bar fed with the bytes read from disk.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;

use super::SourceError;

/// The first bytes of every gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Buffer size for reading files.
const BUFFER: usize = 1 << 16;

/// Counts the bytes read from the file into a progress bar.
struct Counted<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Whether the file starts with the gzip magic bytes.
pub(crate) fn is_gzip(path: &Path) -> Result<bool, SourceError> {
    let mut file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut head = [0u8; 2];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SourceError::io(path, e)),
        }
    }
    Ok(filled == 2 && head == GZIP_MAGIC)
}

/// Opens a file for reading lines, decompressing it when it is gzip.
pub(crate) fn open(path: &Path, progress: Option<&ProgressBar>) -> Result<Box<dyn BufRead>, SourceError> {
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let raw: Box<dyn Read> = match progress {
        Some(bar) => Box::new(Counted {
            inner: file,
            bar: bar.clone(),
        }),
        None => Box::new(file),
    };
    let mut reader = BufReader::with_capacity(BUFFER, raw);
    let head = reader.fill_buf().map_err(|e| SourceError::io(path, e))?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(reader))))
    } else {
        Ok(Box::new(reader))
    }
}

/// Turns the bytes of one line (without `\n`) into text: a trailing `\r` dropped, invalid UTF-8 replaced.
pub(crate) fn line_text(mut bytes: Vec<u8>) -> String {
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Calls `each` with every line of `reader` (the last one even without a final newline) until it breaks.
pub(crate) fn read_lines(
    reader: &mut dyn BufRead,
    name: &str,
    mut each: impl FnMut(String) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, SourceError> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| SourceError::Io {
            path: name.to_owned(),
            source,
        })?;
        if n == 0 {
            return Ok(ControlFlow::Continue(()));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if each(line_text(std::mem::take(&mut buf))).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
}

/// Whether a source argument is a glob pattern rather than a path.
pub(crate) fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

/// The files matching `pattern`, oldest modification time first (names break ties), so rotated files
/// (`access.log.2`, `access.log.1`, `access.log`) come in the order they were written. Directories are skipped.
pub(crate) fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, SourceError> {
    let paths = glob::glob(pattern).map_err(|e| SourceError::BadGlob {
        pattern: pattern.to_owned(),
        message: e.to_string(),
    })?;
    let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in paths {
        let path = entry.map_err(|e| SourceError::io(e.path(), io::Error::new(e.error().kind(), e.to_string())))?;
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), path)),
            Ok(_) => {}
            // Removed between listing and stat (rotation): not there any more.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SourceError::io(&path, e)),
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, path)| path).collect())
}
