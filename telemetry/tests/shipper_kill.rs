//! kill -9 while spooling: a child process (this test binary, re-run with an environment variable)
//! pushes records while its endpoint is down and reports how far its spool got; the test SIGKILLs it
//! mid-stream, then a new shipper on the same spool directory must deliver every record the child
//! reported spooled, in order, each once.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{assert_sequence, limits, rec, Control, Mode};
use moat_telemetry::shipper::{RetryPolicy, Shipper, ShipperConfig};
use moat_telemetry::spool::SpoolConfig;

const CHILD_DIR: &str = "MOAT_TEST_SHIPPER_KILL_CHILD_DIR";
const TEST_NAME: &str = "a_sigkilled_shipper_delivers_its_spool_after_restart";

fn config(dir: &Path) -> ShipperConfig {
    ShipperConfig {
        memory_records: 256,
        memory_bytes: 1 << 20,
        spool: Some(SpoolConfig {
            dir: dir.to_path_buf(),
            max_bytes: 64 << 20,
            segment_bytes: 64 << 10,
            fsync: false,
        }),
        flush_interval: Duration::from_millis(20),
        retry: RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            multiplier: 2.0,
            full_jitter: true,
        },
        send_timeout: Duration::from_secs(1),
    }
}

/// Kills the child if the test fails before it does.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_sigkilled_shipper_delivers_its_spool_after_restart() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Reaper(child);
    let stdout = child.0.stdout.take().unwrap();
    // Read the child's reports on a thread that keeps draining the pipe, so the child never blocks on
    // (or dies of) a full or closed stdout before the kill.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("spooled ") {
                let _ = tx.send(n.trim().parse::<u64>().unwrap());
            }
        }
    });
    let mut spooled = 0u64;
    while spooled < 20_000 {
        spooled = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the child stopped reporting after {spooled} records"));
    }
    assert!(spooled >= 20_000, "the child stopped early after {spooled} records");
    // SIGKILL while it keeps pushing and spooling, at a point that varies from run to run.
    std::thread::sleep(Duration::from_millis(fastrand::u64(5..60)));
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the child must still be running when killed"
    );
    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "killed, not finished: {status:?}");
    while let Ok(n) = rx.try_recv() {
        spooled = n;
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let control = Control::new(Mode::Accept);
        let h = Shipper::spawn(control.sink(limits()), config(dir.path()), &tokio::runtime::Handle::current()).unwrap();
        let recovered = h.stats().spool_records;
        assert!(recovered >= spooled, "the spool holds {recovered} records, the child spooled {spooled}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while (control.received().len() as u64) < recovered {
            assert!(tokio::time::Instant::now() < deadline, "delivered only {}", control.received().len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        h.flush(Duration::from_secs(10)).await.unwrap();
        let got = control.received();
        assert!(got.len() as u64 >= spooled);
        assert_sequence(&got, 0, got.len() as u64);
        assert!(control.violations().is_empty(), "{:?}", control.violations());
        let s = h.shutdown(Duration::from_secs(1)).await;
        assert_eq!(s.spool_records, 0);
        eprintln!(
            "child reported {spooled} spooled; the restarted shipper found {recovered} and delivered {}, cutting {} torn bytes",
            got.len(),
            s.spool_truncated_bytes
        );
    });
}

/// The child: the endpoint is down; push, flush (so the records are in the spool files), report, repeat
/// until killed.
fn child(dir: &Path) -> ! {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let control = Control::new(Mode::Fail);
        let h = Shipper::spawn(control.sink(limits()), config(dir), &tokio::runtime::Handle::current()).unwrap();
        let mut next = 0u64;
        let mut out = std::io::stdout();
        loop {
            for _ in 0..8 {
                while h.stats().queued_records > 128 {
                    tokio::time::sleep(Duration::from_micros(100)).await;
                }
                let end = next + 64;
                assert_eq!(h.push_batch((next..end).map(rec)), 64);
                next = end;
            }
            h.flush(Duration::from_secs(30)).await.unwrap();
            assert_eq!(h.stats().dropped.total(), 0);
            writeln!(out, "spooled {next}").unwrap();
            out.flush().unwrap();
        }
    })
}
