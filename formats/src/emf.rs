//! CloudWatch Embedded Metric Format (EMF): one JSON log event that CloudWatch Logs turns into metrics.
//!
//! Follows "Specification: Embedded metric format" (Amazon CloudWatch User Guide,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! the root object carries `_aws` = `{"Timestamp": <epoch ms>, "CloudWatchMetrics": [MetricDirective]}`,
//! each MetricDirective = `{"Namespace", "Dimensions": [DimensionSet], "Metrics": [MetricDefinition]}`,
//! each MetricDefinition = `{"Name", "Unit"?, "StorageResolution"?}`; the dimension values and metric
//! values are top-level members of the root ("target members", never nested).
//!
//! Limits enforced here, from that page: at most [`MAX_METRICS_PER_DIRECTIVE`] MetricDefinitions per
//! directive, at most [`MAX_DIMENSIONS_PER_SET`] keys per DimensionSet, at most
//! [`MAX_VALUES_PER_METRIC`] numbers in a metric's value array, dimension values of at most
//! [`MAX_DIMENSION_VALUE_CHARS`] characters, and the CloudWatch Logs event size ([`MAX_DOCUMENT_BYTES`]).
//! [`render`] never breaks one: more than 100 metrics become several directives in one document, more
//! than 100 values of a metric or more bytes than the event limit become several documents with the same
//! timestamp and dimensions, which CloudWatch aggregates into the same data points.
//!
//! Metric values take three forms ([`MetricValue`]): a number; an array of numbers (each one sample, as
//! the specification describes); and the values-and-counts form `{"Values": [...], "Counts": [...]}`
//! (value `Values[i]` observed `Counts[i]` times). The public specification page documents only the
//! first two; the third is what AWS's own EMF library emits for distributions and repeated observations
//! (awslabs/metrique, `metrique-writer-format-emf`: "CloudWatch EMF and CloudWatch Metrics support both
//! forms equally well and native CloudWatch Metrics statistics like sums, averages, and percentiles will
//! work the same in both forms") and what `PutMetricData` accepts as `Values`/`Counts`. It is the only
//! form that carries a whole interval's distribution (thousands of samples) in 100 pairs.
//!
//! No I/O: rendering appends to byte buffers.

use crate::text::{write_escaped, write_u64, Escape};

/// Most MetricDefinition objects in one MetricDirective.
pub const MAX_METRICS_PER_DIRECTIVE: usize = 100;
/// Most dimension keys in one DimensionSet.
pub const MAX_DIMENSIONS_PER_SET: usize = 30;
/// Most numbers in a metric's value array (and pairs in a values-and-counts metric).
pub const MAX_VALUES_PER_METRIC: usize = 100;
/// Longest dimension value, in characters.
pub const MAX_DIMENSION_VALUE_CHARS: usize = 1024;
/// Longest namespace, metric name or dimension key, in characters (the specification's JSON schema).
pub const MAX_NAME_CHARS: usize = 255;
/// Largest document: a CloudWatch Logs event of 1 MiB, less the 26 bytes PutLogEvents counts per event.
pub const MAX_DOCUMENT_BYTES: usize = 1_048_576 - 26;

/// A CloudWatch metric unit (the `Unit` of a MetricDefinition; the values `MetricDatum` accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Time, seconds.
    Seconds,
    /// Time, microseconds.
    Microseconds,
    /// Time, milliseconds (API Gateway's latencies).
    Milliseconds,
    /// Size, bytes.
    Bytes,
    /// Size, kilobytes.
    Kilobytes,
    /// Size, megabytes.
    Megabytes,
    /// Size, gigabytes.
    Gigabytes,
    /// Size, terabytes.
    Terabytes,
    /// Size, bits.
    Bits,
    /// Size, kilobits.
    Kilobits,
    /// Size, megabits.
    Megabits,
    /// Size, gigabits.
    Gigabits,
    /// Size, terabits.
    Terabits,
    /// A percentage.
    Percent,
    /// A count (API Gateway's `Count`, `4XXError`, `5XXError`).
    Count,
    /// Rate, `Bytes/Second`.
    BytesPerSecond,
    /// Rate, `Kilobytes/Second`.
    KilobytesPerSecond,
    /// Rate, `Megabytes/Second`.
    MegabytesPerSecond,
    /// Rate, `Gigabytes/Second`.
    GigabytesPerSecond,
    /// Rate, `Terabytes/Second`.
    TerabytesPerSecond,
    /// Rate, `Bits/Second`.
    BitsPerSecond,
    /// Rate, `Kilobits/Second`.
    KilobitsPerSecond,
    /// Rate, `Megabits/Second`.
    MegabitsPerSecond,
    /// Rate, `Gigabits/Second`.
    GigabitsPerSecond,
    /// Rate, `Terabits/Second`.
    TerabitsPerSecond,
    /// Rate, `Count/Second`.
    CountPerSecond,
    /// No unit (CloudWatch's default when `Unit` is absent).
    None,
}

impl Unit {
    /// The unit as CloudWatch spells it (`Milliseconds`, `Bytes/Second`, `None`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "Seconds",
            Unit::Microseconds => "Microseconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
            Unit::Kilobytes => "Kilobytes",
            Unit::Megabytes => "Megabytes",
            Unit::Gigabytes => "Gigabytes",
            Unit::Terabytes => "Terabytes",
            Unit::Bits => "Bits",
            Unit::Kilobits => "Kilobits",
            Unit::Megabits => "Megabits",
            Unit::Gigabits => "Gigabits",
            Unit::Terabits => "Terabits",
            Unit::Percent => "Percent",
            Unit::Count => "Count",
            Unit::BytesPerSecond => "Bytes/Second",
            Unit::KilobytesPerSecond => "Kilobytes/Second",
            Unit::MegabytesPerSecond => "Megabytes/Second",
            Unit::GigabytesPerSecond => "Gigabytes/Second",
            Unit::TerabytesPerSecond => "Terabytes/Second",
            Unit::BitsPerSecond => "Bits/Second",
            Unit::KilobitsPerSecond => "Kilobits/Second",
            Unit::MegabitsPerSecond => "Megabits/Second",
            Unit::GigabitsPerSecond => "Gigabits/Second",
            Unit::TerabitsPerSecond => "Terabits/Second",
            Unit::CountPerSecond => "Count/Second",
            Unit::None => "None",
        }
    }
}

/// How finely CloudWatch stores a metric (`StorageResolution`; CloudWatch assumes 60 when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageResolution {
    /// One-second resolution (a high-resolution custom metric): `1`.
    High,
    /// One-minute resolution: `60`.
    Standard,
}

impl StorageResolution {
    const fn seconds(self) -> u64 {
        match self {
            StorageResolution::High => 1,
            StorageResolution::Standard => 60,
        }
    }
}

/// The value of one metric in a document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricValue<'a> {
    /// One sample: `"Latency": 12.5`.
    Number(f64),
    /// Several samples, one per element: `"Latency": [12.5, 3]`. Split across documents past
    /// [`MAX_VALUES_PER_METRIC`].
    Values(&'a [f64]),
    /// A distribution: `values[i]` was observed `counts[i]` times, rendered
    /// `{"Values": [...], "Counts": [...]}`. Pairs with a zero count are left out; split across
    /// documents past [`MAX_VALUES_PER_METRIC`] pairs.
    Distribution {
        /// The distinct values.
        values: &'a [f64],
        /// How often each was observed; as long as `values`.
        counts: &'a [u64],
    },
}

/// One metric of a document: its definition and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricDatum<'a> {
    /// The metric name (also the name of the root member that holds its value).
    pub name: &'a str,
    /// Its unit.
    pub unit: Unit,
    /// Its storage resolution; `None` leaves the member out (CloudWatch's default, 60 s).
    pub storage_resolution: Option<StorageResolution>,
    /// Its value.
    pub value: MetricValue<'a>,
}

/// What one EMF document says: a namespace, dimension sets and their values, metrics, and optional extra
/// string members (which CloudWatch keeps in the log event but does not turn into metrics).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Document<'a> {
    /// The CloudWatch namespace (1 to 255 characters).
    pub namespace: &'a str,
    /// When the metrics were observed, milliseconds since the Unix epoch (`_aws.Timestamp`).
    pub timestamp_ms: u64,
    /// The DimensionSets: each a list of dimension keys, every key one of `dimensions`. At least one;
    /// a set may be empty.
    pub dimension_sets: &'a [&'a [&'a str]],
    /// The dimension target members: key and value.
    pub dimensions: &'a [(&'a str, &'a str)],
    /// Other string members kept in the event (such as a request id), after the metric members.
    pub properties: &'a [(&'a str, &'a str)],
    /// The metrics.
    pub metrics: &'a [MetricDatum<'a>],
}

/// Why a document cannot be rendered as EMF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmfError {
    /// A namespace, metric name or dimension key is empty or longer than [`MAX_NAME_CHARS`].
    #[error("{what} {name:?} must be 1 to 255 characters")]
    BadName {
        /// `namespace`, `metric name` or `dimension key`.
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// The document has no DimensionSet (the schema requires at least one; it may be empty).
    #[error("an EMF directive needs at least one dimension set (it may be empty)")]
    NoDimensionSet,
    /// A DimensionSet has more than [`MAX_DIMENSIONS_PER_SET`] keys.
    #[error("dimension set {index} has {count} keys; EMF allows at most 30")]
    TooManyDimensions {
        /// Which set.
        index: usize,
        /// How many keys it has.
        count: usize,
    },
    /// A DimensionSet names a key that is not among the document's dimensions.
    #[error("dimension set names {key:?}, which has no value in the document")]
    MissingDimension {
        /// The key.
        key: String,
    },
    /// A dimension value is longer than [`MAX_DIMENSION_VALUE_CHARS`].
    #[error("the value of dimension {key:?} is {chars} characters; EMF allows at most 1024")]
    DimensionValueTooLong {
        /// The key.
        key: String,
        /// Its length in characters.
        chars: usize,
    },
    /// Two root members (dimensions, metrics, properties, `_aws`) share a name.
    #[error("two members of the document are named {name:?}")]
    DuplicateMember {
        /// The name.
        name: String,
    },
    /// A metric value is NaN or infinite, which JSON cannot carry.
    #[error("metric {metric:?} has a value that is not a finite number")]
    NonFinite {
        /// The metric.
        metric: String,
    },
    /// A metric has no value: an empty array, or counts that are all zero.
    #[error("metric {metric:?} has no values")]
    EmptyValues {
        /// The metric.
        metric: String,
    },
    /// A distribution's `values` and `counts` differ in length.
    #[error("metric {metric:?} has {values} values but {counts} counts")]
    CountsMismatch {
        /// The metric.
        metric: String,
        /// Length of `values`.
        values: usize,
        /// Length of `counts`.
        counts: usize,
    },
    /// Even one metric (or the dimensions alone) does not fit in the byte limit.
    #[error("a document needs at least {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// Bytes the smallest document would take.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
}

/// Renders `doc` as one or more EMF documents, each a JSON object without a trailing newline and at most
/// `max_bytes` long (pass [`MAX_DOCUMENT_BYTES`] for CloudWatch Logs). One document unless a limit forces
/// a split: metrics past 100 go to further directives of the same document; a metric with more than 100
/// values and a document over `max_bytes` continue in further documents that repeat the timestamp,
/// namespace, dimension sets, dimensions and properties.
///
/// # Errors
/// [`EmfError`] when the document breaks the specification in a way splitting cannot fix.
pub fn render(doc: &Document<'_>, max_bytes: usize) -> Result<Vec<Vec<u8>>, EmfError> {
    validate(doc)?;
    // Each metric's value, cut into pieces of at most MAX_VALUES_PER_METRIC, rendered as the member
    // (`"Name":value`) alongside its definition (`{"Name":..,"Unit":..}`).
    let mut rounds: Vec<Vec<Piece>> = Vec::new();
    for metric in doc.metrics {
        let mut definition = Vec::with_capacity(64);
        write_definition(&mut definition, metric);
        for (round, member) in member_pieces(metric)?.into_iter().enumerate() {
            if rounds.len() <= round {
                rounds.push(Vec::new());
            }
            rounds[round].push(Piece {
                definition: definition.clone(),
                member,
            });
        }
    }
    let head = head_bytes(doc);
    let tail = tail_bytes(doc);
    let directive_open = directive_open_bytes(doc);
    // `]}` closing a directive, `,` between directives, `]},` closing `_aws`, `}` closing the root.
    let fixed = head.len() + tail.len() + directive_open.len() + 2 + 3 + 1;
    let mut documents = Vec::new();
    for round in &rounds {
        let mut start = 0;
        while start < round.len() {
            let mut size = fixed;
            let mut end = start;
            while end < round.len() {
                let piece = &round[end];
                let mut cost = piece.definition.len() + piece.member.len() + 2;
                let in_doc = end - start;
                if in_doc > 0 && in_doc % MAX_METRICS_PER_DIRECTIVE == 0 {
                    cost += directive_open.len() + 3;
                }
                if size + cost > max_bytes {
                    break;
                }
                size += cost;
                end += 1;
            }
            if end == start {
                let piece = &round[start];
                return Err(EmfError::TooLarge {
                    bytes: fixed + piece.definition.len() + piece.member.len() + 2,
                    limit: max_bytes,
                });
            }
            let out = assemble(&head, &directive_open, &round[start..end], &tail);
            debug_assert!(out.len() <= max_bytes, "{} > {max_bytes}", out.len());
            documents.push(out);
            start = end;
        }
    }
    Ok(documents)
}

/// One metric's definition and one piece of its value.
struct Piece {
    definition: Vec<u8>,
    member: Vec<u8>,
}

fn check_name(what: &'static str, name: &str) -> Result<(), EmfError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(EmfError::BadName {
            what,
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn validate(doc: &Document<'_>) -> Result<(), EmfError> {
    check_name("namespace", doc.namespace)?;
    if doc.dimension_sets.is_empty() {
        return Err(EmfError::NoDimensionSet);
    }
    for (index, set) in doc.dimension_sets.iter().enumerate() {
        if set.len() > MAX_DIMENSIONS_PER_SET {
            return Err(EmfError::TooManyDimensions {
                index,
                count: set.len(),
            });
        }
        for key in *set {
            if !doc.dimensions.iter().any(|(k, _)| k == key) {
                return Err(EmfError::MissingDimension { key: (*key).to_owned() });
            }
        }
    }
    for (key, value) in doc.dimensions {
        check_name("dimension key", key)?;
        let chars = value.chars().count();
        if chars > MAX_DIMENSION_VALUE_CHARS {
            return Err(EmfError::DimensionValueTooLong {
                key: (*key).to_owned(),
                chars,
            });
        }
    }
    for metric in doc.metrics {
        check_name("metric name", metric.name)?;
    }
    let mut names: Vec<&str> = doc
        .dimensions
        .iter()
        .map(|(k, _)| *k)
        .chain(doc.metrics.iter().map(|m| m.name))
        .chain(doc.properties.iter().map(|(k, _)| *k))
        .chain(std::iter::once("_aws"))
        .collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(EmfError::DuplicateMember {
            name: pair[0].to_owned(),
        });
    }
    Ok(())
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped(out, s, Escape::Json);
    out.push(b'"');
}

/// Appends a finite number as JSON: integers without a fraction, others in Rust's shortest round-trip
/// decimal form (never an exponent, so always a JSON number).
fn write_number(out: &mut Vec<u8>, value: f64) {
    use std::io::Write as _;
    if value == 0.0 {
        out.push(b'0');
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        // Exactly an integer below 2^53: print it without ".0" (the cast is exact).
        #[allow(clippy::cast_possible_truncation)]
        let int = value as i64;
        if int < 0 {
            out.push(b'-');
        }
        write_u64(out, int.unsigned_abs());
    } else {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{value}");
    }
}

fn write_definition(out: &mut Vec<u8>, metric: &MetricDatum<'_>) {
    out.extend_from_slice(b"{\"Name\":");
    write_str(out, metric.name);
    out.extend_from_slice(b",\"Unit\":");
    write_str(out, metric.unit.as_str());
    if let Some(resolution) = metric.storage_resolution {
        out.extend_from_slice(b",\"StorageResolution\":");
        write_u64(out, resolution.seconds());
    }
    out.push(b'}');
}

fn finite(metric: &MetricDatum<'_>, values: &[f64]) -> Result<(), EmfError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EmfError::NonFinite {
            metric: metric.name.to_owned(),
        })
    }
}

/// The metric's root member(s), `"Name":value`, one per document its value needs.
fn member_pieces(metric: &MetricDatum<'_>) -> Result<Vec<Vec<u8>>, EmfError> {
    let empty = || EmfError::EmptyValues {
        metric: metric.name.to_owned(),
    };
    let open = |out: &mut Vec<u8>| {
        write_str(out, metric.name);
        out.push(b':');
    };
    let mut pieces = Vec::new();
    match metric.value {
        MetricValue::Number(value) => {
            finite(metric, &[value])?;
            let mut out = Vec::new();
            open(&mut out);
            write_number(&mut out, value);
            pieces.push(out);
        }
        MetricValue::Values(values) => {
            finite(metric, values)?;
            if values.is_empty() {
                return Err(empty());
            }
            for chunk in values.chunks(MAX_VALUES_PER_METRIC) {
                let mut out = Vec::new();
                open(&mut out);
                write_array(&mut out, chunk.iter().copied());
                pieces.push(out);
            }
        }
        MetricValue::Distribution { values, counts } => {
            if values.len() != counts.len() {
                return Err(EmfError::CountsMismatch {
                    metric: metric.name.to_owned(),
                    values: values.len(),
                    counts: counts.len(),
                });
            }
            finite(metric, values)?;
            let pairs: Vec<(f64, u64)> = values
                .iter()
                .copied()
                .zip(counts.iter().copied())
                .filter(|&(_, count)| count > 0)
                .collect();
            if pairs.is_empty() {
                return Err(empty());
            }
            for chunk in pairs.chunks(MAX_VALUES_PER_METRIC) {
                let mut out = Vec::new();
                open(&mut out);
                out.extend_from_slice(b"{\"Values\":");
                write_array(&mut out, chunk.iter().map(|&(v, _)| v));
                out.extend_from_slice(b",\"Counts\":[");
                for (i, &(_, count)) in chunk.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_u64(&mut out, count);
                }
                out.extend_from_slice(b"]}");
                pieces.push(out);
            }
        }
    }
    Ok(pieces)
}

fn write_array(out: &mut Vec<u8>, values: impl Iterator<Item = f64>) {
    out.push(b'[');
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_number(out, value);
    }
    out.push(b']');
}

/// `{"_aws":{"Timestamp":T,"CloudWatchMetrics":[`
fn head_bytes(doc: &Document<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"{\"_aws\":{\"Timestamp\":");
    write_u64(&mut out, doc.timestamp_ms);
    out.extend_from_slice(b",\"CloudWatchMetrics\":[");
    out
}

/// `{"Namespace":..,"Dimensions":[[..]],"Metrics":[`
fn directive_open_bytes(doc: &Document<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"Namespace\":");
    write_str(&mut out, doc.namespace);
    out.extend_from_slice(b",\"Dimensions\":[");
    for (i, set) in doc.dimension_sets.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for (j, key) in set.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_str(&mut out, key);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"],\"Metrics\":[");
    out
}

/// The dimension members, then (after the metric members) the properties: rendered as one buffer with
/// the dimension part first; `assemble` places the metric members between by position.
fn tail_bytes(doc: &Document<'_>) -> Tail {
    let mut dimensions = Vec::new();
    for (key, value) in doc.dimensions {
        dimensions.push(b',');
        write_str(&mut dimensions, key);
        dimensions.push(b':');
        write_str(&mut dimensions, value);
    }
    let mut properties = Vec::new();
    for (key, value) in doc.properties {
        properties.push(b',');
        write_str(&mut properties, key);
        properties.push(b':');
        write_str(&mut properties, value);
    }
    Tail { dimensions, properties }
}

/// The root members around the metric members.
struct Tail {
    dimensions: Vec<u8>,
    properties: Vec<u8>,
}

impl Tail {
    fn len(&self) -> usize {
        self.dimensions.len() + self.properties.len()
    }
}

fn assemble(head: &[u8], directive_open: &[u8], pieces: &[Piece], tail: &Tail) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        head.len()
            + tail.len()
            + pieces
                .iter()
                .map(|p| p.definition.len() + p.member.len() + 2)
                .sum::<usize>()
            + (directive_open.len() + 3) * pieces.len().div_ceil(MAX_METRICS_PER_DIRECTIVE)
            + 8,
    );
    out.extend_from_slice(head);
    for (d, directive) in pieces.chunks(MAX_METRICS_PER_DIRECTIVE).enumerate() {
        if d > 0 {
            out.push(b',');
        }
        out.extend_from_slice(directive_open);
        for (i, piece) in directive.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&piece.definition);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
    out.extend_from_slice(&tail.dimensions);
    for piece in pieces {
        out.push(b',');
        out.extend_from_slice(&piece.member);
    }
    out.extend_from_slice(&tail.properties);
    out.push(b'}');
    out
}

#[cfg(test)]
#[path = "emf/tests.rs"]
mod tests;
