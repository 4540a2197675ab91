//! Reading a plain local file on several cores: the file is cut into chunks at line boundaries, workers map
//! each chunk to a result, and the results come back in file order, so what is printed keeps the file's order.
//! `moatctl tail` filters this way, and `moatctl query` scans files with the same chunking.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// Appends bytes `[from, to)` of the input to the buffer.
pub(crate) type ReadRange<'r> = dyn FnMut(u64, u64, &mut Vec<u8>) -> io::Result<()> + 'r;

/// Loads into `buf` the lines that start in chunk `k` (bytes `[k * size, (k + 1) * size)` of a `len`-byte
/// input), reading with `read(from, to, buf)`, which appends bytes `[from, to)`; returns where in `buf` the
/// first of those lines begins. A line belongs to the chunk its first byte is in: the chunk reads one byte
/// before its start to see whether a line begins there, and past its end to the next newline.
pub(crate) fn load_chunk(
    read: &mut ReadRange<'_>,
    k: u64,
    size: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> io::Result<usize> {
    buf.clear();
    let start = k * size;
    let end = (start + size).min(len);
    read(start.saturating_sub(1), end, buf)?;
    let first = if k == 0 {
        0
    } else {
        match memchr::memchr(b'\n', buf) {
            Some(i) => i + 1,
            None => return Ok(buf.len()),
        }
    };
    if first >= buf.len() {
        return Ok(buf.len());
    }
    let mut pos = end;
    while pos < len && buf.last() != Some(&b'\n') {
        let before = buf.len();
        let next = (pos + 64 * 1024).min(len);
        read(pos, next, buf)?;
        if let Some(newline) = memchr::memchr(b'\n', &buf[before..]) {
            buf.truncate(before + newline + 1);
            break;
        }
        if buf.len() == before {
            break;
        }
        pos = next;
    }
    Ok(first)
}

/// Appends bytes `[from, to)` of `file` to `buf` (fewer at the end of the file).
pub(crate) fn read_range(file: &mut File, from: u64, to: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    file.seek(SeekFrom::Start(from))?;
    Read::by_ref(file).take(to.saturating_sub(from)).read_to_end(buf)?;
    Ok(())
}

/// Maps every chunk of the file at `path` with `map` on `workers` threads (each reading its own chunks) and
/// hands the results to `each` in file order until it breaks. Memory: two pending results per worker.
pub(crate) fn map_in_order<T: Send>(
    path: &Path,
    workers: usize,
    size: u64,
    map: &(dyn Fn(&[u8]) -> T + Sync),
    each: &mut dyn FnMut(T) -> ControlFlow<()>,
) -> io::Result<ControlFlow<()>> {
    let len = std::fs::metadata(path)?.len();
    let size = size.max(1);
    let chunks = len.div_ceil(size);
    let workers = workers.max(1);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let mut receivers = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<io::Result<T>>(2);
            receivers.push(rx);
            let stop = &stop;
            scope.spawn(move || {
                let mut file = match File::open(path) {
                    Ok(file) => file,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut buf = Vec::new();
                let mut read = |from, to, buf: &mut Vec<u8>| read_range(&mut file, from, to, buf);
                for k in (w as u64..chunks).step_by(workers) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let result = load_chunk(&mut read, k, size, len, &mut buf).map(|first| map(&buf[first..]));
                    if tx.send(result).is_err() {
                        return;
                    }
                }
            });
        }
        let mut flow = Ok(ControlFlow::Continue(()));
        for k in 0..chunks {
            let from = &receivers[(k % workers as u64) as usize];
            let result = match from.recv() {
                Ok(result) => result,
                Err(_) => Err(io::Error::other(format!("the reader of chunk {k} stopped"))),
            };
            match result.map(&mut *each) {
                Ok(ControlFlow::Continue(())) => {}
                other => {
                    flow = other;
                    break;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        drop(receivers);
        flow
    })
}

/// Calls `each` with every line of a chunk (without `\n`, a trailing `\r` dropped, as
/// [`super::local::read_lines`] reads them) until it breaks. A chunk ends with a newline except at the end of
/// the input; the empty piece after the last newline is not a line.
pub(crate) fn for_each_line(chunk: &[u8], mut each: impl FnMut(&[u8]) -> ControlFlow<()>) -> ControlFlow<()> {
    let mut rest = chunk;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        each(line)?;
        rest = next;
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &[u8], size: u64, workers: usize) -> Vec<String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.log");
        std::fs::write(&path, text).expect("written");
        let map = |chunk: &[u8]| {
            let mut out = Vec::new();
            let _ = for_each_line(chunk, |line| {
                out.push(String::from_utf8_lossy(line).into_owned());
                ControlFlow::Continue(())
            });
            out
        };
        let mut all = Vec::new();
        let flow = map_in_order(&path, workers, size, &map, &mut |lines| {
            all.extend(lines);
            ControlFlow::Continue(())
        })
        .expect("read");
        assert!(flow.is_continue());
        all
    }

    #[test]
    fn every_line_once_in_order_whatever_the_chunk_size_and_workers() {
        let text = b"alpha\nbeta\r\n\ngamma delta\nlast without newline";
        let expected = ["alpha", "beta", "", "gamma delta", "last without newline"];
        for size in 1..=text.len() as u64 + 1 {
            for workers in 1..=3 {
                assert_eq!(
                    lines_of(text, size, workers),
                    expected,
                    "size {size}, workers {workers}"
                );
            }
        }
        assert_eq!(lines_of(b"one\ntwo\n", 3, 2), ["one", "two"]);
        assert!(lines_of(b"", 4, 2).is_empty());
    }

    #[test]
    fn a_break_stops_the_reading() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.log");
        std::fs::write(&path, "a\nb\nc\nd\n").expect("written");
        let mut seen = 0;
        let flow = map_in_order(&path, 2, 2, &|chunk: &[u8]| chunk.len(), &mut |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .expect("read");
        assert!(flow.is_break());
        assert_eq!(seen, 2);
    }
}
