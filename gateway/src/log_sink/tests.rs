//! LogSink: ordering, rotation, dropping when the queue is full, timed flushes, draining at shutdown.

use super::*;

use std::sync::mpsc::Receiver;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn open(path: &Path, rotate_bytes: u64, keep_files: u32) -> Arc<LogSink> {
    let destination = path.to_str().expect("UTF-8 temp path");
    LogSink::open(destination, rotate_bytes, keep_files, 64).expect("open sink")
}

#[test]
fn records_from_many_threads_keep_their_order_and_all_arrive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = LogSink::open(path.to_str().expect("UTF-8"), 0, 0, 1024).expect("open sink");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let sink = Arc::clone(&sink);
            thread::spawn(move || {
                for i in 0..20_000 {
                    sink.write_with(|buf| buf.extend_from_slice(format!("t{t} {i}\n").as_bytes()));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("appender");
    }
    sink.flush_and_close().expect("close");
    assert_eq!(sink.records_dropped(), 0);
    assert_eq!(sink.records_written(), 80_000);
    let text = read(&path);
    assert_eq!(sink.bytes_written(), text.len() as u64);
    let mut next = [0u32; 4];
    for line in text.lines() {
        let (t, i) = line.split_once(' ').expect("two fields");
        let t: usize = t[1..].parse().expect("thread");
        let i: u32 = i.parse().expect("seq");
        assert_eq!(i, next[t], "thread {t} out of order");
        next[t] += 1;
    }
    assert_eq!(next, [20_000; 4]);
}

#[test]
fn partial_batches_are_written_within_the_flush_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 0, 0);
    sink.append(b"first\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while read(&path).is_empty() && std::time::Instant::now() < deadline {
        thread::sleep(FLUSH_INTERVAL / 4);
    }
    assert_eq!(
        read(&path),
        "first\n",
        "a partial batch should reach the file without a flush"
    );
    assert_eq!(sink.records_written(), 1);
}

#[test]
fn files_rotate_by_size_and_the_oldest_is_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 100, 2);
    // Each flush writes one 60-byte batch; a second one would pass 100 bytes, so every batch after
    // the first starts a new file.
    for n in 1..=5 {
        sink.append(format!("{:059}\n", n).as_bytes());
        sink.flush().expect("flush");
    }
    sink.flush_and_close().expect("close");
    let line = |n: u32| format!("{:059}\n", n);
    assert_eq!(read(&path), line(5));
    assert_eq!(read(&numbered(&path, 1)), line(4));
    assert_eq!(read(&numbered(&path, 2)), line(3));
    assert!(!numbered(&path, 3).exists());
    assert_eq!(sink.records_written(), 5);
}

#[test]
fn small_batches_share_a_file_until_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("exec.log");
    let sink = open(&path, 100, 1);
    for n in 0..4 {
        sink.append(format!("{n:029}\n").as_bytes()); // 30 bytes
        sink.flush().expect("flush");
    }
    sink.flush_and_close().expect("close");
    // 3 x 30 = 90 fit; the fourth would make 120.
    assert_eq!(read(&numbered(&path, 1)), format!("{:029}\n{:029}\n{:029}\n", 0, 1, 2));
    assert_eq!(read(&path), format!("{:029}\n", 3));
}

#[test]
fn rotation_with_no_kept_files_empties_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 50, 0);
    for n in 0..3 {
        sink.append(format!("{n:039}\n").as_bytes());
        sink.flush().expect("flush");
    }
    sink.flush_and_close().expect("close");
    assert_eq!(read(&path), format!("{:039}\n", 2));
    assert!(!numbered(&path, 1).exists());
}

#[test]
fn an_existing_file_is_appended_to_and_counts_toward_rotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    fs::write(&path, "old\n").expect("seed");
    let sink = open(&path, 6, 1);
    sink.append(b"new\n");
    sink.flush_and_close().expect("close");
    assert_eq!(read(&numbered(&path, 1)), "old\n");
    assert_eq!(read(&path), "new\n");
}

/// A writer that blocks until released, then records what it was given.
struct Gate {
    release: Receiver<()>,
    released: bool,
    written: Arc<Mutex<Vec<u8>>>,
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.released {
            let _ = self.release.recv();
            self.released = true;
        }
        lock(&self.written).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    let (release, gate_rx) = mpsc::channel();
    let written = Arc::new(Mutex::new(Vec::new()));
    let gate = Gate {
        release: gate_rx,
        released: false,
        written: Arc::clone(&written),
    };
    // Every record is a batch of its own; one batch may wait in the queue.
    let sink = LogSink::start(Output::Custom(Box::new(gate)), "gate", 1, 1, None).expect("start");
    let started = std::time::Instant::now();
    for n in 0..10 {
        sink.append(format!("{n}\n").as_bytes());
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "appends must not wait for the writer"
    );
    // At most one batch in the writer (blocked) and one in the queue.
    let dropped = sink.records_dropped();
    assert!(dropped >= 8, "dropped {dropped}");
    let _ = release.send(());
    sink.flush_and_close().expect("close");
    assert_eq!(sink.records_written() + sink.records_dropped(), 10);
    assert_eq!(sink.records_dropped(), dropped);
    let text = String::from_utf8(lock(&written).clone()).expect("UTF-8");
    let kept: Vec<u32> = text.lines().map(|l| l.parse().expect("number")).collect();
    assert_eq!(kept.len() as u64, sink.records_written());
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
}

#[test]
fn shutdown_drains_everything_and_later_records_are_counted_as_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 0, 0);
    let mut want = String::new();
    for n in 0..10_000 {
        let line = format!("record {n}\n");
        sink.append(line.as_bytes());
        want.push_str(&line);
    }
    sink.flush_and_close().expect("close");
    assert_eq!(read(&path), want);
    assert_eq!(sink.records_written(), 10_000);
    assert_eq!(sink.bytes_written(), want.len() as u64);
    // Idempotent, and appends after close are counted, not written.
    sink.flush_and_close().expect("second close");
    sink.append(b"late\n");
    assert_eq!(sink.records_dropped(), 1);
    assert!(sink.flush().is_err());
    assert_eq!(read(&path), want);
}

#[test]
fn dropping_the_last_reference_closes_the_sink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 0, 0);
    sink.append(b"bye\n");
    drop(sink);
    assert_eq!(read(&path), "bye\n");
}

#[test]
fn empty_writes_are_not_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let sink = open(&path, 0, 0);
    sink.write_with(|_| {});
    sink.append(b"");
    sink.flush_and_close().expect("close");
    assert_eq!((sink.records_written(), sink.records_dropped()), (0, 0));
}

#[test]
fn open_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where the log's directory should be: the directory cannot be created.
    let blocker = dir.path().join("blocker");
    fs::write(&blocker, b"not a directory").expect("write");
    let path = blocker.join("access.log");
    let err = LogSink::open(path.to_str().expect("UTF-8"), 0, 0, 8).expect_err("a file in the way");
    assert!(err.to_string().contains(&blocker.display().to_string()), "{err}");
}

#[test]
fn a_missing_log_directory_is_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("logs").join("nested").join("access.log");
    let sink = LogSink::open(path.to_str().expect("UTF-8"), 0, 0, 8).expect("open");
    sink.append(b"line\n");
    sink.flush_and_close().expect("close");
    assert_eq!(read(&path), "line\n");
}

#[test]
fn stdout_sink_opens_and_closes() {
    let sink = LogSink::open("stdout", 0, 0, 4).expect("stdout");
    assert_eq!(sink.destination(), "stdout");
    sink.flush_and_close().expect("close");
}

#[test]
fn log_sink_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LogSink>();
}

struct Line(String);

impl DeferredRecord for Line {
    fn render(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
        out.push(b'\n');
    }
}

#[test]
fn deferred_records_are_rendered_in_their_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mixed.log");
    let sink = open(&path, 0, 0);
    // Enough records to fill several batches, interleaving raw lines and deferred ones.
    for i in 0..2_000 {
        sink.append(format!("raw {i}\n").as_bytes());
        sink.append_deferred(Box::new(Line(format!("deferred {i}"))));
    }
    sink.flush_and_close().expect("close");
    assert_eq!(sink.records_written(), 4_000);
    assert_eq!(sink.records_dropped(), 0);
    let expected: String = (0..2_000).map(|i| format!("raw {i}\ndeferred {i}\n")).collect();
    assert_eq!(read(&path), expected);
    assert_eq!(sink.bytes_written(), expected.len() as u64);
}

/// Collects what a sink tees.
#[derive(Default)]
struct Collect(Mutex<Vec<u8>>);

impl LineTee for Collect {
    fn lines(&self, lines: &[u8]) {
        assert_eq!(lines.last(), Some(&b'\n'), "a tee gets whole lines");
        lock(&self.0).extend_from_slice(lines);
    }
}

#[test]
fn a_tee_gets_every_rendered_line_in_order_with_or_without_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("teed.log");
    let destination = path.to_str().expect("UTF-8 temp path");
    for file in [Some(destination), None] {
        let tee = Arc::new(Collect::default());
        let sink = LogSink::open_teed(file, 0, 0, 64, Some(Arc::clone(&tee) as Arc<dyn LineTee>)).expect("open");
        for i in 0..3_000 {
            sink.append_deferred(Box::new(Line(format!("deferred {i}"))));
        }
        sink.flush_and_close().expect("close");
        let expected: String = (0..3_000).map(|i| format!("deferred {i}\n")).collect();
        assert_eq!(String::from_utf8(lock(&tee.0).clone()).expect("UTF-8"), expected);
        assert_eq!(sink.records_written(), 3_000);
        if file.is_some() {
            assert_eq!(read(&path), expected);
        } else {
            assert_eq!(sink.destination(), "tee");
        }
    }
}

/// A record that counts its `finished` calls.
struct Counted(String, Arc<AtomicU64>);

impl DeferredRecord for Counted {
    fn render(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
        out.push(b'\n');
    }

    fn finished(self: Box<Self>) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn rendered_records_keep_their_place_and_are_finished_once_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rendered.log");
    let tee = Arc::new(Collect::default());
    let destination = path.to_str().expect("UTF-8 temp path");
    let sink =
        LogSink::open_teed(Some(destination), 0, 0, 64, Some(Arc::clone(&tee) as Arc<dyn LineTee>)).expect("open");
    let finished = Arc::new(AtomicU64::new(0));
    for i in 0..2_000 {
        sink.append_rendered(Box::new(Counted(format!("rendered {i}"), Arc::clone(&finished))));
        sink.append_deferred(Box::new(Counted(format!("deferred {i}"), Arc::clone(&finished))));
    }
    sink.flush_and_close().expect("close");
    let expected: String = (0..2_000).map(|i| format!("rendered {i}\ndeferred {i}\n")).collect();
    assert_eq!(read(&path), expected);
    assert_eq!(String::from_utf8(lock(&tee.0).clone()).expect("UTF-8"), expected);
    assert_eq!(sink.records_written(), 4_000);
    assert_eq!(finished.load(Ordering::Relaxed), 4_000);
    // After close nothing is rendered or finished, only counted as dropped.
    sink.append_rendered(Box::new(Counted("late".to_owned(), Arc::clone(&finished))));
    assert_eq!(sink.records_dropped(), 1);
    assert_eq!(finished.load(Ordering::Relaxed), 4_000);
}
