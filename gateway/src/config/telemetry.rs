//! `telemetry:`: the process-wide settings every shipper uses, validated once.

use std::path::Path;
use std::time::Duration;

use moat_telemetry::aws::AwsSettings;
use moat_telemetry::cloudwatch_logs::names::{default_stream_name, validate_log_group, validate_log_stream};
use moat_telemetry::metrics::MetricsConfig;
use moat_telemetry::otlp::{OtlpConfig, Protocol, Signal, SignalConfig};
use moat_telemetry::shipper::ShipperConfig;
use moat_telemetry::spool::SpoolConfig;
use moat_telemetry::xray::sampling::Sampler;
use moat_telemetry::xray::segment::SegmentSettings;
use moat_telemetry::xray::udp::DaemonAddress;

use super::compile::{duration_or, Problems};
use super::raw::RawTelemetry;
use crate::telemetry_hub::{MetricsSettings, TelemetrySettings, TracesSettings, XrayTransport};

/// The spool directory when none is configured, relative to the config file.
pub const DEFAULT_SPOOL_DIR: &str = "moat-spool";
/// The CloudWatch Logs group of EMF records when none is configured.
pub const DEFAULT_METRICS_LOG_GROUP: &str = "moat-metrics";
/// Where the self-metrics listener listens when no address is configured.
pub const DEFAULT_PROMETHEUS_LISTEN: &str = "127.0.0.1:9464";

/// Validates the `telemetry` section; every problem names its field.
pub fn telemetry_settings(
    raw: &RawTelemetry,
    base_dir: &Path,
    (region, account_id): (&str, &str),
    problems: &mut Problems,
) -> TelemetrySettings {
    let log_stream = match &raw.log_stream {
        Some(stream) => {
            if let Err(e) = validate_log_stream("telemetry.log_stream", stream) {
                problems.push("telemetry.log_stream", e.to_string());
            }
            stream.clone()
        }
        None => default_stream_name(),
    };
    if let Some(endpoint) = &raw.aws.endpoint_url {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            problems.push(
                "telemetry.aws.endpoint_url",
                format!("`{endpoint}` is not an http:// or https:// URL"),
            );
        }
    }
    let spool_dir = match raw.spool.dir.as_deref() {
        Some("none") => None,
        dir => Some(base_dir.join(dir.unwrap_or(DEFAULT_SPOOL_DIR))),
    };
    let spool_max_bytes = raw.spool.max_bytes.unwrap_or(SpoolConfig::DEFAULT_MAX_BYTES);
    if spool_max_bytes < 64 << 20 {
        problems.push(
            "telemetry.spool.max_bytes",
            "must be at least 67108864 (64 MiB: two full CloudWatch Logs batches with their frame headers)",
        );
    }
    let defaults = ShipperConfig::default();
    let memory_records = raw.memory_records.unwrap_or(defaults.memory_records);
    if memory_records == 0 {
        problems.push("telemetry.memory_records", "must be at least 1");
    }
    let flush_interval = duration_or(
        &raw.flush_interval,
        "telemetry.flush_interval",
        defaults.flush_interval,
        problems,
    );
    if flush_interval > Duration::from_secs(3600) {
        problems.push("telemetry.flush_interval", "must be at most 1h");
    }
    let metrics = raw.metrics.as_ref().map(|m| metrics_settings(m, base_dir, problems));
    let prometheus = raw.prometheus.as_ref().and_then(|p| {
        let text = p.listen.as_deref().unwrap_or(DEFAULT_PROMETHEUS_LISTEN);
        text.parse()
            .map_err(|_| {
                problems.push(
                    "telemetry.prometheus.listen",
                    format!("`{text}` is not IP:port, e.g. 127.0.0.1:9464"),
                );
            })
            .ok()
    });
    let traces = traces_settings(&raw.traces, problems);
    let otlp = raw.otlp.as_ref().and_then(|o| otlp_settings(o, problems));
    TelemetrySettings {
        otlp,
        traces,
        segment: SegmentSettings {
            region: region.to_owned(),
            account_id: Some(account_id.to_owned()),
        },
        metrics,
        prometheus,
        aws: AwsSettings {
            region: raw.aws.region.clone(),
            endpoint_url: raw.aws.endpoint_url.clone(),
            static_credentials: None,
        },
        log_stream,
        spool_dir,
        spool_max_bytes,
        spool_fsync: raw.spool.fsync,
        memory_records,
        flush_interval,
        shutdown_grace: duration_or(
            &raw.shutdown_grace,
            "telemetry.shutdown_grace",
            Duration::from_secs(5),
            problems,
        ),
    }
}

fn metrics_settings(raw: &super::raw::RawMetrics, base_dir: &Path, problems: &mut Problems) -> MetricsSettings {
    let defaults = MetricsConfig::default();
    let config = MetricsConfig {
        interval: duration_or(&raw.interval, "telemetry.metrics.interval", defaults.interval, problems),
        namespace: raw.namespace.clone().unwrap_or(defaults.namespace),
        detailed: raw.detailed.unwrap_or(defaults.detailed),
        max_series: raw.max_series.unwrap_or(defaults.max_series),
    };
    if let Err(e) = config.validate() {
        problems.push("telemetry.metrics", e.to_string());
    }
    let log_group = raw.cloudwatch.as_ref().and_then(|cw| {
        let group = cw
            .log_group
            .clone()
            .unwrap_or_else(|| DEFAULT_METRICS_LOG_GROUP.to_owned());
        validate_log_group("telemetry.metrics.cloudwatch.log_group", &group)
            .map_err(|e| problems.push("telemetry.metrics.cloudwatch.log_group", e.to_string()))
            .ok()
            .map(|()| group)
    });
    if raw.destination.is_none() && raw.cloudwatch.is_none() {
        problems.push(
            "telemetry.metrics.destination",
            "EMF records need a destination (`stdout` or a file), `cloudwatch`, or both",
        );
    }
    let destination = raw.destination.as_ref().map(|d| {
        if d == "stdout" {
            d.clone()
        } else {
            base_dir.join(d).display().to_string()
        }
    });
    MetricsSettings {
        config,
        destination,
        log_group,
    }
}

fn traces_settings(raw: &super::raw::RawTraces, problems: &mut Problems) -> TracesSettings {
    let sampler = match &raw.sampling_rules {
        None => Sampler::default(),
        Some(rules) => Sampler::from_json(&rules.to_string()).unwrap_or_else(|e| {
            problems.push("telemetry.traces.sampling_rules", e.to_string());
            Sampler::default()
        }),
    };
    let transport = match raw.xray.transport.as_deref().unwrap_or("udp") {
        "api" => XrayTransport::Api,
        "none" => XrayTransport::Off,
        "udp" => {
            let address = match &raw.xray.daemon_address {
                Some(text) => DaemonAddress::parse(text),
                None => DaemonAddress::from_env(),
            };
            match address {
                Ok(address) => XrayTransport::Udp(address.udp),
                Err(e) => {
                    problems.push("telemetry.traces.xray.daemon_address", e.to_string());
                    XrayTransport::Api
                }
            }
        }
        other => {
            problems.push(
                "telemetry.traces.xray.transport",
                format!(
                    "`{other}` is not a transport: use `udp` (the X-Ray daemon), `api` (PutTraceSegments) or \
                     `none` (sampled requests go to OTLP only)"
                ),
            );
            XrayTransport::Api
        }
    };
    TracesSettings {
        sampler: std::sync::Arc::new(sampler),
        transport,
    }
}

fn otlp_settings(raw: &super::raw::RawOtlp, problems: &mut Problems) -> Option<OtlpConfig> {
    let mut config = match OtlpConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            problems.push("telemetry.otlp", format!("from the OTEL_* environment: {e}"));
            return None;
        }
    };
    if let Some(name) = &raw.service_name {
        config.service_name.clone_from(name);
    }
    let protocol = match raw.protocol.as_deref().map(Protocol::parse) {
        None => None,
        Some(Ok(protocol)) => Some(protocol),
        Some(Err(e)) => {
            problems.push("telemetry.otlp.protocol", e.to_string());
            return None;
        }
    };
    let timeout = duration_or(&raw.timeout, "telemetry.otlp.timeout", DEFAULT_OTLP_TIMEOUT, problems);
    for (signal, enabled, slot) in [
        (Signal::Traces, raw.traces.unwrap_or(true), &mut config.traces),
        (Signal::Metrics, raw.metrics.unwrap_or(true), &mut config.metrics),
    ] {
        if !enabled {
            *slot = None;
            continue;
        }
        // The config file's endpoint and protocol win over the environment's; the environment's headers
        // and certificate are kept.
        let mut signal_config = match (&raw.endpoint, slot.take()) {
            (Some(endpoint), previous) => {
                let mut fresh = SignalConfig::new(
                    protocol
                        .or(previous.as_ref().map(|p| p.protocol))
                        .unwrap_or(Protocol::Grpc),
                    endpoint,
                    signal,
                );
                if let Some(previous) = previous {
                    fresh.headers = previous.headers;
                    fresh.certificate = previous.certificate;
                }
                fresh
            }
            (None, Some(previous)) => previous,
            (None, None) => SignalConfig::new(protocol.unwrap_or(Protocol::Grpc), "http://127.0.0.1:4317", signal),
        };
        signal_config
            .headers
            .extend(raw.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        if raw.timeout.is_some() {
            signal_config.timeout = timeout;
        }
        *slot = Some(signal_config);
    }
    if let Err(e) = config.validate() {
        problems.push("telemetry.otlp", e.to_string());
        return None;
    }
    Some(config)
}

/// OTLP's default export timeout.
const DEFAULT_OTLP_TIMEOUT: Duration = moat_telemetry::otlp::DEFAULT_TIMEOUT;
