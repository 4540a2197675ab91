//! The pieces every end-to-end test uses: the real `moat` binary started in a temp dir on port 0, an echoing
//! upstream on port 0 in this process, HTTP/1.1, HTTP/2, TLS and raw-TCP clients, and test certificates.
//!
//! Nothing here binds a fixed port or writes into the source tree.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Upper bound for any single client operation, so a hung gateway fails a test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------------------------
// The moat process
// ---------------------------------------------------------------------------------------------------------------

/// How many `moat` processes may run at once: the machine has 2 cores and several tests measure time.
const MAX_CONCURRENT_MOATS: usize = 3;

static SLOTS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// A slot among [`MAX_CONCURRENT_MOATS`], released on drop.
struct Slot;

impl Slot {
    fn acquire() -> Slot {
        let (lock, cvar) = &SLOTS;
        let mut used = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while *used >= MAX_CONCURRENT_MOATS {
            used = cvar.wait(used).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *used += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (lock, cvar) = &SLOTS;
        let mut used = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *used -= 1;
        cvar.notify_one();
    }
}

/// One listener as announced by moat on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Listener {
    /// `true` for `https://`.
    pub tls: bool,
    /// The bound address.
    pub addr: SocketAddr,
}

/// A running `moat serve`, killed on drop. Its stderr (and stdout) is collected for failure messages.
pub struct Moat {
    child: Option<Child>,
    /// Listeners in config order.
    pub listeners: Vec<Listener>,
    output: Arc<Mutex<String>>,
    /// The threads copying the child's stdout and stderr into `output`; they end when the child exits.
    readers: Vec<std::thread::JoinHandle<()>>,
    dir: TempDir,
    _slot: Slot,
}

/// Path of the `moat` binary built for this test run.
pub fn moat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_moat")
}

impl Moat {
    /// Writes `yaml` (with `{dir}` replaced by the temp dir) to `<tmp>/moat.yaml` and starts moat on it.
    pub fn start(yaml: &str) -> Moat {
        Moat::start_in(tempdir(), yaml)
    }

    /// Like [`Moat::start`], in a temp dir the caller already filled (certificates).
    pub fn start_in(dir: TempDir, yaml: &str) -> Moat {
        Moat::start_with_env(dir, yaml, &[])
    }

    /// Like [`Moat::start_in`], with extra environment variables (the AWS environment of a moto server).
    pub fn start_with_env(dir: TempDir, yaml: &str, env: &[(&str, String)]) -> Moat {
        let yaml = yaml.replace("{dir}", &dir.path().display().to_string());
        let expected = count_listeners(&yaml);
        let config = dir.path().join("moat.yaml");
        std::fs::write(&config, &yaml).expect("write moat.yaml");
        let slot = Slot::acquire();
        let mut child = Command::new(moat_bin())
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--threads")
            .arg("2")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn moat");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let stderr = child.stderr.take().expect("stderr");
        let mut readers = Vec::new();
        {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    push_line(&output, "stderr", &line);
                    let _ = tx.send(line);
                }
            }));
        }
        let stdout = child.stdout.take().expect("stdout");
        {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                let mut stdout = stdout;
                let mut buf = [0u8; 8192];
                while let Ok(n) = stdout.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    push_line(&output, "stdout", String::from_utf8_lossy(&buf[..n]).trim_end());
                }
            }));
        }
        let mut moat = Moat {
            child: Some(child),
            listeners: Vec::new(),
            output,
            readers,
            dir,
            _slot: slot,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while moat.listeners.len() < expected {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(l) = parse_listening(&line) {
                        moat.listeners.push(l);
                    }
                }
                Err(_) => {
                    let status = moat.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
                    panic!(
                        "moat did not announce {expected} listener(s) within 10 s (got {}, exit status {status:?}); \
                         config:\n{yaml}\n(moat's output follows)",
                        moat.listeners.len(),
                    );
                }
            }
        }
        moat
    }

    /// The first listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.listeners[0].addr
    }

    /// The first plain-HTTP listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.listeners.iter().find(|l| !l.tls).expect("a plain listener").addr
    }

    /// The first TLS listener.
    pub fn https_addr(&self) -> SocketAddr {
        self.listeners.iter().find(|l| l.tls).expect("a TLS listener").addr
    }

    /// The temp dir moat runs in (`{dir}` in the config).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything moat wrote so far.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal (`TERM`, `INT`, `HUP`) with `kill(1)`.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{sig} failed");
    }

    /// Stops the process (SIGTERM, then SIGKILL after 20 s) and hands back its directory, so that another
    /// process can start on the same files (spool, logs).
    pub fn stop_keeping_dir(mut self) -> TempDir {
        self.signal("TERM");
        if self.wait_exit(Duration::from_secs(20)).is_none() {
            self.signal("KILL");
            let _ = self.wait_exit(Duration::from_secs(5));
        }
        self.take_dir()
    }

    /// Kills the process with SIGKILL (no shutdown at all) and hands back its directory.
    pub fn kill_keeping_dir(mut self) -> TempDir {
        self.signal("KILL");
        let _ = self.wait_exit(Duration::from_secs(5));
        self.take_dir()
    }

    fn take_dir(&mut self) -> TempDir {
        let placeholder = tempdir();
        std::mem::replace(&mut self.dir, placeholder)
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut().expect("running");
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                // The child's pipes are closed: once the readers have copied what was left in them,
                // `output` holds everything it printed.
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Moat {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- moat output ---\n{}\n--- end of moat output ---", self.output());
        }
    }
}

fn push_line(output: &Mutex<String>, stream: &str, line: &str) {
    let mut out = output.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    out.push_str(stream);
    out.push_str(": ");
    out.push_str(line);
    out.push('\n');
}

/// `moat: listening on http://127.0.0.1:PORT` -> the listener.
fn parse_listening(line: &str) -> Option<Listener> {
    let rest = line.split("listening on ").nth(1)?.trim();
    let (tls, hostport) = if let Some(h) = rest.strip_prefix("https://") {
        (true, h)
    } else {
        (false, rest.strip_prefix("http://")?)
    };
    let hostport = hostport.split(|c: char| c == '/' || c.is_whitespace()).next()?;
    Some(Listener {
        tls,
        addr: hostport.parse().ok()?,
    })
}

/// Listeners a config declares: `listen:` plus each `address:` under `listeners:`.
fn count_listeners(yaml: &str) -> usize {
    let mut n = 0;
    let mut in_listeners = false;
    for line in yaml.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if indent == 0 {
            in_listeners = t.starts_with("listeners:");
            if t.starts_with("listen:") {
                n += 1;
            }
            if in_listeners {
                n += t.matches("address:").count();
            }
        } else if in_listeners {
            n += t.matches("address:").count();
        }
    }
    n.max(1)
}

/// A fresh temp dir.
pub fn tempdir() -> TempDir {
    tempfile::Builder::new().prefix("moat-e2e-").tempdir().expect("tempdir")
}

/// Runs `moat check <file>`; returns (exit code, stderr + stdout).
pub fn moat_check(file: &Path) -> (i32, String) {
    let out = Command::new(moat_bin())
        .arg("check")
        .arg(file)
        .output()
        .expect("run moat check");
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    (out.status.code().unwrap_or(-1), text)
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------------------------

/// A test CA and leaf certificates for `a.example.test` and `b.example.test`, written as
/// `ca.pem`, `a.pem`, `a.key`, `b.pem`, `b.key`.
pub struct Certs {
    /// DER of the CA certificate.
    pub ca_der: Vec<u8>,
    /// DER of the `a.example.test` leaf.
    pub a_der: Vec<u8>,
    /// DER of the `b.example.test` leaf.
    pub b_der: Vec<u8>,
}

impl Certs {
    /// Generates and writes the certificates into `dir`.
    pub fn write(dir: &Path) -> Certs {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Moat e2e test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).expect("ca cert");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write ca");
        let leaf = |name: &str, file: &str| -> Vec<u8> {
            let key = KeyPair::generate().expect("leaf key");
            let mut params = CertificateParams::new(vec![name.to_string()]).expect("leaf params");
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.signed_by(&key, &ca, &ca_key).expect("leaf cert");
            std::fs::write(dir.join(format!("{file}.pem")), cert.pem()).expect("write cert");
            std::fs::write(dir.join(format!("{file}.key")), key.serialize_pem()).expect("write key");
            cert.der().to_vec()
        };
        let a_der = leaf("a.example.test", "a");
        let b_der = leaf("b.example.test", "b");
        Certs {
            ca_der: ca.der().to_vec(),
            a_der,
            b_der,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The upstream
// ---------------------------------------------------------------------------------------------------------------

/// A request the upstream received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers (lower-case names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// Body bytes received.
    pub body_len: usize,
    /// FNV-1a 64 of the body, hex.
    pub body_hash: String,
}

/// An echoing HTTP/1.1 upstream on 127.0.0.1:0, on its own thread and runtime; stopped on drop.
///
/// Every response is JSON: `{"upstream": name, "method", "path", "headers": {...}, "body_len", "body_hash"}`.
/// `/slow?ms=N` sleeps N ms first; `/stream` sends a chunked body in five slow pieces; `/status/N` answers N.
pub struct Upstream {
    /// Bound address.
    pub addr: SocketAddr,
    /// Name echoed as `"upstream"`.
    pub name: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Upstream {
    /// Starts an upstream called `name`.
    pub fn start(name: &str) -> Upstream {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let reqs = Arc::clone(&requests);
        let uname = name.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("upstream runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
                addr_tx.send(listener.local_addr().expect("addr")).expect("send addr");
                let mut shutdown_rx = shutdown_rx;
                loop {
                    tokio::select! {
                        _ = &mut shutdown_rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let reqs = Arc::clone(&reqs);
                            let uname = uname.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req| {
                                    upstream_handle(req, uname.clone(), Arc::clone(&reqs))
                                });
                                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                                    .serve_connection(TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
            rt.shutdown_background();
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).expect("upstream address");
        Upstream {
            addr,
            name: name.to_string(),
            requests,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn hostport(&self) -> String {
        self.addr.to_string()
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The last request received, waiting briefly for it.
    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("the upstream received no request")
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type BoxBody = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

async fn upstream_handle(
    req: Request<Incoming>,
    name: String,
    reqs: Arc<Mutex<Vec<Recorded>>>,
) -> Result<Response<BoxBody>, hyper::Error> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), ToString::to_string);
    let mut headers = BTreeMap::<String, String>::new();
    for (k, v) in req.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        headers
            .entry(k.as_str().to_string())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let uri_path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = req.into_body().collect().await?.to_bytes();
    let rec = Recorded {
        method,
        path,
        headers,
        body_len: body.len(),
        body_hash: fnv_hex(&body),
    };
    reqs.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(rec.clone());

    let echo = json!({
        "upstream": name,
        "method": rec.method,
        "path": rec.path,
        "headers": rec.headers,
        "body_len": rec.body_len,
        "body_hash": rec.body_hash,
    })
    .to_string();

    if uri_path.ends_with("/slow") {
        let ms = query_param(&query, "ms").and_then(|v| v.parse().ok()).unwrap_or(1000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if uri_path.ends_with("/stream") {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
        tokio::spawn(async move {
            for i in 0..5 {
                if tx.send(Bytes::from(format!("chunk {i}\n"))).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let body = ChanBody { rx };
        return Ok(Response::builder()
            .header("content-type", "text/plain")
            .header("x-upstream", name)
            .body(BodyExt::boxed(body))
            .expect("response"));
    }
    let status = uri_path
        .rsplit_once("/status/")
        .and_then(|(_, s)| s.parse::<u16>().ok())
        .unwrap_or(200);
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-upstream", name)
        .body(Full::new(Bytes::from(echo)).boxed())
        .expect("response"))
}

/// A body fed from a channel, one data frame per message (for the slow `/stream` response).
pub struct ChanBody {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChanBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// FNV-1a 64-bit of `data`, as 16 hex digits.
pub fn fnv_hex(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// An address nothing listens on: bind port 0, then drop the listener.
pub fn dead_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    drop(l);
    a
}

// ---------------------------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------------------------

/// A response read to its end.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// Protocol version.
    pub version: Version,
}

impl Resp {
    /// Status as a number.
    pub fn code(&self) -> u16 {
        self.status.as_u16()
    }

    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): status {} body {:?}",
                self.status,
                self.text()
            )
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `x-amzn-RequestId`, asserting it is present and a UUID.
    pub fn request_id(&self) -> String {
        let id = self
            .header("x-amzn-requestid")
            .unwrap_or_else(|| panic!("no x-amzn-RequestId on response {} {:?}", self.status, self.headers));
        assert!(is_uuid(id), "x-amzn-RequestId {id:?} is not a UUID");
        id.to_string()
    }

    /// Asserts a REST API response's id fields: `x-amzn-RequestId` (a UUID), `x-amz-apigw-id` and an
    /// `X-Amzn-Trace-Id` root, and no `apigw-requestid`.
    pub fn assert_aws_ids(&self) {
        self.request_id();
        let ext = self
            .header("x-amz-apigw-id")
            .unwrap_or_else(|| panic!("no x-amz-apigw-id on response {} {:?}", self.status, self.headers));
        assert!(!ext.is_empty(), "empty x-amz-apigw-id");
        let trace = self.header("x-amzn-trace-id").unwrap_or_default();
        assert!(
            trace_root(trace).is_some(),
            "X-Amzn-Trace-Id {trace:?} on a REST API response"
        );
        assert_eq!(
            self.header("apigw-requestid"),
            None,
            "apigw-requestid on a REST API response"
        );
    }

    /// Asserts an HTTP API response's id fields: `apigw-requestid` and `x-amzn-RequestId`, the same UUID,
    /// and neither `x-amz-apigw-id` nor `X-Amzn-Trace-Id` (AWS's HTTP APIs send `apigw-requestid` alone).
    pub fn assert_http_api_ids(&self) {
        let id = self.request_id();
        assert_eq!(self.header("apigw-requestid"), Some(id.as_str()), "{:?}", self.headers);
        for absent in ["x-amz-apigw-id", "x-amzn-trace-id"] {
            assert_eq!(
                self.header(absent),
                None,
                "{absent} on an HTTP API response: {:?}",
                self.headers
            );
        }
    }
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Builds a request for an HTTP/1.1 connection: origin-form URI and a `Host` header.
pub fn req(method: &str, host: &str, path: &str) -> ReqBuilder {
    ReqBuilder {
        method: method.to_string(),
        host: host.to_string(),
        path: path.to_string(),
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

/// A request under construction.
#[derive(Clone)]
pub struct ReqBuilder {
    method: String,
    host: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl ReqBuilder {
    /// Adds a header.
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, b: impl Into<Bytes>) -> Self {
        self.body = b.into();
        self
    }

    fn build(self, absolute: Option<&str>) -> Request<Full<Bytes>> {
        let uri = match absolute {
            Some(scheme) => format!("{scheme}://{}{}", self.host, self.path),
            None => self.path.clone(),
        };
        let mut b = Request::builder()
            .method(Method::from_bytes(self.method.as_bytes()).expect("method"))
            .uri(uri);
        if absolute.is_none() {
            b = b.header("host", &self.host);
        }
        for (k, v) in &self.headers {
            b = b.header(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        b.body(Full::new(self.body)).expect("request")
    }
}

/// One HTTP/1.1 keep-alive connection.
pub struct H1 {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl H1 {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> H1 {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        H1::handshake(stream).await
    }

    /// HTTP/1.1 over any stream (TLS).
    pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: S) -> H1 {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .expect("h1 handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        H1 { sender }
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&mut self, r: ReqBuilder) -> Resp {
        self.try_send(r).await.unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// Like [`H1::send`], returning errors.
    pub async fn try_send(&mut self, r: ReqBuilder) -> Result<Resp, String> {
        let fut = async {
            self.sender
                .ready()
                .await
                .map_err(|e| format!("connection not ready: {e}"))?;
            let resp = self
                .sender
                .send_request(r.build(None))
                .await
                .map_err(|e| format!("send: {e}"))?;
            read_resp(resp).await
        };
        tokio::time::timeout(IO_TIMEOUT, fut)
            .await
            .map_err(|_| "timed out".to_string())?
    }
}

async fn read_resp(resp: Response<Incoming>) -> Result<Resp, String> {
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
    Ok(Resp {
        status: parts.status,
        headers: parts.headers,
        body,
        version: parts.version,
    })
}

/// One request on a new HTTP/1.1 connection.
pub async fn send(addr: SocketAddr, r: ReqBuilder) -> Resp {
    H1::connect(addr).await.send(r).await
}

/// `GET path` with `Host: 127.0.0.1:PORT` on a new connection.
pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    send(addr, req("GET", &addr.to_string(), path)).await
}

/// One HTTP/2 connection.
pub struct H2 {
    sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    scheme: &'static str,
}

impl H2 {
    /// h2c with prior knowledge over plain TCP.
    pub async fn connect_h2c(addr: SocketAddr) -> H2 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        H2::handshake(stream, "http").await
    }

    /// HTTP/2 over any stream.
    pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: S, scheme: &'static str) -> H2 {
        let (sender, conn) = tokio::time::timeout(
            IO_TIMEOUT,
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io)),
        )
        .await
        .expect("h2 handshake timed out")
        .expect("h2 handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        H2 { sender, scheme }
    }

    /// Sends a request (authority from the builder's host) and reads the whole response.
    pub async fn send(&mut self, r: ReqBuilder) -> Result<Resp, String> {
        let req = r.build(Some(self.scheme));
        let mut sender = self.sender.clone();
        let fut = async move {
            sender.ready().await.map_err(|e| format!("not ready: {e}"))?;
            let resp = sender.send_request(req).await.map_err(|e| format!("send: {e:?}"))?;
            read_resp(resp).await
        };
        tokio::time::timeout(IO_TIMEOUT, fut)
            .await
            .map_err(|_| "timed out".to_string())?
    }

    /// A clone usable from another task.
    pub fn clone_handle(&self) -> H2 {
        H2 {
            sender: self.sender.clone(),
            scheme: self.scheme,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------------------------

/// What a TLS handshake negotiated.
#[derive(Debug)]
pub struct TlsInfo {
    /// DER of the server's leaf certificate.
    pub peer_cert: Vec<u8>,
    /// Negotiated ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    /// Negotiated version.
    pub version: Option<rustls::ProtocolVersion>,
}

/// Client settings for [`tls_connect`].
pub struct TlsOpts<'a> {
    /// SNI name (and the name the certificate is verified against).
    pub sni: &'a str,
    /// Trusted CA (DER); `None` accepts any certificate, so a failure can only come from the server.
    pub ca: Option<&'a [u8]>,
    /// ALPN protocols to offer.
    pub alpn: &'a [&'a [u8]],
    /// Protocol versions to offer.
    pub versions: &'a [&'static rustls::SupportedProtocolVersion],
}

/// TLS 1.2 and 1.3.
pub static ALL_VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Connects with TLS; returns the stream and what was negotiated, or the handshake error.
pub async fn tls_connect(
    addr: SocketAddr,
    opts: &TlsOpts<'_>,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, TlsInfo), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(opts.versions)
        .map_err(|e| e.to_string())?;
    let mut config = match opts.ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(rustls::pki_types::CertificateDer::from(ca.to_vec()))
                .map_err(|e| e.to_string())?;
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert))
            .with_no_client_auth(),
    };
    config.alpn_protocols = opts.alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from(opts.sni.to_string()).map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("tcp connect: {e}"))?;
    let tls = tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp))
        .await
        .map_err(|_| "TLS handshake timed out".to_string())?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let (_, conn) = tls.get_ref();
    let info = TlsInfo {
        peer_cert: conn
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .unwrap_or_default(),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        version: conn.protocol_version(),
    };
    Ok((tls, info))
}

/// Accepts every server certificate (used to prove a failure is the server's refusal, not the client's).
#[derive(Debug)]
struct AcceptAnyCert;

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A hand-made ClientHello whose highest version is `version` (`0x0302` = TLS 1.1, `0x0303` = TLS 1.2).
pub fn client_hello(version: u16, sni: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(version.to_be_bytes());
    body.extend([0x42u8; 32]); // random
    body.push(0); // session id
    let suites: [u16; 10] = [
        0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0x002f, 0x0035,
    ];
    body.extend(u16::try_from(suites.len() * 2).expect("len").to_be_bytes());
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]); // compression: null
    let mut exts = Vec::new();
    let name = sni.as_bytes();
    let name_len = u16::try_from(name.len()).expect("sni");
    // server_name
    exts.extend(0u16.to_be_bytes());
    exts.extend((name_len + 5).to_be_bytes());
    exts.extend((name_len + 3).to_be_bytes());
    exts.push(0);
    exts.extend(name_len.to_be_bytes());
    exts.extend(name);
    // supported_groups: x25519, secp256r1, secp384r1
    exts.extend([0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
    // ec_point_formats: uncompressed
    exts.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp384r1_sha384
    exts.extend([
        0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    ]);
    // renegotiation_info (empty)
    exts.extend([0xff, 0x01, 0x00, 0x01, 0x00]);
    body.extend(u16::try_from(exts.len()).expect("exts").to_be_bytes());
    body.extend(exts);
    let mut hs = vec![1u8];
    hs.extend(&u32::try_from(body.len()).expect("len").to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend(u16::try_from(hs.len()).expect("len").to_be_bytes());
    rec.extend(hs);
    rec
}

// ---------------------------------------------------------------------------------------------------------------
// Raw TCP
// ---------------------------------------------------------------------------------------------------------------

/// What reading from a raw connection produced.
#[derive(Debug)]
pub enum ReadOutcome {
    /// Bytes (possibly a full response).
    Data(Vec<u8>),
    /// Orderly close before any byte.
    Eof,
    /// Reset or other error.
    Error(std::io::ErrorKind),
    /// Nothing within the timeout.
    Timeout,
}

impl ReadOutcome {
    /// The HTTP status code if the data starts with a status line.
    pub fn status(&self) -> Option<u16> {
        match self {
            ReadOutcome::Data(d) => {
                let s = String::from_utf8_lossy(d);
                let line = s.lines().next()?;
                let mut it = line.split_whitespace();
                it.next().filter(|v| v.starts_with("HTTP/"))?;
                it.next()?.parse().ok()
            }
            _ => None,
        }
    }

    /// The data as text.
    pub fn text(&self) -> String {
        match self {
            ReadOutcome::Data(d) => String::from_utf8_lossy(d).into_owned(),
            other => format!("{other:?}"),
        }
    }
}

/// Reads whatever arrives first (waiting up to `timeout`), then keeps reading for up to 300 ms more to collect
/// a whole small response.
pub async fn read_some<S: AsyncRead + Unpin>(s: &mut S, timeout: Duration) -> ReadOutcome {
    let mut buf = vec![0u8; 65536];
    let first = match tokio::time::timeout(timeout, s.read(&mut buf)).await {
        Err(_) => return ReadOutcome::Timeout,
        Ok(Err(e)) => return ReadOutcome::Error(e.kind()),
        Ok(Ok(0)) => return ReadOutcome::Eof,
        Ok(Ok(n)) => n,
    };
    let mut data = buf[..first].to_vec();
    let deadline = Instant::now() + Duration::from_millis(300);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || response_complete(&data) {
            break;
        }
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => data.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    ReadOutcome::Data(data)
}

/// Whether `data` holds a complete response with a Content-Length body.
fn response_complete(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let Some(end) = text.find("\r\n\r\n") else { return false };
    let head = text[..end].to_ascii_lowercase();
    let len = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
    });
    match len {
        Some(n) => data.len() >= end + 4 + n,
        None => false,
    }
}

/// Reads until the peer closes (EOF or error) or `timeout`; returns how long it took, or `None` on timeout.
pub async fn wait_closed<S: AsyncRead + Unpin>(s: &mut S, timeout: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = vec![0u8; 65536];
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// A raw TCP connection.
pub async fn tcp(addr: SocketAddr) -> TcpStream {
    tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
        .await
        .expect("connect timed out")
        .expect("connect")
}

/// Writes all of `data`, ignoring errors (the peer may have closed on purpose).
pub async fn write_quiet<S: AsyncWrite + Unpin>(s: &mut S, data: &[u8]) -> bool {
    s.write_all(data).await.is_ok() && s.flush().await.is_ok()
}

// ---------------------------------------------------------------------------------------------------------------
// Log files
// ---------------------------------------------------------------------------------------------------------------

/// Polls `path` until it has at least `n` lines or `timeout` passes; returns the lines.
pub fn wait_lines(path: &Path, n: usize, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        if lines.len() >= n || Instant::now() >= deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Parses each line as JSON, panicking with the line when one is not.
pub fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("access-log line is not JSON ({e}): {l}")))
        .collect()
}

/// A JSON field as text whether it was written as a string or a number.
pub fn field(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A path under `dir` as text for configs.
pub fn p(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The access-log format the tests use: AWS's JSON example plus the fields the tests assert on.
pub const TEST_LOG_FORMAT: &str = r#"'{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","httpMethod":"$context.httpMethod","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","isCanaryRequest":"$context.isCanaryRequest","stage":"$context.stage"}'"#;

/// Checks `Root=1-{8 hex}-{24 hex}` and returns the root.
pub fn trace_root(header: &str) -> Option<String> {
    let root = header.split(';').find_map(|p| p.trim().strip_prefix("Root="))?;
    let parts: Vec<&str> = root.split('-').collect();
    let ok = parts.len() == 3
        && parts[0] == "1"
        && parts[1].len() == 8
        && parts[2].len() == 24
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    ok.then(|| root.to_string())
}

/// The AWS SDK configuration that points a test's own client at `moto` (its endpoint, region and
/// test credentials).
pub async fn moto_sdk_config(moto: &moat_testkit::MotoServer) -> aws_config::SdkConfig {
    use moat_telemetry::aws::{sdk_config, AwsSettings, StaticCredentials};
    sdk_config(&AwsSettings {
        region: Some(moat_testkit::MOTO_REGION.to_owned()),
        endpoint_url: Some(moto.endpoint()),
        static_credentials: Some(StaticCredentials {
            access_key_id: moat_testkit::MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: moat_testkit::MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await
}
