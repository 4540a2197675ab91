//! [`EmfExporter`]: a [`Snapshot`] as CloudWatch Embedded Metric Format documents, one per series (more
//! when a series' latency distribution has more than 100 distinct values).

use std::time::Duration;

use moat_formats::emf::{self, Document, MetricDatum, MetricValue, Unit};

use super::{ApiKind, MetricsConfig, MetricsError, Series, Snapshot};
use crate::Record;

/// Renders snapshots as EMF documents in one namespace.
#[derive(Clone, Debug)]
pub struct EmfExporter {
    namespace: String,
    interval: Duration,
    max_document_bytes: usize,
}

impl EmfExporter {
    /// An exporter for `config`'s namespace and interval.
    ///
    /// # Errors
    /// [`MetricsError`] when `config` is out of its limits.
    pub fn new(config: &MetricsConfig) -> Result<EmfExporter, MetricsError> {
        config.validate()?;
        Ok(EmfExporter {
            namespace: config.namespace.clone(),
            interval: config.interval,
            max_document_bytes: emf::MAX_DOCUMENT_BYTES,
        })
    }

    /// The aggregation interval the snapshots cover.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The documents of one series, each a JSON object without a newline.
    ///
    /// # Errors
    /// [`MetricsError::Emf`] when the series cannot be rendered (it cannot happen with keys the
    /// aggregator made: their dimension values are cut to EMF's limit).
    pub fn render_series(&self, start_ms: u64, series: &Series) -> Result<Vec<Vec<u8>>, MetricsError> {
        let key = &series.key;
        let api = key.api_dimension();
        let stage = key.stage_dimension();
        let (api_key, errors_4xx, errors_5xx) = match key.kind {
            ApiKind::Rest => ("ApiName", "4XXError", "5XXError"),
            ApiKind::Http => ("ApiId", "4xx", "5xx"),
        };
        let mut dimensions = vec![(api_key, api.as_str()), ("Stage", stage.as_str())];
        let per_api: &[&str] = &[api_key];
        let per_stage: &[&str] = &[api_key, "Stage"];
        let per_method: &[&str] = &[api_key, "Method", "Resource", "Stage"];
        let mut sets = vec![per_api, per_stage];
        if let (Some(method), Some(resource)) = (&key.method, &key.resource) {
            dimensions.push(("Method", method.as_str()));
            dimensions.push(("Resource", resource.as_str()));
            sets.push(per_method);
        }
        // Each request is one sample of Count (value 1) and of the error metrics (0 or 1), so Sum is
        // the count, Average the rate and SampleCount the requests, as API Gateway defines them.
        let ok_4xx = series.count - series.errors_4xx;
        let ok_5xx = series.count - series.errors_5xx;
        let count_counts = [series.count];
        let counts_4xx = [ok_4xx, series.errors_4xx];
        let counts_5xx = [ok_5xx, series.errors_5xx];
        let metric = |name, unit, value| MetricDatum {
            name,
            unit,
            storage_resolution: None,
            value,
        };
        let mut metrics = vec![
            metric(
                "Count",
                Unit::Count,
                MetricValue::Distribution {
                    values: &[1.0],
                    counts: &count_counts,
                },
            ),
            metric(
                errors_4xx,
                Unit::Count,
                MetricValue::Distribution {
                    values: &[0.0, 1.0],
                    counts: &counts_4xx,
                },
            ),
            metric(
                errors_5xx,
                Unit::Count,
                MetricValue::Distribution {
                    values: &[0.0, 1.0],
                    counts: &counts_5xx,
                },
            ),
        ];
        if !series.latency.is_empty() {
            metrics.push(metric(
                "Latency",
                Unit::Milliseconds,
                MetricValue::Distribution {
                    values: &series.latency.values_ms,
                    counts: &series.latency.counts,
                },
            ));
        }
        if !series.integration_latency.is_empty() {
            metrics.push(metric(
                "IntegrationLatency",
                Unit::Milliseconds,
                MetricValue::Distribution {
                    values: &series.integration_latency.values_ms,
                    counts: &series.integration_latency.counts,
                },
            ));
        }
        let doc = Document {
            namespace: &self.namespace,
            timestamp_ms: start_ms,
            dimension_sets: &sets,
            dimensions: &dimensions,
            properties: &[],
            metrics: &metrics,
        };
        Ok(emf::render(&doc, self.max_document_bytes)?)
    }

    /// Every series of `snapshot` as records timestamped at the interval start, in series order, and
    /// how many series could not be rendered (left out).
    #[must_use]
    pub fn render(&self, snapshot: &Snapshot) -> (Vec<Record>, usize) {
        let timestamp = i64::try_from(snapshot.start_ms).unwrap_or(i64::MAX);
        let mut records = Vec::with_capacity(snapshot.series.len());
        let mut failed = 0;
        for series in &snapshot.series {
            match self.render_series(snapshot.start_ms, series) {
                Ok(docs) => records.extend(docs.into_iter().map(|d| Record::new(timestamp, d))),
                Err(_) => failed += 1,
            }
        }
        (records, failed)
    }
}
