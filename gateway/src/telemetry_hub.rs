//! The gateway's side of telemetry out: one [`TelemetryHub`] per process owns the telemetry runtime (its
//! own threads, never a worker's), the AWS SDK configuration, and every shipper. Log sinks reach
//! CloudWatch Logs through a [`LineTee`] the hub hands out ([`TelemetryHub::log_group_tee`]): the sink's
//! writer thread renders lines as before and pushes them to a shipper, which batches, retries and spools
//! them. Nothing here runs on the request path.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use moat_telemetry::aws::{sdk_config, AwsSettings};
use moat_telemetry::cloudwatch_logs::{CloudWatchLogsOptions, CloudWatchLogsSink};
use moat_telemetry::shipper::{Shipper, ShipperConfig, ShipperHandle, ShipperStats};
use moat_telemetry::spool::SpoolConfig;
use moat_telemetry::Record;

use crate::log_sink::LineTee;

/// Process-wide telemetry settings, validated from the config's `telemetry` section.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetrySettings {
    /// Overrides of the standard AWS chain (region, endpoint).
    pub aws: AwsSettings,
    /// The log stream every shipped log group gets (default: this host's name).
    pub log_stream: String,
    /// Where each shipper spools, one subdirectory per destination; `None` keeps records in memory only.
    pub spool_dir: Option<PathBuf>,
    /// Most bytes each shipper's spool may hold.
    pub spool_max_bytes: u64,
    /// Whether spool appends are fsynced (survive a machine crash, not only a process kill).
    pub spool_fsync: bool,
    /// Most records each shipper holds in memory.
    pub memory_records: usize,
    /// Longest a record waits for its batch to fill.
    pub flush_interval: Duration,
    /// How long shutdown waits for shippers to deliver before leaving the rest in the spool.
    pub shutdown_grace: Duration,
}

/// Owns the telemetry runtime and every shipper of the process.
pub struct TelemetryHub {
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    sdk: aws_config::SdkConfig,
    settings: TelemetrySettings,
    shippers: Mutex<Vec<ShipperHandle>>,
}

impl std::fmt::Debug for TelemetryHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryHub")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TelemetryHub {
    /// Starts the telemetry runtime (one worker thread, `moat-telemetry`) and loads the AWS
    /// configuration. Call it outside any tokio runtime.
    ///
    /// # Errors
    /// When the runtime cannot start.
    pub fn start(settings: TelemetrySettings) -> std::io::Result<Arc<TelemetryHub>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("moat-telemetry")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let sdk = runtime.block_on(sdk_config(&settings.aws));
        Ok(Arc::new(TelemetryHub {
            runtime: Mutex::new(Some(runtime)),
            handle,
            sdk,
            settings,
            shippers: Mutex::new(Vec::new()),
        }))
    }

    /// A tee that ships every line of a log sink to the CloudWatch Logs group `group` (stream: the
    /// configured `log_stream`), created when missing.
    ///
    /// # Errors
    /// A message naming what is wrong: a group or stream name CloudWatch refuses, or a spool directory
    /// that cannot be opened.
    pub fn log_group_tee(&self, group: &str) -> Result<Arc<dyn LineTee>, String> {
        let stream = self.settings.log_stream.clone();
        let sink = CloudWatchLogsSink::from_config(&self.sdk, group, stream.clone(), CloudWatchLogsOptions::default())
            .map_err(|e| e.to_string())?;
        let spool = self.settings.spool_dir.as_ref().map(|dir| SpoolConfig {
            max_bytes: self.settings.spool_max_bytes,
            fsync: self.settings.spool_fsync,
            ..SpoolConfig::new(dir.join(spool_dir_name("cloudwatch-logs", group)))
        });
        let config = ShipperConfig {
            memory_records: self.settings.memory_records,
            spool,
            flush_interval: self.settings.flush_interval,
            ..ShipperConfig::default()
        };
        let shipper = Shipper::spawn(sink, config, &self.handle).map_err(|e| e.to_string())?;
        self.shippers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(shipper.clone());
        Ok(Arc::new(ShipLines { shipper }))
    }

    /// Each shipper's destination and counters.
    #[must_use]
    pub fn stats(&self) -> Vec<(String, ShipperStats)> {
        self.shippers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|s| (s.sink_name().to_owned(), s.stats()))
            .collect()
    }

    /// At exit, after every log sink was flushed: lets each shipper deliver for up to the shutdown
    /// grace period, leaves what is left in its spool, and stops the runtime. Calling it again does
    /// nothing.
    pub fn shutdown(&self) {
        let Some(runtime) = self.runtime.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        let shippers = std::mem::take(&mut *self.shippers.lock().unwrap_or_else(PoisonError::into_inner));
        let grace = self.settings.shutdown_grace;
        runtime.block_on(async {
            let mut waits = Vec::new();
            for shipper in shippers {
                waits.push(tokio::spawn(async move {
                    let name = shipper.sink_name().to_owned();
                    (name, shipper.shutdown(grace).await)
                }));
            }
            for wait in waits {
                if let Ok((name, stats)) = wait.await {
                    let left = stats.queued_records + stats.spool_records;
                    if left > 0 || stats.dropped.total() > 0 {
                        eprintln!(
                            "moat: telemetry {name}: {} delivered, {left} left in the spool for the next start, {} dropped",
                            stats.delivered,
                            stats.dropped.total()
                        );
                    }
                }
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

/// A spool subdirectory name for one destination: readable, and distinct for distinct destinations
/// (characters other than `[A-Za-z0-9._-]` become `_`, and a hash of the exact names is appended). The
/// stream is not part of it: the default stream name carries the process id, and a restarted process
/// must find (and replay into its own stream) what the previous one spooled.
fn spool_dir_name(kind: &str, group: &str) -> String {
    let mut name = String::with_capacity(kind.len() + group.len() + 20);
    for part in [kind, group] {
        if !name.is_empty() {
            name.push('~');
        }
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        }));
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in kind.bytes().chain([0]).chain(group.bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("{name}~{hash:08x}")
}

/// Milliseconds since the Unix epoch.
fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Splits a sink's batches into log events for a shipper. Each event is stamped with the time its batch
/// was written (at most the log sink's flush interval after the request ended), so a stream's events
/// are in order.
struct ShipLines {
    shipper: ShipperHandle,
}

impl LineTee for ShipLines {
    fn lines(&self, lines: &[u8]) {
        let now = epoch_ms();
        let shared = Bytes::copy_from_slice(lines);
        let records = shared
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| Record::new(now, shared.slice_ref(line)));
        self.shipper.push_batch(records);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_directory_names_are_safe_and_distinct() {
        let a = spool_dir_name("cloudwatch-logs", "API-Gateway-Execution-Logs_abc/prod");
        let b = spool_dir_name("cloudwatch-logs", "API-Gateway-Execution-Logs_abc_prod");
        assert!(
            a.starts_with("cloudwatch-logs~API-Gateway-Execution-Logs_abc_prod~"),
            "{a}"
        );
        assert_ne!(
            a, b,
            "names differing only in an unsafe character must not share a spool"
        );
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || "._-~".contains(c)));
    }
}
