//! CloudWatch Logs log groups (`cloudwatch:GROUP`), read through the AWS SDK with the standard configuration
//! chain (`moat_telemetry::aws::sdk_config`: environment, profiles, instance roles; `AWS_ENDPOINT_URL` honoured;
//! rustls).
//!
//! - Several streams, a prefix or none named: `FilterLogEvents` over the time range, page after page
//!   (`nextToken`), with the filter pattern sent as `filterPattern`. Following polls again from the newest
//!   timestamp seen and drops the events already printed at that timestamp by `eventId`, as `aws logs tail
//!   --follow` does.
//! - Exactly one stream named: `GetLogEvents` from the head, page after page (`nextForwardToken`, finished when
//!   the token comes back unchanged); following keeps polling with the last forward token. `GetLogEvents` takes
//!   no filter pattern; the local filter applies.
//!
//! A stream-name prefix is also checked locally (moto ignores `logStreamNamePrefix`).

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;
use aws_sdk_cloudwatchlogs::Client;
use moat_telemetry::aws::{sdk_config, AwsSettings};
use tokio::runtime::Runtime;

use super::{ReadOptions, SourceError};
use crate::event::LogEvent;

/// A runtime for the SDK calls (each page is awaited, then its events are passed on synchronously) and a client.
pub(crate) struct CloudWatch {
    runtime: Runtime,
    client: Client,
}

impl CloudWatch {
    /// Loads the AWS configuration and builds a client.
    pub(crate) fn connect() -> Result<CloudWatch, SourceError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SourceError::Runtime)?;
        let config = runtime.block_on(sdk_config(&AwsSettings::default()));
        let client = Client::new(&config);
        Ok(CloudWatch { runtime, client })
    }
}

/// How a group is read.
enum Mode {
    /// `FilterLogEvents`, restarting each poll at the newest timestamp seen.
    Filter {
        start_time: Option<i64>,
        newest: Option<i64>,
        ids_at_newest: HashSet<String>,
    },
    /// `GetLogEvents` on one stream, continuing from the last forward token.
    Stream { stream: Arc<str>, token: Option<String> },
}

/// One log group being read (once, or polled again and again when following).
pub(crate) struct GroupReader {
    group: String,
    group_name: Arc<str>,
    mode: Mode,
    start_time: Option<i64>,
    end_time: Option<i64>,
    filter_pattern: Option<String>,
    stream_names: Vec<String>,
    stream_prefix: Option<String>,
    /// Stream names handed out, shared by every event of a stream.
    streams: HashMap<String, Arc<str>>,
}

impl GroupReader {
    /// A reader of `group` with the time range, pattern and stream selection of `options`.
    pub(crate) fn new(group: &str, options: &ReadOptions) -> GroupReader {
        let mode = match options.log_stream_names.as_slice() {
            [one] => Mode::Stream {
                stream: Arc::from(one.as_str()),
                token: None,
            },
            _ => Mode::Filter {
                start_time: options.since,
                newest: None,
                ids_at_newest: HashSet::new(),
            },
        };
        GroupReader {
            group: group.to_owned(),
            group_name: Arc::from(group),
            mode,
            start_time: options.since,
            end_time: options.until,
            filter_pattern: options.filter_pattern.clone().filter(|p| !p.trim().is_empty()),
            stream_names: options.log_stream_names.clone(),
            stream_prefix: options.log_stream_name_prefix.clone(),
            streams: HashMap::new(),
        }
    }

    fn error(&self, error: impl std::error::Error) -> SourceError {
        SourceError::CloudWatch {
            group: self.group.clone(),
            message: DisplayErrorContext(error).to_string(),
        }
    }

    fn stream_name(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.streams.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        self.streams.insert(name.to_owned(), shared.clone());
        shared
    }

    /// Reads every event available now (all pages), passing each to `emit`.
    pub(crate) fn poll(
        &mut self,
        cloudwatch: &CloudWatch,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        match self.mode {
            Mode::Filter { .. } => self.poll_filter(cloudwatch, emit),
            Mode::Stream { .. } => self.poll_stream(cloudwatch, emit),
        }
    }

    fn poll_filter(
        &mut self,
        cloudwatch: &CloudWatch,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        let mut token: Option<String> = None;
        loop {
            let Mode::Filter { start_time, .. } = &self.mode else {
                return Ok(ControlFlow::Continue(()));
            };
            let names = (!self.stream_names.is_empty()).then(|| self.stream_names.clone());
            // `interleaved` is deprecated (AWS always interleaves); moto still sorts across streams only with it.
            #[allow(deprecated)]
            let request = cloudwatch
                .client
                .filter_log_events()
                .log_group_name(&self.group)
                .set_start_time(*start_time)
                .set_end_time(self.end_time)
                .set_filter_pattern(self.filter_pattern.clone())
                .set_log_stream_names(names)
                .set_log_stream_name_prefix(self.stream_prefix.clone())
                .interleaved(true)
                .set_next_token(token.take());
            let page = cloudwatch.runtime.block_on(request.send()).map_err(|e| self.error(e))?;
            for found in page.events() {
                let stream = found.log_stream_name().unwrap_or_default();
                if self
                    .stream_prefix
                    .as_deref()
                    .is_some_and(|prefix| !stream.starts_with(prefix))
                {
                    continue;
                }
                if let (Some(timestamp), Some(id)) = (found.timestamp(), found.event_id()) {
                    let Mode::Filter {
                        newest, ids_at_newest, ..
                    } = &mut self.mode
                    else {
                        continue;
                    };
                    match *newest {
                        Some(n) if timestamp < n => {}
                        Some(n) if timestamp == n => {
                            if !ids_at_newest.insert(id.to_owned()) {
                                continue;
                            }
                        }
                        _ => {
                            *newest = Some(timestamp);
                            ids_at_newest.clear();
                            ids_at_newest.insert(id.to_owned());
                        }
                    }
                }
                let event = LogEvent {
                    timestamp: found.timestamp(),
                    ingestion_time: found.ingestion_time(),
                    message: found.message().unwrap_or_default().to_owned(),
                    log_stream: Some(self.stream_name(stream)),
                    log_group: Some(self.group_name.clone()),
                };
                if emit(event).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            match page.next_token() {
                Some(next) => token = Some(next.to_owned()),
                None => {
                    if let Mode::Filter {
                        start_time,
                        newest: Some(newest),
                        ..
                    } = &mut self.mode
                    {
                        *start_time = Some(*newest);
                    }
                    return Ok(ControlFlow::Continue(()));
                }
            }
        }
    }

    fn poll_stream(
        &mut self,
        cloudwatch: &CloudWatch,
        emit: &mut dyn FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SourceError> {
        loop {
            let Mode::Stream { stream, token } = &self.mode else {
                return Ok(ControlFlow::Continue(()));
            };
            let stream = stream.clone();
            let sent = token.clone();
            let request = cloudwatch
                .client
                .get_log_events()
                .log_group_name(&self.group)
                .log_stream_name(stream.as_ref())
                .start_from_head(true)
                .set_start_time(self.start_time)
                .set_end_time(self.end_time)
                .set_next_token(sent.clone());
            let page = cloudwatch.runtime.block_on(request.send()).map_err(|e| self.error(e))?;
            for found in page.events() {
                let event = LogEvent {
                    timestamp: found.timestamp(),
                    ingestion_time: found.ingestion_time(),
                    message: found.message().unwrap_or_default().to_owned(),
                    log_stream: Some(stream.clone()),
                    log_group: Some(self.group_name.clone()),
                };
                if emit(event).is_break() {
                    if let Mode::Stream { token, .. } = &mut self.mode {
                        *token = page.next_forward_token().map(str::to_owned).or(sent);
                    }
                    return Ok(ControlFlow::Break(()));
                }
            }
            let next = page.next_forward_token().map(str::to_owned);
            // "If you have reached the end of the stream, it returns the same token you passed in" (GetLogEvents
            // API reference); an empty page alone does not mean the end.
            let finished = next.is_none() || next == sent;
            if let Mode::Stream { token, .. } = &mut self.mode {
                if next.is_some() {
                    *token = next;
                }
            }
            if finished {
                return Ok(ControlFlow::Continue(()));
            }
        }
    }
}
