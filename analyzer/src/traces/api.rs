//! Traces from the X-Ray API: `GetTraceSummaries` over `--since`..`--until` lists the trace ids (every
//! page, asked for in windows of six hours), `BatchGetTraces` fetches their segment documents five ids at
//! a time (a small batch: botocore's model sets no count, and each answer holds whole traces), and the
//! documents go through the same [`Segment::from_value`] as lines of a file. `--filter` is applied
//! locally, to every trace read.
//!
//! moto 5.2.1 answers `GetTraceSummaries` with `"Users": {}` in each summary where the API model has a
//! list, which the SDK refuses to parse; as in telemetry's X-Ray API tests, a 200 answer the SDK could not
//! parse is read for its `TraceSummaries[].Id` and `NextToken` directly.

use anyhow::{bail, Context};
use aws_sdk_xray::error::{DisplayErrorContext, SdkError};
use aws_sdk_xray::primitives::DateTime;
use moat_telemetry::aws::{sdk_config, AwsSettings};
use serde_json::Value;

use super::model::{Segment, TraceSet};

/// Trace ids per `BatchGetTraces` call.
const IDS_PER_BATCH: usize = 5;

/// Reads the traces of `start..end` (epoch seconds) from the X-Ray API, configured by `settings` on top
/// of the standard AWS chain.
pub fn load(start: i64, end: i64, settings: &AwsSettings) -> anyhow::Result<TraceSet> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    runtime.block_on(async {
        let config = sdk_config(settings).await;
        let client = aws_sdk_xray::Client::new(&config);
        fetch(&client, start, end).await
    })
}

/// Lists the trace ids of `start..end` (epoch seconds) and reads their documents.
pub async fn fetch(client: &aws_sdk_xray::Client, start: i64, end: i64) -> anyhow::Result<TraceSet> {
    let ids = trace_ids(client, start, end).await?;
    let mut traces = TraceSet::default();
    for chunk in ids.chunks(IDS_PER_BATCH) {
        let mut token: Option<String> = None;
        loop {
            let output = client
                .batch_get_traces()
                .set_trace_ids(Some(chunk.to_vec()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("X-Ray BatchGetTraces: {}", DisplayErrorContext(&e)))?;
            for trace in output.traces() {
                for segment in trace.segments() {
                    let Some(text) = segment.document() else { continue };
                    let document: Value = serde_json::from_str(text)
                        .with_context(|| format!("BatchGetTraces: segment {:?} is not JSON", segment.id()))?;
                    let segment = Segment::from_value(&document).map_err(|reason| {
                        anyhow::anyhow!(
                            "BatchGetTraces: segment {:?} is not a segment document: {reason}",
                            segment.id()
                        )
                    })?;
                    traces.add(segment);
                }
            }
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
    }
    Ok(traces)
}

/// The longest time range asked for in one `GetTraceSummaries` pagination.
const WINDOW_SECS: i64 = 6 * 3_600;

/// The ids of the traces of `start..end`, asked for in windows of at most [`WINDOW_SECS`].
async fn trace_ids(client: &aws_sdk_xray::Client, start: i64, end: i64) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut from = start;
    while from < end {
        let to = end.min(from.saturating_add(WINDOW_SECS));
        window_ids(client, from, to, &mut ids).await?;
        from = to;
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

async fn window_ids(client: &aws_sdk_xray::Client, start: i64, end: i64, ids: &mut Vec<String>) -> anyhow::Result<()> {
    let mut token: Option<String> = None;
    loop {
        let answer = client
            .get_trace_summaries()
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .set_next_token(token.take())
            .send()
            .await;
        let next = match answer {
            Ok(output) => {
                ids.extend(
                    output
                        .trace_summaries()
                        .iter()
                        .filter_map(|s| s.id().map(str::to_owned)),
                );
                output.next_token().map(str::to_owned)
            }
            Err(SdkError::ServiceError(err)) if err.raw().status().as_u16() == 200 => {
                let body = err.raw().body().bytes().unwrap_or_default();
                let (page, next) = ids_from_raw_summaries(body).context("X-Ray GetTraceSummaries")?;
                ids.extend(page);
                next
            }
            Err(e) => bail!("X-Ray GetTraceSummaries: {}", DisplayErrorContext(&e)),
        };
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(()),
        }
    }
}

/// The ids and next token of a `GetTraceSummaries` answer the SDK could not parse.
fn ids_from_raw_summaries(body: &[u8]) -> anyhow::Result<(Vec<String>, Option<String>)> {
    let body: Value = serde_json::from_slice(body).context("a 200 answer the SDK could not parse is not JSON")?;
    let summaries = body
        .get("TraceSummaries")
        .and_then(Value::as_array)
        .context("a 200 answer the SDK could not parse has no TraceSummaries list")?;
    let ids = summaries
        .iter()
        .filter_map(|s| s.get("Id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let next = body.get("NextToken").and_then(Value::as_str).map(str::to_owned);
    Ok((ids, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_summaries_as_moto_answers_them() {
        // moto 5.2.1's shape: a summary with `"Users": {}` (an object where the model has a list).
        let body = br#"{"TraceSummaries": [{"Id": "1-5f000000-000000000000000000000001", "Users": {}},
            {"Id": "1-5f000000-000000000000000000000002", "Users": {}}], "NextToken": "t2"}"#;
        let (ids, next) = ids_from_raw_summaries(body).expect("parses");
        assert_eq!(
            ids,
            [
                "1-5f000000-000000000000000000000001",
                "1-5f000000-000000000000000000000002"
            ]
        );
        assert_eq!(next.as_deref(), Some("t2"));
        assert!(ids_from_raw_summaries(b"{}").is_err());
        assert!(ids_from_raw_summaries(b"not json").is_err());
    }
}
