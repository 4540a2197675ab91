//! Following local files as `tail -F` does: lines appended are read on each poll; when the path names another
//! file (rotation: renamed away and created anew) the old file is read to its end and the new one from its start;
//! when the file shrinks below what was read (truncation, `copytruncate`) it is read again from its start; a
//! path that does not exist yet is waited for. A glob is expanded again on each poll and files that appear are
//! read from their start, except a file already read under another name (a rotated file that now matches).

use std::collections::HashSet;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{local, SourceError};
use crate::event::LogEvent;

/// What tells two files apart: device and inode on Unix.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<FileId> {
    None
}

/// Read chunk size.
const CHUNK: usize = 1 << 16;

/// A file of a glob whose path has been gone this long is closed (writers that keep appending to a renamed file
/// until they reopen have had time to finish).
const GONE_AFTER: Duration = Duration::from_secs(5);

/// One followed path.
#[derive(Debug)]
pub(crate) struct FileFollower {
    path: PathBuf,
    stream: Arc<str>,
    group: Arc<str>,
    file: Option<File>,
    id: Option<FileId>,
    /// Bytes of the open file consumed so far.
    position: u64,
    /// The start of a line whose `\n` has not been written yet.
    partial: Vec<u8>,
    /// Since when the path has not existed.
    missing_since: Option<Instant>,
}

impl FileFollower {
    /// Follows `path`; with `from_start` its current content is read on the first poll, otherwise only what is
    /// appended from now on.
    pub(crate) fn new(path: PathBuf, group: Arc<str>, from_start: bool) -> Result<FileFollower, SourceError> {
        let stream: Arc<str> = Arc::from(path.display().to_string().as_str());
        let mut follower = FileFollower {
            path,
            stream,
            group,
            file: None,
            id: None,
            position: 0,
            partial: Vec::new(),
            missing_since: None,
        };
        match File::open(&follower.path) {
            Ok(mut file) => {
                let meta = file.metadata().map_err(|e| SourceError::io(&follower.path, e))?;
                follower.id = file_id(&meta);
                if !from_start {
                    follower.position = file
                        .seek(SeekFrom::End(0))
                        .map_err(|e| SourceError::io(&follower.path, e))?;
                }
                follower.file = Some(file);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SourceError::io(&follower.path, e)),
        }
        Ok(follower)
    }

    /// The file currently open, by identity.
    fn id(&self) -> Option<FileId> {
        self.id
    }

    /// Whether the path has been gone for [`GONE_AFTER`] at `now`.
    fn gone_at(&self, now: Instant) -> bool {
        self.missing_since
            .is_some_and(|since| now.saturating_duration_since(since) >= GONE_AFTER)
    }

    /// Reads what is new, handling rotation and truncation, and passes each complete line to `emit`.
    pub(crate) fn poll(
        &mut self,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        if self.read_available(emit)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            // Renamed away and not created again yet: keep the open file, writers may still append to it.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.missing_since.get_or_insert_with(Instant::now);
                return Ok(ControlFlow::Continue(()));
            }
            Err(e) => return Err(SourceError::io(&self.path, e)),
        };
        self.missing_since = None;
        let id = file_id(&meta);
        if self.file.is_none() || (id.is_some() && id != self.id) {
            // Rotated (or created): read what was written to the old file before the new one appeared; then it
            // is complete, its last line too.
            if self.read_available(emit)?.is_break() || self.flush_partial(emit).is_break() {
                return Ok(ControlFlow::Break(()));
            }
            let file = match File::open(&self.path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ControlFlow::Continue(())),
                Err(e) => return Err(SourceError::io(&self.path, e)),
            };
            let opened = file.metadata().map_err(|e| SourceError::io(&self.path, e))?;
            self.id = file_id(&opened);
            self.file = Some(file);
            self.position = 0;
            return self.read_available(emit);
        }
        if meta.len() < self.position {
            // Truncated in place: start again from the beginning.
            self.partial.clear();
            self.position = 0;
            if let Some(file) = self.file.as_mut() {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| SourceError::io(&self.path, e))?;
            }
            return self.read_available(emit);
        }
        Ok(ControlFlow::Continue(()))
    }

    fn flush_partial(&mut self, emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>) -> ControlFlow<()> {
        if self.partial.is_empty() {
            return ControlFlow::Continue(());
        }
        let line = std::mem::take(&mut self.partial);
        emit(line_event(&self.stream, &self.group, line))
    }

    /// Reads the open file to its current end, emitting complete lines.
    fn read_available(
        &mut self,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(ControlFlow::Continue(()));
        };
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = match file.read(&mut chunk) {
                Ok(0) => return Ok(ControlFlow::Continue(())),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SourceError::io(&self.path, e)),
            };
            self.position += n as u64;
            let mut rest = &chunk[..n];
            while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..newline]);
                rest = &rest[newline + 1..];
                if emit(line_event(&self.stream, &self.group, line)).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            self.partial.extend_from_slice(rest);
        }
    }
}

/// The event of one line of a followed file.
fn line_event(stream: &Arc<str>, group: &Arc<str>, bytes: Vec<u8>) -> LogEvent {
    let mut event = LogEvent::from_message(local::line_text(bytes));
    event.log_stream = Some(stream.clone());
    event.log_group = Some(group.clone());
    event
}

/// A glob whose matches are followed, and re-checked for new files on each poll.
#[derive(Debug)]
pub(crate) struct GlobFollower {
    pattern: String,
    group: Arc<str>,
    files: Vec<FileFollower>,
    /// Files read so far (under any name) that still exist: a rotated file matching under its new name is not
    /// read twice.
    seen: HashSet<FileId>,
}

impl GlobFollower {
    /// Follows every file matching `pattern` now (read from the start with `from_start`, else only what is
    /// appended) and every file that matches later (read from its start).
    pub(crate) fn new(pattern: &str, from_start: bool) -> Result<GlobFollower, SourceError> {
        let group: Arc<str> = Arc::from(pattern);
        let mut files = Vec::new();
        let mut seen = HashSet::new();
        for path in local::expand_glob(pattern)? {
            let follower = FileFollower::new(path, group.clone(), from_start)?;
            seen.extend(follower.id());
            files.push(follower);
        }
        Ok(GlobFollower {
            pattern: pattern.to_owned(),
            group,
            files,
            seen,
        })
    }

    /// Polls every followed file, then looks for new matches.
    pub(crate) fn poll(
        &mut self,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        let now = Instant::now();
        for file in &mut self.files {
            if file.poll(emit)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
            self.seen.extend(file.id());
            if file.gone_at(now) && file.flush_partial(emit).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        // Files deleted (or renamed out of the glob) a while ago are closed, so their space can be freed.
        self.files.retain(|file| !file.gone_at(now));
        let mut present = HashSet::new();
        for path in local::expand_glob(&self.pattern)? {
            let id = match fs::metadata(&path) {
                Ok(meta) => file_id(&meta),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(SourceError::io(&path, e)),
            };
            present.extend(id);
            if self.files.iter().any(|f| f.path == path) || id.is_some_and(|id| self.seen.contains(&id)) {
                continue;
            }
            let mut follower = FileFollower::new(path, self.group.clone(), true)?;
            self.seen.extend(follower.id());
            present.extend(follower.id());
            let flow = follower.poll(emit)?;
            self.files.push(follower);
            if flow.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        let open: HashSet<FileId> = self.files.iter().filter_map(FileFollower::id).collect();
        self.seen.retain(|id| present.contains(id) || open.contains(id));
        Ok(ControlFlow::Continue(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_closes_files_gone_for_a_while_after_their_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app-1.log");
        fs::write(&path, "complete\nunfinished").unwrap();
        let mut glob = GlobFollower::new(&format!("{}/*.log", dir.path().display()), true).unwrap();
        let mut seen = Vec::new();
        let mut emit = |event: LogEvent| {
            seen.push(event.message);
            ControlFlow::Continue(())
        };
        assert!(glob.poll(&mut emit).unwrap().is_continue());
        fs::remove_file(&path).unwrap();
        assert!(glob.poll(&mut emit).unwrap().is_continue());
        assert_eq!(glob.files.len(), 1, "kept while writers may still append");
        glob.files[0].missing_since = Some(Instant::now() - GONE_AFTER);
        assert!(glob.poll(&mut emit).unwrap().is_continue());
        assert!(glob.files.is_empty(), "closed");
        assert_eq!(seen, ["complete", "unfinished"]);
    }
}
