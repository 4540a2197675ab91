//! Sending OTLP export requests: gRPC (tonic, the generated `TraceService` / `MetricsService`
//! clients) or HTTP/protobuf (hyper 1, `POST` of the same prost messages).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use super::{OtlpError, Protocol, SignalConfig};

/// How long a connection attempt may take, at most (also bounded by the export timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a collector refused in a partial success: how many spans or data points, and why.
pub(crate) type Rejected = (u64, String);

fn trace_rejected(response: ExportTraceServiceResponse) -> Rejected {
    response.partial_success.map_or((0, String::new()), |p| {
        (u64::try_from(p.rejected_spans).unwrap_or(0), p.error_message)
    })
}

fn metrics_rejected(response: ExportMetricsServiceResponse) -> Rejected {
    response.partial_success.map_or((0, String::new()), |p| {
        (u64::try_from(p.rejected_data_points).unwrap_or(0), p.error_message)
    })
}

/// One signal's connection to a collector.
// One per signal for the exporter's life: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Transport {
    Grpc {
        channel: Channel,
        metadata: MetadataMap,
        timeout: Duration,
    },
    Http {
        client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
        uri: http::Uri,
        headers: http::HeaderMap,
        timeout: Duration,
    },
}

impl Transport {
    /// A transport for `config`; connects lazily, so a collector that is down does not fail this.
    pub(crate) fn new(config: &SignalConfig) -> Result<Transport, OtlpError> {
        let invalid = |message: String| OtlpError::InvalidConfig(format!("{}: {message}", config.endpoint));
        let uri: http::Uri = config
            .endpoint
            .parse()
            .map_err(|e| invalid(format!("not a URL ({e})")))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(invalid("the endpoint must be an http:// or https:// URL".to_owned())),
        };
        let extra_roots = match &config.certificate {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| invalid(format!("certificate {}: {e}", path.display())))?;
                let certs = rustls_pemfile::certs(&mut pem.as_slice())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| invalid(format!("certificate {}: {e}", path.display())))?;
                if certs.is_empty() {
                    return Err(invalid(format!(
                        "certificate {}: no PEM certificate in it",
                        path.display()
                    )));
                }
                Some((pem, certs))
            }
            None => None,
        };
        match config.protocol {
            Protocol::Grpc => {
                let mut metadata = MetadataMap::new();
                for (name, value) in &config.headers {
                    let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
                        .map_err(|e| invalid(format!("header {name}: {e}")))?;
                    let value =
                        MetadataValue::try_from(value.as_str()).map_err(|e| invalid(format!("header {name}: {e}")))?;
                    metadata.insert(key, value);
                }
                let mut endpoint = Endpoint::from(uri)
                    .connect_timeout(CONNECT_TIMEOUT.min(config.timeout))
                    .timeout(config.timeout)
                    .tcp_nodelay(true);
                if tls {
                    let mut tls_config = ClientTlsConfig::new().with_native_roots();
                    if let Some((pem, _)) = &extra_roots {
                        tls_config = tls_config.ca_certificate(Certificate::from_pem(pem));
                    }
                    endpoint = endpoint
                        .tls_config(tls_config)
                        .map_err(|e| invalid(format!("TLS: {e}")))?;
                }
                let channel = endpoint.connect_lazy();
                Ok(Transport::Grpc {
                    channel,
                    metadata,
                    timeout: config.timeout,
                })
            }
            Protocol::HttpProtobuf => {
                let mut headers = http::HeaderMap::new();
                for (name, value) in &config.headers {
                    let key = http::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|e| invalid(format!("header {name}: {e}")))?;
                    let value =
                        http::HeaderValue::from_str(value).map_err(|e| invalid(format!("header {name}: {e}")))?;
                    headers.insert(key, value);
                }
                let mut connector = HttpConnector::new();
                connector.set_connect_timeout(Some(CONNECT_TIMEOUT.min(config.timeout)));
                connector.set_nodelay(true);
                connector.enforce_http(false);
                let mut roots = rustls::RootCertStore::empty();
                // The system's roots, as far as they load; a missing store only matters for https.
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                if let Some((_, certs)) = extra_roots {
                    roots.add_parsable_certificates(certs);
                }
                let tls_config =
                    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                        .with_safe_default_protocol_versions()
                        .map_err(|e| invalid(format!("TLS: {e}")))?
                        .with_root_certificates(roots)
                        .with_no_client_auth();
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls_config)
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(connector);
                let client = Client::builder(TokioExecutor::new()).build(https);
                Ok(Transport::Http {
                    client,
                    uri,
                    headers,
                    timeout: config.timeout,
                })
            }
        }
    }

    /// Sends one `ExportTraceServiceRequest`; `Ok` carries the spans the collector rejected in a
    /// partial success (with its message).
    pub(crate) async fn export_traces(&self, request: ExportTraceServiceRequest) -> Result<Rejected, String> {
        let call = |channel, request| async move { TraceServiceClient::new(channel).export(request).await };
        self.export(request, call, trace_rejected).await
    }

    /// Sends one `ExportMetricsServiceRequest`; `Ok` carries the data points the collector
    /// rejected in a partial success (with its message).
    pub(crate) async fn export_metrics(&self, request: ExportMetricsServiceRequest) -> Result<Rejected, String> {
        let call = |channel, request| async move { MetricsServiceClient::new(channel).export(request).await };
        self.export(request, call, metrics_rejected).await
    }

    /// Sends one export request: over gRPC with `grpc` (the signal's service client), bounded by the
    /// timeout, or as an HTTP/protobuf POST; the answer's partial success read with `rejected`.
    async fn export<Req, Resp, Call, Answer>(
        &self,
        request: Req,
        grpc: Call,
        rejected: fn(Resp) -> Rejected,
    ) -> Result<Rejected, String>
    where
        Req: Message,
        Resp: Message + Default,
        Call: FnOnce(Channel, tonic::Request<Req>) -> Answer,
        Answer: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        match self {
            Transport::Grpc {
                channel,
                metadata,
                timeout,
                ..
            } => {
                let mut request = tonic::Request::new(request);
                *request.metadata_mut() = metadata.clone();
                request.set_timeout(*timeout);
                match tokio::time::timeout(*timeout, grpc(channel.clone(), request)).await {
                    Ok(Ok(response)) => Ok(rejected(response.into_inner())),
                    Ok(Err(status)) => Err(format!("gRPC {:?}: {}", status.code(), status.message())),
                    Err(_) => Err(format!("no answer in {timeout:?}")),
                }
            }
            Transport::Http { .. } => {
                let body = self.post(request.encode_to_vec()).await?;
                // An empty or undecodable body is a plain success.
                Ok(Resp::decode(body).map_or((0, String::new()), rejected))
            }
        }
    }

    async fn post(&self, body: Vec<u8>) -> Result<Bytes, String> {
        let Transport::Http {
            client,
            uri,
            headers,
            timeout,
        } = self
        else {
            return Err("not an HTTP transport".to_owned());
        };
        let mut request = http::Request::post(uri.clone())
            .header(http::header::CONTENT_TYPE, "application/x-protobuf")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        for (name, value) in headers {
            request.headers_mut().insert(name, value.clone());
        }
        let exchange = async {
            let response = client.request(request).await.map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            // Read the body so the connection can be reused.
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            if status.is_success() {
                Ok(body)
            } else {
                Err(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ))
            }
        };
        match tokio::time::timeout(*timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer in {timeout:?}")),
        }
    }
}
