#![allow(clippy::unwrap_used)]

use std::fs::{self, OpenOptions};
use std::io::Write;

use super::*;

fn config(dir: &Path) -> SpoolConfig {
    SpoolConfig {
        dir: dir.to_path_buf(),
        max_bytes: 1 << 20,
        segment_bytes: 4096,
        fsync: false,
    }
}

fn rec(i: usize) -> Record {
    Record::new(i as i64, format!("record-{i:05}-{}", "x".repeat(i % 50)))
}

fn records(range: std::ops::Range<usize>) -> Vec<Record> {
    range.map(rec).collect()
}

/// Reads everything left, committing as it goes.
fn drain(spool: &mut Spool) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        let got = spool.read(37, 1 << 20);
        let Some((_, end)) = got.last() else { break };
        let end = *end;
        let n = got.len() as u64;
        out.extend(got.into_iter().map(|(r, _)| r));
        spool.commit(end, n).unwrap();
    }
    out
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn appends_read_back_in_order_across_segments_and_commit_frees_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, rec0) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(rec0, Recovered::default());
    let input = records(0..500);
    let a = spool.append(&input);
    assert!(a.error.is_none());
    assert_eq!(a.written, 500);
    assert!(segment_files(dir.path()).len() > 3, "4 KiB segments roll");
    assert_eq!(spool.records(), 500);
    let first = spool.read(100, 1 << 20);
    assert_eq!(first.len(), 100);
    let end = first[99].1;
    spool.commit(end, 100).unwrap();
    assert_eq!(spool.records(), 400);
    assert!(
        segment_files(dir.path())[0] != segment_path(dir.path(), 0),
        "the first segment is deleted"
    );
    let rest = drain(&mut spool);
    let all: Vec<Record> = first.into_iter().map(|(r, _)| r).chain(rest).collect();
    assert_eq!(all, input);
    assert!(spool.is_empty());
    assert_eq!(spool.bytes(), 0);
    assert!(segment_files(dir.path()).is_empty(), "a drained spool takes no space");
    // Appending after a full drain starts a fresh segment that reads back.
    spool.append(&records(500..510));
    assert_eq!(drain(&mut spool), records(500..510));
}

#[test]
fn reopening_resumes_at_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let input = records(0..300);
    {
        let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
        spool.append(&input);
        let got = spool.read(120, 1 << 20);
        spool.commit(got.last().unwrap().1, 120).unwrap();
        // Read but not committed: must come back after a restart.
        let _ = spool.read(50, 1 << 20);
    }
    let (mut spool, recovered) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(recovered.records, 180);
    assert_eq!(recovered.truncated_bytes, 0);
    assert!(!recovered.cursor_corrupt);
    spool.append(&records(300..310));
    let mut expected = input[120..].to_vec();
    expected.extend(records(300..310));
    assert_eq!(drain(&mut spool), expected);
}

#[test]
fn a_torn_tail_is_cut_off_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
        spool.append(&records(0..20));
    }
    let last = segment_files(dir.path()).pop().unwrap();
    let len = fs::metadata(&last).unwrap().len();
    // Half a frame, as a crash in the middle of an append leaves it.
    let mut torn = Vec::new();
    encode_frame(&mut torn, &rec(20));
    OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap()
        .write_all(&torn[..torn.len() / 2])
        .unwrap();
    let (mut spool, recovered) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(recovered.records, 20);
    assert_eq!(recovered.truncated_bytes, (torn.len() / 2) as u64);
    assert_eq!(
        fs::metadata(&last).unwrap().len(),
        len,
        "the file is cut back to its last whole frame"
    );
    spool.append(&records(21..25));
    let mut expected = records(0..20);
    expected.extend(records(21..25));
    assert_eq!(drain(&mut spool), expected);
}

#[test]
fn a_corrupt_frame_cuts_its_segment_there_and_later_segments_survive() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
        spool.append(&records(0..200));
    }
    let segs = segment_files(dir.path());
    assert!(segs.len() >= 3);
    // Flip a payload byte of the third frame of the first segment.
    let mut bytes = fs::read(&segs[0]).unwrap();
    let mut offset = 0usize;
    for _ in 0..2 {
        let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        offset += 16 + len;
    }
    let third_start = offset;
    bytes[third_start + 20] ^= 0xff;
    fs::write(&segs[0], &bytes).unwrap();
    let first_seg_records = {
        let mut n = 0;
        let mut off = 0usize;
        while off < bytes.len() {
            let len = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
            off += 16 + len;
            n += 1;
        }
        n
    };
    let (mut spool, recovered) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(recovered.truncated_bytes, (bytes.len() - third_start) as u64);
    assert_eq!(recovered.records, 200 - (first_seg_records - 2) as u64);
    let got = drain(&mut spool);
    let mut expected = records(0..2);
    expected.extend(records(first_seg_records..200));
    assert_eq!(got, expected);
}

#[test]
fn garbage_lengths_and_short_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path()).unwrap();
    fs::write(segment_path(dir.path(), 0), [0xffu8; 40]).unwrap();
    fs::write(segment_path(dir.path(), 1), [1u8, 0, 0]).unwrap();
    fs::write(dir.path().join("not-a-segment.seg"), b"ignored").unwrap();
    let (mut spool, recovered) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(recovered.records, 0);
    assert_eq!(recovered.truncated_bytes, 43);
    assert!(drain(&mut spool).is_empty());
    spool.append(&records(0..3));
    assert_eq!(drain(&mut spool), records(0..3));
}

#[test]
fn a_corrupt_cursor_replays_from_the_oldest_segment() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
        spool.append(&records(0..10));
        let got = spool.read(4, 1 << 20);
        spool.commit(got.last().unwrap().1, 4).unwrap();
    }
    let cursor = dir.path().join(CURSOR_FILE);
    let mut bytes = fs::read(&cursor).unwrap();
    bytes[13] ^= 1;
    fs::write(&cursor, &bytes).unwrap();
    let (mut spool, recovered) = Spool::open(config(dir.path())).unwrap();
    assert!(recovered.cursor_corrupt);
    assert_eq!(
        drain(&mut spool),
        records(0..10),
        "at-least-once: delivered records come again"
    );
}

#[test]
fn max_bytes_keeps_a_prefix_and_refuses_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SpoolConfig {
        max_bytes: 8192,
        ..config(dir.path())
    };
    let (mut spool, _) = Spool::open(cfg).unwrap();
    let input: Vec<Record> = (0..200).map(|i| Record::new(i, vec![b'a'; 84])).collect();
    let a = spool.append(&input);
    assert!(a.error.is_none());
    assert_eq!(a.written, 8192 / 100);
    assert!(spool.bytes() <= 8192);
    assert_eq!(spool.append(&input[a.written..]).written, 0, "still full");
    assert_eq!(drain(&mut spool), input[..a.written].to_vec());
    assert_eq!(
        spool.append(&input[a.written..]).written,
        a.written,
        "room again once delivered"
    );
}

#[test]
fn validate_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let ok = config(dir.path());
    assert!(ok.validate().is_ok());
    assert!(SpoolConfig::new(dir.path()).validate().is_ok());
    let e = SpoolConfig {
        segment_bytes: 100,
        ..ok.clone()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.field, "spool.segment_bytes");
    let e = SpoolConfig {
        max_bytes: 5000,
        ..ok.clone()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.field, "spool.max_bytes");
    let e = SpoolConfig {
        dir: PathBuf::new(),
        ..ok
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.field, "spool.dir");
}
