//! The durable spool: records an endpoint cannot take yet, on disk, replayed in append order.
//!
//! One directory per sink holds append-only segment files (`{seq:016x}.seg`) and a `cursor` file. Each
//! record is one frame:
//!
//! ```text
//! u32 LE payload length | u32 LE CRC-32 of (length, timestamp, payload) | i64 LE timestamp_ms | payload
//! ```
//!
//! The cursor (`MSPC`, u64 LE segment, u64 LE offset, u32 LE CRC-32 of the 20 bytes before it) says how
//! far delivery got: every frame before that position was delivered. It is replaced atomically (written
//! to `cursor.tmp`, then renamed), so a crash leaves either the old or the new cursor, never half of one.
//!
//! [`Spool::open`] checks every frame after the cursor: a torn or corrupt frame (a crash in the middle of
//! an append, a flipped bit) and everything after it in that segment is cut off (the file is truncated)
//! and counted in [`Recovered::truncated_bytes`]; it never panics on what it reads. After opening, the
//! spool writes to a new segment and reads from the cursor on, so records come back in append order.
//!
//! The spool does blocking file I/O; the shipper calls it from `spawn_blocking`.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::shipper::ConfigError;
use crate::Record;

/// Bytes of a frame's header: length, CRC-32 and timestamp.
pub const FRAME_HEADER_BYTES: u64 = 16;
/// Largest payload a frame may hold (64 MiB); a longer length read back is corruption.
pub const MAX_FRAME_PAYLOAD: usize = 64 << 20;

const CURSOR_FILE: &str = "cursor";
const CURSOR_TMP: &str = "cursor.tmp";
const CURSOR_MAGIC: &[u8; 4] = b"MSPC";
const CURSOR_BYTES: usize = 24;
const SEGMENT_SUFFIX: &str = ".seg";

/// Where the spool keeps records for one sink and how much it may hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolConfig {
    /// The sink's own directory (created when missing). Never share one between two sinks or two
    /// running processes.
    pub dir: PathBuf,
    /// Most bytes of segment files on disk (frames with their 16-byte headers, including the delivered
    /// head of the oldest segment until that segment is deleted). Default 1 GiB; at least 2 ×
    /// `segment_bytes`. When a record does not fit, it and the records pushed after it are dropped.
    pub max_bytes: u64,
    /// A segment file is closed and a new one started once it holds this many bytes; delivered segments
    /// are deleted whole. Default 16 MiB; at least 4 KiB.
    pub segment_bytes: u64,
    /// `fsync` each append, the cursor and the directory, so that spooled records also survive a
    /// machine crash or power loss (not only a process kill). Default `false`.
    pub fsync: bool,
}

impl SpoolConfig {
    /// Default [`SpoolConfig::max_bytes`]: 1 GiB.
    pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
    /// Default [`SpoolConfig::segment_bytes`]: 16 MiB.
    pub const DEFAULT_SEGMENT_BYTES: u64 = 16 << 20;
    /// Smallest [`SpoolConfig::segment_bytes`]: 4 KiB.
    pub const MIN_SEGMENT_BYTES: u64 = 4 << 10;

    /// The defaults, in `dir`.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> SpoolConfig {
        SpoolConfig {
            dir: dir.into(),
            max_bytes: SpoolConfig::DEFAULT_MAX_BYTES,
            segment_bytes: SpoolConfig::DEFAULT_SEGMENT_BYTES,
            fsync: false,
        }
    }

    /// Checks the limits, naming the field that is wrong.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `spool.dir`, `spool.segment_bytes` or `spool.max_bytes`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.dir.as_os_str().is_empty() {
            return Err(ConfigError::new("spool.dir", "must not be empty"));
        }
        if self.segment_bytes < SpoolConfig::MIN_SEGMENT_BYTES {
            return Err(ConfigError::new(
                "spool.segment_bytes",
                format!(
                    "{} is below the minimum {}",
                    self.segment_bytes,
                    SpoolConfig::MIN_SEGMENT_BYTES
                ),
            ));
        }
        if self.max_bytes < self.segment_bytes.saturating_mul(2) {
            return Err(ConfigError::new(
                "spool.max_bytes",
                format!(
                    "{} must be at least twice spool.segment_bytes ({})",
                    self.max_bytes, self.segment_bytes
                ),
            ));
        }
        Ok(())
    }
}

/// A spool operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file operation on the spool directory failed.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A place in the spool: a segment's sequence number and a byte offset in it. Positions order like the
/// records they point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpoolPos {
    /// The segment's sequence number (its file name).
    pub segment: u64,
    /// Bytes into the segment.
    pub offset: u64,
}

/// What [`Spool::open`] found on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Undelivered records found after the cursor.
    pub records: u64,
    /// Bytes of segment files kept.
    pub bytes: u64,
    /// Bytes cut off torn or corrupt segment tails (their records are lost and counted here).
    pub truncated_bytes: u64,
    /// Whether a cursor file existed but was corrupt, so replay starts at the oldest segment (records
    /// already delivered may be sent again).
    pub cursor_corrupt: bool,
}

/// What [`Spool::append`] wrote.
#[derive(Debug)]
pub struct Appended {
    /// How many of the records, from the first, were written; the rest did not fit under
    /// [`SpoolConfig::max_bytes`] (or were larger than [`MAX_FRAME_PAYLOAD`]) and were not written.
    pub written: usize,
    /// The position after the last record written.
    pub end: SpoolPos,
    /// The I/O error that stopped the append, if one did.
    pub error: Option<SpoolError>,
}

#[derive(Debug)]
struct Segment {
    seq: u64,
    len: u64,
}

/// An open spool directory. See the [module documentation](self) for the format.
#[derive(Debug)]
pub struct Spool {
    config: SpoolConfig,
    segments: VecDeque<Segment>,
    writer: Option<(u64, File)>,
    next_seq: u64,
    read: SpoolPos,
    reader: Option<(u64, u64, BufReader<File>)>,
    committed: SpoolPos,
    bytes: u64,
    records: u64,
    corrupt_skipped: u64,
    last_read_error: Option<SpoolError>,
    buf: Vec<u8>,
}

impl Spool {
    /// Opens (creating when missing) the spool in `config.dir`, checks every undelivered frame, cuts off
    /// torn or corrupt tails and positions reading at the cursor.
    ///
    /// # Errors
    /// [`SpoolError::Io`] when the directory cannot be created, listed or a segment read or truncated.
    pub fn open(config: SpoolConfig) -> Result<(Spool, Recovered), SpoolError> {
        let dir = config.dir.clone();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut recovered = Recovered::default();
        let cursor = match read_cursor(&dir.join(CURSOR_FILE)) {
            Ok(c) => c,
            Err(()) => {
                recovered.cursor_corrupt = true;
                None
            }
        };
        let _ = fs::remove_file(dir.join(CURSOR_TMP));
        let mut seqs = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(hex) = name.strip_suffix(SEGMENT_SUFFIX) {
                if let Ok(seq) = u64::from_str_radix(hex, 16) {
                    seqs.push(seq);
                }
            }
        }
        seqs.sort_unstable();
        let mut segments = VecDeque::new();
        let mut start = None;
        for seq in seqs {
            let path = segment_path(&dir, seq);
            let from = match cursor {
                Some(c) if seq < c.segment => {
                    fs::remove_file(&path).map_err(io_err(&path))?;
                    continue;
                }
                Some(c) if seq == c.segment => c.offset,
                _ => 0,
            };
            let (len, records, truncated) = check_segment(&path, from)?;
            recovered.records += records;
            recovered.truncated_bytes += truncated;
            recovered.bytes += len;
            start.get_or_insert(SpoolPos {
                segment: seq,
                offset: from.min(len),
            });
            segments.push_back(Segment { seq, len });
        }
        let next_seq = segments
            .back()
            .map(|s| s.seq + 1)
            .max(cursor.map(|c| c.segment + 1))
            .unwrap_or(0);
        let start = start.unwrap_or(SpoolPos {
            segment: next_seq,
            offset: 0,
        });
        let spool = Spool {
            config,
            segments,
            writer: None,
            next_seq,
            read: start,
            reader: None,
            committed: start,
            bytes: recovered.bytes,
            records: recovered.records,
            corrupt_skipped: 0,
            last_read_error: None,
            buf: Vec::new(),
        };
        Ok((spool, recovered))
    }

    /// Undelivered records (after the committed cursor), as counted since opening.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Bytes of segment files on disk, the figure [`SpoolConfig::max_bytes`] limits.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether every record appended has been delivered (committed).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.committed >= self.end()
    }

    /// Whether records remain after the read position.
    #[must_use]
    pub fn has_unread(&self) -> bool {
        self.read < self.end()
    }

    /// Frames found corrupt while reading after [`Spool::open`] (each skips the rest of its segment).
    #[must_use]
    pub fn corrupt_skipped(&self) -> u64 {
        self.corrupt_skipped
    }

    /// The position after the last frame on disk.
    #[must_use]
    pub fn end(&self) -> SpoolPos {
        match self.segments.back() {
            Some(s) => SpoolPos {
                segment: s.seq,
                offset: s.len,
            },
            None => SpoolPos {
                segment: self.next_seq,
                offset: 0,
            },
        }
    }

    /// Appends `records` in order. Stops at the first record that would take the spool past
    /// [`SpoolConfig::max_bytes`]: it and the records after it are not written (the caller keeps or
    /// drops them), so what the spool holds stays a gap-free prefix. An I/O error stops the append too
    /// (the segment is cut back to its last whole frame where possible) and is returned in
    /// [`Appended::error`]; the records written before it count.
    pub fn append(&mut self, records: &[Record]) -> Appended {
        let mut written = 0;
        let mut error = None;
        while written < records.len() {
            match self.append_chunk(&records[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        Appended {
            written,
            end: self.end(),
            error,
        }
    }

    /// Appends as many of `records` as fit in the current segment (at least one when it fits the spool)
    /// with one write.
    fn append_chunk(&mut self, records: &[Record]) -> Result<usize, SpoolError> {
        let room = self.config.max_bytes.saturating_sub(self.bytes);
        let Some(first) = records.first().map(|r| r.payload.len()) else {
            return Ok(0);
        };
        if first > MAX_FRAME_PAYLOAD || FRAME_HEADER_BYTES + first as u64 > room {
            return Ok(0);
        }
        let (seq, file_len) = self.writable_segment(first as u64)?;
        let seg_room = self.config.segment_bytes.saturating_sub(file_len);
        self.buf.clear();
        let mut taken = 0;
        for r in records {
            let frame = FRAME_HEADER_BYTES + r.payload.len() as u64;
            let buffered = self.buf.len() as u64;
            if r.payload.len() > MAX_FRAME_PAYLOAD || buffered + frame > room {
                break;
            }
            if taken > 0 && buffered + frame > seg_room {
                break;
            }
            encode_frame(&mut self.buf, r);
            taken += 1;
        }
        let path = segment_path(&self.config.dir, seq);
        let Some((_, file)) = self.writer.as_mut() else {
            return Ok(0);
        };
        if let Err(e) = file.write_all(&self.buf) {
            let _ = file.set_len(file_len);
            let _ = file.seek(SeekFrom::Start(file_len));
            return Err(SpoolError::Io { path, source: e });
        }
        if self.config.fsync {
            file.sync_data().map_err(io_err(&path))?;
        }
        let added = self.buf.len() as u64;
        if let Some(s) = self.segments.back_mut() {
            s.len += added;
        }
        self.bytes += added;
        self.records += taken as u64;
        Ok(taken)
    }

    /// The segment to append to (rolling to a new one when the current one is full) and its length.
    fn writable_segment(&mut self, next_payload: u64) -> Result<(u64, u64), SpoolError> {
        if let (Some((seq, _)), Some(last)) = (&self.writer, self.segments.back()) {
            if *seq == last.seq
                && (last.len == 0 || last.len + FRAME_HEADER_BYTES + next_payload <= self.config.segment_bytes)
            {
                return Ok((last.seq, last.len));
            }
        }
        let seq = self.next_seq;
        let path = segment_path(&self.config.dir, seq);
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        if self.config.fsync {
            sync_dir(&self.config.dir)?;
        }
        self.next_seq += 1;
        self.writer = Some((seq, file));
        self.segments.push_back(Segment { seq, len: 0 });
        Ok((seq, 0))
    }

    /// Reads up to `max_records` records (stopping once `max_bytes` of payload were read) from the read
    /// position on, each with the position after it, and moves the read position past them. A corrupt
    /// frame, or a segment that cannot be opened or read, skips the rest of its segment (counted in
    /// [`Spool::corrupt_skipped`]; the I/O error is kept for [`Spool::take_read_error`]), so replay never
    /// stops on one bad file.
    pub fn read(&mut self, max_records: usize, max_bytes: usize) -> Vec<(Record, SpoolPos)> {
        let mut out = Vec::new();
        let mut bytes = 0;
        while out.len() < max_records && bytes < max_bytes {
            let Some(seg_len) = self.settle_read() else { break };
            let seq = self.read.segment;
            let path = segment_path(&self.config.dir, seq);
            let reader = match &mut self.reader {
                Some((s, off, r)) if *s == seq && *off == self.read.offset => Ok(r),
                _ => File::open(&path)
                    .and_then(|mut f| f.seek(SeekFrom::Start(self.read.offset)).map(|_| f))
                    .map(|f| {
                        &mut self
                            .reader
                            .insert((seq, self.read.offset, BufReader::with_capacity(64 << 10, f)))
                            .2
                    }),
            };
            let frame = match reader {
                Ok(reader) => read_frame(reader, seg_len - self.read.offset),
                Err(e) => Err(e),
            };
            match frame {
                Ok(Frame::Record(record, len)) => {
                    self.read.offset += len;
                    if let Some((_, off, _)) = &mut self.reader {
                        *off = self.read.offset;
                    }
                    bytes += record.payload.len();
                    out.push((record, self.read));
                }
                Ok(Frame::Corrupt) => {
                    self.corrupt_skipped += 1;
                    self.read.offset = seg_len;
                    self.reader = None;
                }
                Err(e) => {
                    self.corrupt_skipped += 1;
                    self.read.offset = seg_len;
                    self.reader = None;
                    self.last_read_error = Some(SpoolError::Io { path, source: e });
                }
            }
        }
        out
    }

    /// Moves the read position onto a frame that exists, returning its segment's length, or `None` when
    /// everything has been read.
    fn settle_read(&mut self) -> Option<u64> {
        loop {
            let seg = self.segments.iter().find(|s| s.seq >= self.read.segment)?;
            if seg.seq > self.read.segment {
                self.read = SpoolPos {
                    segment: seg.seq,
                    offset: 0,
                };
            }
            if self.read.offset < seg.len {
                return Some(seg.len);
            }
            let next = self.segments.iter().find(|s| s.seq > self.read.segment)?;
            self.read = SpoolPos {
                segment: next.seq,
                offset: 0,
            };
        }
    }

    /// The last I/O error [`Spool::read`] met, once.
    pub fn take_read_error(&mut self) -> Option<SpoolError> {
        self.last_read_error.take()
    }

    /// The read position: the next record [`Spool::read`] returns.
    #[must_use]
    pub fn read_position(&self) -> SpoolPos {
        self.read
    }

    /// Moves the read position forward to `pos` (records the caller already holds, such as a batch it
    /// spilled itself and is still sending).
    pub fn skip_read_to(&mut self, pos: SpoolPos) {
        if pos > self.read {
            self.read = pos;
            self.reader = None;
        }
    }

    /// Records that every frame before `pos` (`records` of them since the last commit) was delivered:
    /// rewrites the cursor and deletes segments wholly before it. When everything is delivered, all
    /// segment files are deleted and the spool takes no space.
    ///
    /// # Errors
    /// [`SpoolError::Io`] when the cursor cannot be written or a segment deleted.
    pub fn commit(&mut self, pos: SpoolPos, records: u64) -> Result<(), SpoolError> {
        self.records = self.records.saturating_sub(records);
        if pos <= self.committed {
            return Ok(());
        }
        let everything = pos >= self.end();
        let cursor = if everything {
            SpoolPos {
                segment: self.next_seq,
                offset: 0,
            }
        } else {
            pos
        };
        self.write_cursor(cursor)?;
        self.committed = cursor;
        if self.read < cursor {
            self.read = cursor;
            self.reader = None;
        }
        while let Some(first) = self.segments.front() {
            if first.seq >= cursor.segment {
                break;
            }
            let seq = first.seq;
            let len = first.len;
            if self.writer.as_ref().is_some_and(|(w, _)| *w == seq) {
                self.writer = None;
            }
            if self.reader.as_ref().is_some_and(|(r, _, _)| *r == seq) {
                self.reader = None;
            }
            let path = segment_path(&self.config.dir, seq);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(SpoolError::Io { path, source: e }),
            }
            self.bytes = self.bytes.saturating_sub(len);
            self.segments.pop_front();
        }
        if everything {
            self.records = 0;
        }
        Ok(())
    }

    /// Flushes appended frames and the cursor to stable storage (`fsync`), whatever
    /// [`SpoolConfig::fsync`] says: called at shutdown.
    ///
    /// # Errors
    /// [`SpoolError::Io`] when a sync fails.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        if let Some((seq, file)) = &self.writer {
            file.sync_data()
                .map_err(io_err(&segment_path(&self.config.dir, *seq)))?;
        }
        let path = self.config.dir.join(CURSOR_FILE);
        if let Ok(f) = File::open(&path) {
            f.sync_all().map_err(io_err(&path))?;
        }
        sync_dir(&self.config.dir)
    }

    fn write_cursor(&self, pos: SpoolPos) -> Result<(), SpoolError> {
        let mut bytes = [0u8; CURSOR_BYTES];
        bytes[..4].copy_from_slice(CURSOR_MAGIC);
        bytes[4..12].copy_from_slice(&pos.segment.to_le_bytes());
        bytes[12..20].copy_from_slice(&pos.offset.to_le_bytes());
        let crc = crc32fast::hash(&bytes[..20]);
        bytes[20..].copy_from_slice(&crc.to_le_bytes());
        let tmp = self.config.dir.join(CURSOR_TMP);
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&bytes).map_err(io_err(&tmp))?;
        if self.config.fsync {
            f.sync_all().map_err(io_err(&tmp))?;
        }
        drop(f);
        let path = self.config.dir.join(CURSOR_FILE);
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        if self.config.fsync {
            sync_dir(&self.config.dir)?;
        }
        Ok(())
    }
}

/// The file of segment `seq` in `dir`.
#[must_use]
pub fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016x}{SEGMENT_SUFFIX}"))
}

fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// `Ok(None)`: no cursor file; `Err(())`: a cursor file that is not a valid cursor.
fn read_cursor(path: &Path) -> Result<Option<SpoolPos>, ()> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(()),
    };
    if bytes.len() != CURSOR_BYTES || &bytes[..4] != CURSOR_MAGIC {
        return Err(());
    }
    let crc = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    if crc32fast::hash(&bytes[..20]) != crc {
        return Err(());
    }
    let mut seg = [0u8; 8];
    seg.copy_from_slice(&bytes[4..12]);
    let mut off = [0u8; 8];
    off.copy_from_slice(&bytes[12..20]);
    Ok(Some(SpoolPos {
        segment: u64::from_le_bytes(seg),
        offset: u64::from_le_bytes(off),
    }))
}

fn frame_crc(len: u32, timestamp_ms: i64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len.to_le_bytes());
    h.update(&timestamp_ms.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends `record`'s frame to `buf`. The caller keeps payloads within [`MAX_FRAME_PAYLOAD`].
fn encode_frame(buf: &mut Vec<u8>, record: &Record) {
    let len = u32::try_from(record.payload.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&frame_crc(len, record.timestamp_ms, &record.payload).to_le_bytes());
    buf.extend_from_slice(&record.timestamp_ms.to_le_bytes());
    buf.extend_from_slice(&record.payload);
}

enum Frame {
    /// A whole, valid record and its frame's length.
    Record(Record, u64),
    /// A torn or corrupt frame.
    Corrupt,
}

/// Reads one frame from `r`, which has `left` bytes before the segment's end.
fn read_frame(r: &mut impl Read, left: u64) -> io::Result<Frame> {
    if left < FRAME_HEADER_BYTES {
        return Ok(Frame::Corrupt);
    }
    let mut header = [0u8; FRAME_HEADER_BYTES as usize];
    match r.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(Frame::Corrupt),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&header[8..16]);
    let timestamp_ms = i64::from_le_bytes(ts);
    if len as usize > MAX_FRAME_PAYLOAD || FRAME_HEADER_BYTES + u64::from(len) > left {
        return Ok(Frame::Corrupt);
    }
    let mut payload = vec![0u8; len as usize];
    match r.read_exact(&mut payload) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(Frame::Corrupt),
        Err(e) => return Err(e),
    }
    if frame_crc(len, timestamp_ms, &payload) != crc {
        return Ok(Frame::Corrupt);
    }
    Ok(Frame::Record(
        Record {
            timestamp_ms,
            payload: Bytes::from(payload),
        },
        FRAME_HEADER_BYTES + u64::from(len),
    ))
}

/// Checks the frames of the segment at `path` from `from` on; truncates it at the first torn or corrupt
/// frame. Returns the segment's (new) length, its valid records after `from` and the bytes cut off.
fn check_segment(path: &Path, from: u64) -> Result<(u64, u64, u64), SpoolError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    if from >= len {
        return Ok((len, 0, 0));
    }
    let mut reader = BufReader::with_capacity(64 << 10, &file);
    reader.seek(SeekFrom::Start(from)).map_err(io_err(path))?;
    let mut offset = from;
    let mut records = 0;
    while offset < len {
        match read_frame(&mut reader, len - offset).map_err(io_err(path))? {
            Frame::Record(_, n) => {
                offset += n;
                records += 1;
            }
            Frame::Corrupt => break,
        }
    }
    drop(reader);
    if offset < len {
        file.set_len(offset).map_err(io_err(path))?;
    }
    Ok((offset, records, len - offset))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
