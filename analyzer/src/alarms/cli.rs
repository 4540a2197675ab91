//! The `moatctl alarms` command: flags, batch and watch drivers, output and actions.
//!
//! Output: without `--json`, one line per state change (`TIME  ALARM  OLD -> NEW  REASON`) and, at the end,
//! a table of final states; with `--json`, one `AlarmHistoryItems` entry per line (JSON Lines, oldest first;
//! `jq -s '{AlarmHistoryItems: .}'` gives DescribeAlarmHistory's shape), each action run an `Action` item. Warnings and action failures go to
//! stderr. Exit status: 0 when every alarm ends OK, 2 when any ends in ALARM, 3 when none is in ALARM but
//! some have INSUFFICIENT_DATA, 1 for a config or source error.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::config::{self, Action};
use super::eval::{StateValue, Transition};
use super::history::{notification, HistoryItem};
use super::metrics::AccessLogDefaults;
use super::time::rfc3339;
use super::{actions, watch, Engine};
use crate::source::Source;

/// `moatctl alarms`: evaluate CloudWatch-style metric alarms over a log source.
#[derive(Debug, Clone, clap::Args)]
pub struct AlarmsArgs {
    /// The alarms file: a YAML or JSON list of alarms with PutMetricAlarm's field names.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Where the events come from: a file, or `-` for stdin.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Follow the source and evaluate every period on the wall clock, until the source ends (stdin) or
    /// the command is interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Print state changes as DescribeAlarmHistory items, one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// `ApiName` for access-log records that carry no `apiName` (REST APIs).
    #[arg(long, value_name = "NAME")]
    pub api_name: Option<String>,
    /// `ApiId` for access-log records that carry no `apiId` (HTTP APIs).
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// `Stage` for access-log records that carry no `stage`.
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Print state changes but run no action.
    #[arg(long)]
    pub no_actions: bool,
}

/// Runs the command; the exit code says how the alarms ended.
///
/// # Errors
/// A config or source error (exit status 1).
pub fn run(args: &AlarmsArgs) -> anyhow::Result<ExitCode> {
    let alarms = config::load(&args.config)?;
    let defaults = AccessLogDefaults {
        api_name: args.api_name.clone(),
        api_id: args.api_id.clone(),
        stage: args.stage.clone(),
    };
    let mut engine = Engine::new(alarms, defaults);
    let mut out = Output {
        json: args.json,
        run_actions: !args.no_actions,
        stdout: io::stdout(),
    };
    let source = Source::parse(&args.source);
    if args.watch {
        watch::run(&source, &mut engine, &mut out)?;
    } else {
        source
            .for_each_event(|event| {
                engine.feed(&event);
                std::ops::ControlFlow::Continue(())
            })
            .with_context(|| format!("reading {}", args.source))?;
        let changes = engine.finish();
        out.report(&engine, &changes, true)?;
    }
    warn_about_input(&engine);
    out.summary(&engine)?;
    Ok(ExitCode::from(engine.exit_code()))
}

fn warn_about_input(engine: &Engine) {
    let stats = engine.stats();
    if stats.access_no_api > 0 {
        eprintln!(
            "moatctl alarms: {} access-log records name no API (no apiName/apiId field); pass --api-name (REST) or \
             --api-id (HTTP) to derive AWS/ApiGateway metrics from them",
            stats.access_no_api
        );
    }
    if stats.access_no_time > 0 {
        eprintln!(
            "moatctl alarms: {} access-log records have no requestTimeEpoch or requestTime",
            stats.access_no_time
        );
    }
    if stats.emf_invalid > 0 {
        eprintln!(
            "moatctl alarms: {} invalid EMF directives or metrics were skipped",
            stats.emf_invalid
        );
    }
    for evaluator in engine.evaluators() {
        if evaluator.matched() == 0 {
            let alarm = evaluator.alarm();
            eprintln!(
                "moatctl alarms: alarm {:?}: no data for {} {} with dimensions [{}]",
                alarm.name,
                alarm.namespace,
                alarm.metric_name,
                alarm
                    .dimensions
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

/// Where state changes go.
pub(super) struct Output {
    json: bool,
    run_actions: bool,
    stdout: io::Stdout,
}

impl Output {
    /// Prints state changes and, when `actions` is true, runs their alarms' actions.
    pub(super) fn report(&mut self, engine: &Engine, changes: &[Transition], actions: bool) -> io::Result<()> {
        let mut out = self.stdout.lock();
        for change in changes {
            if self.json {
                let line = serde_json::to_string(&HistoryItem::of(change)).unwrap_or_default();
                writeln!(out, "{line}")?;
            } else {
                writeln!(
                    out,
                    "{}  {}  {} -> {}  {}",
                    rfc3339(change.timestamp_ms),
                    change.alarm,
                    change.old.value.as_str(),
                    change.new.value.as_str(),
                    change.new.reason
                )?;
            }
            out.flush()?;
            if actions && self.run_actions {
                for (action, result) in run_actions(engine, change) {
                    if let Err(e) = &result {
                        eprintln!("moatctl alarms: alarm {:?}: action failed: {e}", change.alarm);
                    }
                    if self.json {
                        let item = HistoryItem::action(change, &action.to_string(), result.as_ref().err());
                        writeln!(out, "{}", serde_json::to_string(&item).unwrap_or_default())?;
                    }
                }
                out.flush()?;
            }
        }
        Ok(())
    }

    /// The final-state table (not with `--json`).
    pub(super) fn summary(&mut self, engine: &Engine) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        let rows: Vec<[String; 3]> = engine
            .evaluators()
            .iter()
            .map(|e| {
                [
                    e.alarm().name.clone(),
                    e.state().value.as_str().to_owned(),
                    e.state().reason.clone(),
                ]
            })
            .collect();
        let width = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0).max(5);
        let mut out = self.stdout.lock();
        writeln!(out)?;
        writeln!(out, "{:<width$}  {:<17}  REASON", "ALARM", "STATE")?;
        for [name, state, reason] in rows {
            writeln!(out, "{name:<width$}  {state:<17}  {reason}")?;
        }
        out.flush()
    }
}

/// Runs the actions of the alarm's new state (none when its actions are disabled); each with its outcome.
fn run_actions(engine: &Engine, change: &Transition) -> Vec<(Action, Result<(), actions::ActionError>)> {
    let Some(evaluator) = engine.evaluators().iter().find(|e| e.alarm().name == change.alarm) else {
        return Vec::new();
    };
    let alarm = evaluator.alarm();
    let list: &[Action] = match change.new.value {
        StateValue::Alarm => &alarm.alarm_actions,
        StateValue::Ok => &alarm.ok_actions,
        StateValue::InsufficientData => &alarm.insufficient_data_actions,
    };
    if !alarm.actions_enabled || list.is_empty() {
        return Vec::new();
    }
    let body = notification(alarm, change);
    let env = [
        ("MOAT_ALARM_NAME", alarm.name.as_str()),
        ("MOAT_ALARM_STATE", change.new.value.as_str()),
        ("MOAT_ALARM_OLD_STATE", change.old.value.as_str()),
    ];
    list.iter()
        .map(|action| (action.clone(), actions::run(action, &body, &env)))
        .collect()
}
