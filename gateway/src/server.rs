//! Sockets, TLS and HTTP: thread-per-core workers, each a current-thread tokio runtime with its own
//! `SO_REUSEPORT` listeners and its own pooled integration client (the model nginx and HAProxy use), plus
//! connection limits, idle timeouts and graceful drain on SIGTERM/SIGINT.

use std::future::Future as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::body::{ClientBody, GatewayBody};
use crate::conn_watch::{self, Verdict, Watched};
use crate::h1_server::{self, ClientStream};
use crate::http_conn::{sniff_http2, HttpBuilders};
use crate::integration::deadline::Deadlines;
use crate::integration::upstream::{PoolSettings, UpstreamPool};
use crate::pipeline::{self, now_ms, ConnInfo, Worker};
use crate::runtime::Gateway;

/// Idle keep-alive connections kept per integration endpoint and worker.
const UPSTREAM_MAX_IDLE: usize = 1024;
/// Idle integration connections older than this are not reused, and are closed within half as long again
/// (below common server keep-alive timeouts).
const UPSTREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed to open a TCP connection to an integration endpoint.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Kernel accept backlog of each listening socket.
const BACKLOG: i32 = 4096;

fn bind(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Binds every listener once per worker (the first bind picks the port when the config says `:0`).
fn bind_all(gateway: &Gateway) -> anyhow::Result<Vec<Vec<std::net::TcpListener>>> {
    let mut per_worker: Vec<Vec<std::net::TcpListener>> = (0..gateway.threads).map(|_| Vec::new()).collect();
    for spec in &gateway.listeners {
        let first = bind(spec.address).with_context(|| format!("cannot listen on {}", spec.address))?;
        let actual = first.local_addr()?;
        let scheme = if spec.tls { "https" } else { "http" };
        eprintln!("moat: listening on {scheme}://{actual}");
        if let Some(path) = example_path(gateway) {
            eprintln!("moat: try: curl -i {scheme}://{actual}{path}");
        }
        let mut sockets = vec![first];
        for _ in 1..gateway.threads {
            sockets.push(bind(actual).with_context(|| format!("cannot listen on {actual}"))?);
        }
        for (worker, socket) in per_worker.iter_mut().zip(sockets) {
            worker.push(socket);
        }
    }
    Ok(per_worker)
}

/// A path a newcomer can request: the first stage's first parameterless GET route.
fn example_path(gateway: &Gateway) -> Option<String> {
    let api = gateway.apis.first()?;
    let mut stages: Vec<_> = api.stages.values().collect();
    stages.sort_by(|a, b| a.name.cmp(&b.name));
    let stage = stages.first()?;
    let (key, _) = stage.main.routes.iter().find(|(key, _)| {
        key.method.as_ref().is_some_and(|m| m == http::Method::GET) && key.param_names().next().is_none()
    })?;
    let prefix = if &*stage.name == "$default" {
        String::new()
    } else {
        format!("/{}", stage.name)
    };
    Some(format!("{prefix}{}", key.resource_path))
}

/// Live connections of the whole process, so drain can wait for them.
struct Drain {
    live: AtomicUsize,
    idle: Notify,
}

/// Serves until SIGTERM or SIGINT, then drains in-flight requests (bounded by the grace period).
///
/// # Errors
/// When a listener cannot be bound or a runtime cannot start.
pub fn run(gateway: Arc<Gateway>) -> anyhow::Result<()> {
    let sockets = bind_all(&gateway)?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(gateway.limits.max_connections));
    let drain = Arc::new(Drain {
        live: AtomicUsize::new(0),
        idle: Notify::new(),
    });
    let mut threads = Vec::new();
    for (index, listeners) in sockets.into_iter().enumerate() {
        let gateway = Arc::clone(&gateway);
        let shutdown = shutdown_rx.clone();
        let permits = Arc::clone(&permits);
        let drain = Arc::clone(&drain);
        let handle = std::thread::Builder::new()
            .name(format!("moat-worker-{index}"))
            .spawn(move || worker_main(gateway, listeners, shutdown, permits, drain))
            .context("cannot start a worker thread")?;
        threads.push(handle);
    }
    let signals = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    signals.block_on(async {
        wait_for_signal().await;
        eprintln!(
            "moat: shutting down, draining in-flight requests (grace period {:?})",
            gateway.grace_period
        );
        let _ = shutdown_tx.send(true);
        let deadline = tokio::time::sleep(gateway.grace_period);
        tokio::pin!(deadline);
        loop {
            if drain.live.load(Ordering::Acquire) == 0 {
                break;
            }
            tokio::select! {
                () = drain.idle.notified() => {}
                () = &mut deadline => {
                    eprintln!("moat: grace period over, closing {} connection(s)", drain.live.load(Ordering::Acquire));
                    break;
                }
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    });
    for thread in threads {
        let _ = thread.join();
    }
    flush_logs(&gateway);
    // Shippers go last: flushing the log sinks above handed them the final lines.
    if let Some(hub) = &gateway.telemetry {
        hub.shutdown();
    }
    Ok(())
}

/// Drains every log sink of every stage (a sink shared by stages is flushed more than once, harmlessly).
fn flush_logs(gateway: &Gateway) {
    for stage in gateway.apis.iter().flat_map(|api| api.stages.values()) {
        stage.logging.flush();
        let waf_sink = stage
            .waf
            .as_ref()
            .and_then(|w| w.log.as_ref())
            .and_then(|l| l.sink.as_ref());
        if let Some(sink) = waf_sink {
            if let Err(e) = sink.flush_and_close() {
                eprintln!("moat: flushing {}: {e}", sink.destination());
            }
        }
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn worker_main(
    gateway: Arc<Gateway>,
    listeners: Vec<std::net::TcpListener>,
    shutdown: watch::Receiver<bool>,
    permits: Arc<Semaphore>,
    drain: Arc<Drain>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("moat: cannot start a worker runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let worker = Arc::new(Worker {
            gateway: Arc::clone(&gateway),
            upstream: UpstreamPool::new(PoolSettings {
                max_idle_per_endpoint: UPSTREAM_MAX_IDLE,
                idle_timeout: UPSTREAM_IDLE_TIMEOUT,
                connect_timeout: UPSTREAM_CONNECT_TIMEOUT,
                max_response_head_bytes: gateway.limits.max_response_header_bytes,
            }),
            deadlines: Deadlines::new(),
        });
        tokio::spawn(Arc::clone(&worker.deadlines).sweep());
        tokio::spawn(Arc::clone(&worker.upstream).reap_idle_periodically());
        let builder = Arc::new(HttpBuilders::new(&gateway.limits));
        let tls = gateway.tls.clone().map(TlsAcceptor::from);
        let mut accept_loops = Vec::new();
        for (spec, listener) in gateway.listeners.iter().zip(listeners) {
            let listener = match TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(e) => {
                    eprintln!("moat: listener {}: {e}", spec.address);
                    continue;
                }
            };
            let acceptor = if spec.tls { tls.clone() } else { None };
            accept_loops.push(tokio::spawn(accept_loop(
                listener,
                acceptor,
                Arc::clone(&worker),
                Arc::clone(&builder),
                shutdown.clone(),
                Arc::clone(&permits),
                Arc::clone(&drain),
            )));
        }
        for accept in accept_loops {
            let _ = accept.await;
        }
        // Listeners are closed; keep serving the open connections until they finish or the process exits.
        while drain.live.load(Ordering::Acquire) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    worker: Arc<Worker>,
    builder: Arc<HttpBuilders>,
    mut shutdown: watch::Receiver<bool>,
    permits: Arc<Semaphore>,
    drain: Arc<Drain>,
) {
    let local_port = listener.local_addr().map_or(0, |a| a.port());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    eprintln!("moat: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        // The permit is taken after accept: each worker has its own SO_REUSEPORT queue, so a permit held
        // while waiting in accept() could sit idle while another worker's queue holds the next connection.
        // An accepted connection over the limit waits here, unserved, until a connection closes.
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
                _ = shutdown.changed() => return,
            },
        };
        let _ = stream.set_nodelay(true);
        drain.live.fetch_add(1, Ordering::AcqRel);
        let conn = Arc::new(ConnInfo::new(peer, local_port, tls.is_some()));
        let worker = Arc::clone(&worker);
        let builder = Arc::clone(&builder);
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        let drain = Arc::clone(&drain);
        tokio::spawn(async move {
            serve_connection(stream, tls, conn, worker, &builder, shutdown).await;
            drop(permit);
            if drain.live.fetch_sub(1, Ordering::AcqRel) == 1 {
                drain.idle.notify_waiters();
            }
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    conn: Arc<ConnInfo>,
    worker: Arc<Worker>,
    builder: &HttpBuilders,
    shutdown: watch::Receiver<bool>,
) {
    let handshake_timeout = worker.gateway.limits.header_read_timeout;
    match tls {
        None => {
            if let Some(http2) = sniff_http2(&stream, handshake_timeout).await {
                let stream = Box::new(Watched::new(stream, Arc::clone(&conn)));
                drive(stream, http2, conn, worker, builder, shutdown).await;
            }
        }
        Some(acceptor) => {
            let watched = Watched::new(stream, Arc::clone(&conn));
            if let Ok(Ok(stream)) = tokio::time::timeout(handshake_timeout, acceptor.accept(watched)).await {
                let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                drive(Box::new(stream), http2, conn, worker, builder, shutdown).await;
            }
        }
    }
}

/// Puts the request's id fields into the response's map, for hyper's HTTP/2 server (Moat's HTTP/1.1
/// server writes them straight into the head).
///
/// An endpoint's own id fields are dropped first, as the HTTP/1.1 server drops them, so that an HTTP API
/// passes none of the REST-only ones on.
fn with_id_fields(response: http::Response<GatewayBody>) -> http::Response<GatewayBody> {
    let (mut parts, body) = response.into_parts();
    if body.has_id_fields() {
        for id_field in &crate::logging::ID_FIELDS {
            parts.headers.remove(id_field);
        }
    }
    body.id_fields(&mut |name, value| {
        if let Ok(value) = http::HeaderValue::from_bytes(value) {
            parts.headers.insert(name.clone(), value);
        }
    });
    http::Response::from_parts(parts, body)
}

/// What woke a connection's watchdog.
enum Watch {
    /// The shutdown signal changed (`true`: its sender is gone).
    Shutdown(bool),
    /// Time to judge the connection's time limits.
    Tick,
}

async fn drive(
    stream: Box<dyn ClientStream>,
    http2: bool,
    conn: Arc<ConnInfo>,
    worker: Arc<Worker>,
    builder: &HttpBuilders,
    mut shutdown: watch::Receiver<bool>,
) {
    let idle_timeout = worker.gateway.limits.idle_timeout;
    let header_timeout = worker.gateway.limits.header_read_timeout;
    let tick = conn_watch::tick(header_timeout, idle_timeout);
    let connection = if http2 {
        let service_conn = Arc::clone(&conn);
        let service = service_fn(move |req: Request<Incoming>| {
            let handled = pipeline::handle(
                Arc::clone(&worker),
                Arc::clone(&service_conn),
                req.map(ClientBody::Http2),
            );
            async move {
                let Ok(response) = handled.await;
                Ok::<_, std::convert::Infallible>(with_id_fields(response))
            }
        });
        builder.serve_http2(stream, service)
    } else {
        builder.serve_http1(h1_server::Connection::new(stream, Arc::clone(&conn), worker))
    };
    tokio::pin!(connection);
    let mut closing = *shutdown.borrow();
    if closing {
        connection.as_mut().graceful_shutdown();
    }
    // The watchdog (shutdown signal, tick) is polled only when it has woken the task: see `WakeGate`.
    let mut gate = conn_watch::WakeGate::default();
    loop {
        let event = {
            let watchdog = async {
                tokio::select! {
                    changed = shutdown.changed(), if !closing => Watch::Shutdown(changed.is_err()),
                    () = tokio::time::sleep(tick) => Watch::Tick,
                }
            };
            tokio::pin!(watchdog);
            gate.arm();
            std::future::poll_fn(|cx| {
                if connection.as_mut().poll(cx).is_ready() {
                    return std::task::Poll::Ready(None);
                }
                gate.poll(cx, |side| watchdog.as_mut().poll(side)).map(Some)
            })
            .await
        };
        match event {
            None => return,
            Some(Watch::Shutdown(sender_gone)) => {
                if sender_gone || *shutdown.borrow() {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
            Some(Watch::Tick) => match conn_watch::judge(&conn, now_ms(), !http2, header_timeout, idle_timeout) {
                Verdict::Healthy => {}
                // Dropping the connection closes the socket, as a parser timeout would.
                Verdict::SlowHead => return,
                // Idle again after a graceful close was asked for (a client that stopped reading its
                // response, an HTTP/2 client that ignores GOAWAY): the connection is dropped.
                Verdict::Idle if closing => return,
                Verdict::Idle => {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            },
        }
    }
}
