//! [`OtlpReceiver`]: a real OTLP server for tests, built on the official proto definitions
//! (`opentelemetry-proto`): the generated tonic `TraceService` / `MetricsService` servers for
//! OTLP/gRPC, and `POST /v1/traces`, `/v1/metrics` decoding the same prost messages for
//! OTLP/HTTP binary protobuf — both on one free loopback port (HTTP/1.1 and h2c).
//!
//! It runs on its own tokio runtime, so a test's runtime (even a current-thread one) never starves
//! it; [`OtlpReceiver::stop`] closes the port and every connection, [`OtlpReceiver::restart`]
//! opens the same port again, [`OtlpReceiver::stall`] keeps requests waiting unanswered.
//! [`OtlpReceiver::start_tls`] serves the same over TLS with a certificate from a CA it makes,
//! whose PEM file [`OtlpReceiver::ca_file`] names.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use tokio::sync::watch;
use tower_compat::call;

/// How an export reached the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpTransport {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP with a binary protobuf body.
    HttpProtobuf,
}

/// One export request the receiver answered, with the transport it came over.
#[derive(Clone, Debug, PartialEq)]
pub enum Received {
    /// An `ExportTraceServiceRequest`.
    Traces(OtlpTransport, ExportTraceServiceRequest),
    /// An `ExportMetricsServiceRequest`.
    Metrics(OtlpTransport, ExportMetricsServiceRequest),
}

#[derive(Default)]
struct Store {
    received: Mutex<Vec<Received>>,
    headers: Mutex<Vec<http::HeaderMap>>,
    reject_spans: std::sync::atomic::AtomicI64,
    reject_points: std::sync::atomic::AtomicI64,
}

impl Store {
    fn trace_response(&self) -> ExportTraceServiceResponse {
        let rejected = self.reject_spans.load(std::sync::atomic::Ordering::Relaxed);
        ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: "rejected by the test receiver".to_owned(),
            }),
        }
    }

    fn metrics_response(&self) -> ExportMetricsServiceResponse {
        let rejected = self.reject_points.load(std::sync::atomic::Ordering::Relaxed);
        ExportMetricsServiceResponse {
            partial_success: (rejected > 0).then(|| ExportMetricsPartialSuccess {
                rejected_data_points: rejected,
                error_message: "rejected by the test receiver".to_owned(),
            }),
        }
    }
}

impl Store {
    fn push(&self, item: Received) {
        self.received.lock().unwrap().push(item);
    }
}

/// A real OTLP receiver (gRPC and HTTP/protobuf) on a free loopback port; stopped on drop.
pub struct OtlpReceiver {
    addr: SocketAddr,
    tls: Option<(tokio_rustls::TlsAcceptor, std::path::PathBuf)>,
    store: Arc<Store>,
    stall: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for OtlpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpReceiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl OtlpReceiver {
    /// Starts the receiver on a free port of 127.0.0.1.
    ///
    /// # Panics
    /// When no port can be bound or the runtime cannot start.
    #[must_use]
    pub fn start() -> OtlpReceiver {
        OtlpReceiver::start_with(None)
    }

    /// Starts the receiver over TLS (HTTP/1.1 and HTTP/2 by ALPN) on a free port of 127.0.0.1,
    /// with a certificate for `127.0.0.1` and `localhost` issued by a CA made for it.
    ///
    /// # Panics
    /// When the certificates cannot be made or written, or no port can be bound.
    #[must_use]
    pub fn start_tls() -> OtlpReceiver {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Moat OTLP test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![leaf.der().clone()],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
                )
                .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let ca_file = std::env::temp_dir().join(format!(
            "moat-otlp-ca-{}-{}.pem",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        OtlpReceiver::start_with(Some((tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_file)))
    }

    fn start_with(tls: Option<(tokio_rustls::TlsAcceptor, std::path::PathBuf)>) -> OtlpReceiver {
        let (stall, _) = watch::channel(false);
        let mut receiver = OtlpReceiver {
            tls,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            store: Arc::new(Store::default()),
            stall,
            runtime: None,
        };
        receiver.listen();
        receiver
    }

    /// `http://127.0.0.1:PORT` (`https://` from [`OtlpReceiver::start_tls`]): the gRPC endpoint,
    /// and the base of the HTTP ones.
    #[must_use]
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM file of the CA that issued the TLS receiver's certificate (`None` without TLS).
    #[must_use]
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.tls.as_ref().map(|(_, path)| path.as_path())
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the port and drops every connection and pending request: a dead collector.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Listens again on the same port after [`OtlpReceiver::stop`], keeping what it received.
    ///
    /// # Panics
    /// When the port was taken meanwhile.
    pub fn restart(&mut self) {
        self.stop();
        self.listen();
    }

    /// While `true`, requests are read but not answered (a collector that hangs); `false` answers
    /// the waiting ones.
    pub fn stall(&self, stalled: bool) {
        self.stall.send_replace(stalled);
    }

    /// From now on, answer every export with a partial success that rejects `spans` spans and
    /// `points` metric data points (0 and 0: plain success again).
    pub fn reject(&self, spans: i64, points: i64) {
        self.store
            .reject_spans
            .store(spans, std::sync::atomic::Ordering::Relaxed);
        self.store
            .reject_points
            .store(points, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every export request answered so far, in arrival order.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        self.store.received.lock().unwrap().clone()
    }

    /// The headers (gRPC metadata included) of every request that reached the receiver, in
    /// arrival order.
    #[must_use]
    pub fn request_headers(&self) -> Vec<http::HeaderMap> {
        self.store.headers.lock().unwrap().clone()
    }

    /// Every span received, with the resource of its request.
    #[must_use]
    pub fn spans_with_resource(&self) -> Vec<(Resource, Span)> {
        let mut out = Vec::new();
        for item in self.received() {
            if let Received::Traces(_, request) = item {
                for rs in request.resource_spans {
                    let resource = rs.resource.unwrap_or_default();
                    for ss in rs.scope_spans {
                        out.extend(ss.spans.into_iter().map(|s| (resource.clone(), s)));
                    }
                }
            }
        }
        out
    }

    /// Every span received.
    #[must_use]
    pub fn spans(&self) -> Vec<Span> {
        self.spans_with_resource().into_iter().map(|(_, s)| s).collect()
    }

    /// Every metric received, in arrival order (one per metric per export).
    #[must_use]
    pub fn metrics(&self) -> Vec<Metric> {
        let mut out = Vec::new();
        for item in self.received() {
            if let Received::Metrics(_, request) = item {
                for rm in request.resource_metrics {
                    for sm in rm.scope_metrics {
                        out.extend(sm.metrics);
                    }
                }
            }
        }
        out
    }

    /// Waits until at least `n` spans arrived, or `timeout`; returns the spans it has.
    pub async fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<Span> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if spans.len() >= n || Instant::now() >= deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until a metric export arrived, or `timeout`; returns the metrics it has.
    pub async fn wait_for_metrics(&self, timeout: Duration) -> Vec<Metric> {
        let deadline = Instant::now() + timeout;
        loop {
            let metrics = self.metrics();
            if !metrics.is_empty() || Instant::now() >= deadline {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn listen(&mut self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-receiver")
            .enable_all()
            .build()
            .unwrap();
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_reuse_address(true).unwrap();
        socket.bind(&self.addr.into()).unwrap();
        socket.listen(128).unwrap();
        socket.set_nonblocking(true).unwrap();
        let std_listener: std::net::TcpListener = socket.into();
        self.addr = std_listener.local_addr().unwrap();
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).unwrap()
        };
        let handler = Handler {
            store: Arc::clone(&self.store),
            stall: self.stall.subscribe(),
        };
        let acceptor = self.tls.as_ref().map(|(acceptor, _)| acceptor.clone());
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let handler = handler.clone();
                        async move { Ok::<_, Infallible>(handler.handle(request).await) }
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        self.runtime = Some(runtime);
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.stop();
        if let Some((_, ca_file)) = &self.tls {
            let _ = std::fs::remove_file(ca_file);
        }
    }
}

type ResponseBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone)]
struct Handler {
    store: Arc<Store>,
    stall: watch::Receiver<bool>,
}

impl Handler {
    async fn handle(&self, request: http::Request<Incoming>) -> http::Response<ResponseBody> {
        let mut stall = self.stall.clone();
        let _ = stall.wait_for(|stalled| !stalled).await;
        self.store.headers.lock().unwrap().push(request.headers().clone());
        let grpc = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
        let path = request.uri().path().to_owned();
        if grpc {
            let sink = Sink(Arc::clone(&self.store));
            if path.starts_with("/opentelemetry.proto.collector.trace.v1.TraceService/") {
                return call(TraceServiceServer::new(sink), request).await;
            }
            if path.starts_with("/opentelemetry.proto.collector.metrics.v1.MetricsService/") {
                return call(MetricsServiceServer::new(sink), request).await;
            }
            return plain(http::StatusCode::NOT_FOUND, "no such gRPC service");
        }
        if request.method() != http::Method::POST {
            return plain(http::StatusCode::METHOD_NOT_ALLOWED, "OTLP/HTTP takes POST");
        }
        let protobuf = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == b"application/x-protobuf");
        if !protobuf {
            return plain(http::StatusCode::UNSUPPORTED_MEDIA_TYPE, "only application/x-protobuf");
        }
        let Ok(body) = request
            .into_body()
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
        else {
            return plain(http::StatusCode::BAD_REQUEST, "body not read");
        };
        let answer = match path.as_str() {
            "/v1/traces" => ExportTraceServiceRequest::decode(body).map(|r| {
                self.store.push(Received::Traces(OtlpTransport::HttpProtobuf, r));
                self.store.trace_response().encode_to_vec()
            }),
            "/v1/metrics" => ExportMetricsServiceRequest::decode(body).map(|r| {
                self.store.push(Received::Metrics(OtlpTransport::HttpProtobuf, r));
                self.store.metrics_response().encode_to_vec()
            }),
            _ => return plain(http::StatusCode::NOT_FOUND, "use /v1/traces or /v1/metrics"),
        };
        match answer {
            Ok(bytes) => http::Response::builder()
                .header(http::header::CONTENT_TYPE, "application/x-protobuf")
                .body(full(bytes))
                .unwrap(),
            Err(e) => plain(http::StatusCode::BAD_REQUEST, &format!("not an OTLP message: {e}")),
        }
    }
}

fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

fn plain(status: http::StatusCode, message: &str) -> http::Response<ResponseBody> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain")
        .body(full(message.to_owned()))
        .unwrap()
}

/// The generated tonic services, storing what they receive.
struct Sink(Arc<Store>);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.push(Received::Traces(OtlpTransport::Grpc, request.into_inner()));
        Ok(tonic::Response::new(self.0.trace_response()))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0
            .push(Received::Metrics(OtlpTransport::Grpc, request.into_inner()));
        Ok(tonic::Response::new(self.0.metrics_response()))
    }
}

/// Calling a generated tonic server (a tower service) from a hyper handler.
mod tower_compat {
    use super::{BodyExt, Incoming, ResponseBody};
    use tonic::codegen::Service;

    pub(super) async fn call<S>(mut service: S, request: http::Request<Incoming>) -> http::Response<ResponseBody>
    where
        S: Service<
            http::Request<Incoming>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        >,
    {
        let Ok(response) = service.call(request).await;
        response.map(|body| {
            body.map_err(|status| Box::new(status) as Box<dyn std::error::Error + Send + Sync>)
                .boxed_unsync()
        })
    }
}
