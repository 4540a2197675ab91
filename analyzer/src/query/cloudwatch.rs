//! Running a query where the logs live: CloudWatch Logs Insights. `StartQuery` with the log group and the time
//! range (epoch seconds, start rounded down and end up, so the range covers `--since`/`--until`), then
//! `GetQueryResults` every half second (backing off to 2 s) until the status is `Complete`; the rows are printed
//! with the same writers as local results. Columns are the fields in the order the service returns them, without
//! the internal `@ptr`.

use std::io::Write;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use aws_sdk_cloudwatchlogs::Client;
use moat_telemetry::aws::{sdk_config, AwsSettings};

use super::error::QueryError;
use super::executor::Summary;
use super::output::{Format, RowWriter, Writer};
use super::value::{format_timestamp, Val};

/// How long a query may run before `moatctl` gives up (Insights itself times out after 60 minutes).
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Runs `query` over `group` in CloudWatch Logs for `[start_ms, end_ms]` and writes the result to `out`.
pub fn run(
    group: &str,
    query: &str,
    start_ms: i64,
    end_ms: i64,
    format: Format,
    out: impl Write,
) -> Result<Summary, QueryError> {
    if group.is_empty() {
        return Err(QueryError::Usage(
            "cloudwatch: needs a log group name, as in cloudwatch:/aws/apigateway/prod".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| QueryError::CloudWatch(format!("starting the I/O runtime: {e}")))?;
    let (columns, rows) = runtime.block_on(fetch(group, query, start_ms, end_ms))?;
    write_rows(columns, rows, format, out)
}

/// The result as `(columns, rows)`: every row holds one value per column.
pub async fn fetch(
    group: &str,
    query: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<(Vec<String>, Vec<Vec<Val<'static>>>), QueryError> {
    let config = sdk_config(&AwsSettings::default()).await;
    let client = Client::new(&config);
    let err = |e: &dyn std::fmt::Display| QueryError::CloudWatch(e.to_string());
    let started = client
        .start_query()
        .log_group_names(group)
        .start_time(start_ms.div_euclid(1000))
        .end_time((end_ms + 999).div_euclid(1000))
        .query_string(query)
        .send()
        .await
        .map_err(|e| err(&DisplayErrorContext(e)))?;
    let id = started
        .query_id()
        .ok_or_else(|| QueryError::CloudWatch("StartQuery returned no queryId".into()))?
        .to_owned();
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    let mut pause = Duration::from_millis(500);
    loop {
        let results = client
            .get_query_results()
            .query_id(&id)
            .send()
            .await
            .map_err(|e| err(&DisplayErrorContext(e)))?;
        match results.status() {
            Some(QueryStatus::Complete) => {
                let mut columns: Vec<String> = Vec::new();
                let mut cells: Vec<Vec<(usize, String)>> = Vec::new();
                for row in results.results() {
                    let mut out = Vec::new();
                    for field in row {
                        let (Some(name), Some(value)) = (field.field(), field.value()) else {
                            continue;
                        };
                        if name == "@ptr" {
                            continue;
                        }
                        let index = match columns.iter().position(|c| c == name) {
                            Some(i) => i,
                            None => {
                                columns.push(name.to_owned());
                                columns.len() - 1
                            }
                        };
                        out.push((index, value.to_owned()));
                    }
                    cells.push(out);
                }
                let rows = cells
                    .into_iter()
                    .map(|row| {
                        let mut values = vec![Val::Null; columns.len()];
                        for (i, value) in row {
                            values[i] = cell(&columns[i], value);
                        }
                        values
                    })
                    .collect();
                return Ok((columns, rows));
            }
            Some(QueryStatus::Scheduled) | Some(QueryStatus::Running) | None => {}
            Some(other) => {
                return Err(QueryError::CloudWatch(format!(
                    "query {id} ended with status {}",
                    other.as_str()
                )))
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(QueryError::CloudWatch(format!(
                "query {id} still not complete after {} s",
                MAX_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// A result cell: `@timestamp`s given as epoch milliseconds (as moto gives them) shown like Insights shows them.
fn cell(column: &str, value: String) -> Val<'static> {
    if column == "@timestamp" && !value.is_empty() && value.len() <= 16 && value.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(ms) = value.parse::<i64>() {
            return Val::Str(format_timestamp(ms).into());
        }
    }
    Val::Str(value.into())
}

fn write_rows(
    columns: Vec<String>,
    rows: Vec<Vec<Val<'static>>>,
    format: Format,
    out: impl Write,
) -> Result<Summary, QueryError> {
    let named = columns.into_iter().enumerate().map(|(i, n)| (n, i)).collect();
    let mut writer = Writer::new(format, named, out);
    let count = rows.len();
    for row in rows {
        writer.write(&row).map_err(QueryError::Output)?;
    }
    writer.finish().map_err(QueryError::Output)?;
    Ok(Summary {
        rows: count,
        truncated: false,
    })
}
