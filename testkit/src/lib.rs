//! Test support shared by Moat's crates: real servers started on free loopback ports, stopped on drop.
//!
//! [`MotoServer`] runs `moto_server` (PyPI `moto[server]`, installed by `scripts/test.sh`), the AWS API
//! emulator that the CloudWatch Logs, X-Ray and CloudWatch tests talk to through the real AWS SDK for Rust.
//! Nothing here fakes an AWS API: a test that needs one starts the real emulator, and fails (never skips)
//! when it is not installed. [`otlp::OtlpReceiver`] is a real OTLP server (gRPC and HTTP/protobuf) on the
//! official proto definitions, for the OpenTelemetry exporter's tests.
#![deny(missing_docs)]
// Test support: a server that cannot start is a failed test, and panicking says why.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod otlp;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The region every test client uses against moto.
pub const MOTO_REGION: &str = "us-east-1";
/// Moto accepts any credentials; these are the ones the tests send.
pub const MOTO_ACCESS_KEY_ID: &str = "testing";
/// The secret that goes with [`MOTO_ACCESS_KEY_ID`].
pub const MOTO_SECRET_ACCESS_KEY: &str = "testing";

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
#[must_use]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// One `moto_server` process on a free loopback port; killed when dropped.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    paused: bool,
}

impl MotoServer {
    /// Starts `moto_server` (the `MOTO_SERVER` environment variable names another executable) on a
    /// free port and waits until it answers HTTP.
    ///
    /// # Panics
    /// When moto is not installed (the message says how to install it) or does not answer in 60 s.
    #[must_use]
    pub fn start() -> MotoServer {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".to_owned());
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("moat-moto-{}-{port}.log", std::process::id()));
            let log_file = std::fs::File::create(&log).expect("create the moto log file");
            let child = Command::new(&program)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone the log handle"))
                .stderr(log_file)
                .spawn();
            let child = match child {
                Ok(child) => child,
                Err(e) => panic!(
                    "cannot run `{program}` ({e}): install it with `pip install 'moto[server]'` \
                     (scripts/test.sh does this), or point MOTO_SERVER at it"
                ),
            };
            let mut server = MotoServer {
                child,
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                log,
                paused: false,
            };
            match server.wait_ready(Duration::from_secs(60)) {
                Ok(()) => return server,
                Err(e) => last_error = format!("{e}; moto's output:\n{}", server.output()),
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("moto_server exited with {status}"));
            }
            if self.answers() {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!("moto_server did not answer on {} within {limit:?}", self.addr));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether moto answers an HTTP request within a second.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream
            .write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
    }

    /// The endpoint URL to give an SDK client or `AWS_ENDPOINT_URL`: `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address moto listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The standard AWS environment that points a process (`moat`, the `aws` CLI) at this server.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", MOTO_REGION.to_owned()),
            ("AWS_DEFAULT_REGION", MOTO_REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", MOTO_ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", MOTO_SECRET_ACCESS_KEY.to_owned()),
            // No profile files or instance metadata: only the environment above.
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel but never answered, as an
    /// endpoint that hangs. [`MotoServer::resume`] thaws it with its state intact.
    pub fn pause(&mut self) {
        self.signal("STOP");
        self.paused = true;
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&mut self) {
        self.signal("CONT");
        self.paused = false;
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.child.id());
    }

    /// What moto printed so far (its request log), for failure messages.
    #[must_use]
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if self.paused {
            self.resume();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
