//! `moatctl`: the command-line analyzer. Data goes to stdout, messages to stderr; exit codes are documented per
//! command in docs/analyzer.md.

use std::io;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

/// Tail, query, alarm on and judge Moat's and Amazon API Gateway's logs.
#[derive(Parser)]
#[command(name = "moatctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        /// The shell to complete for.
        shell: Shell,
    },
    /// Evaluate CloudWatch-style metric alarms (PutMetricAlarm fields) over EMF metrics and access logs.
    Alarms(moat_analyzer::alarms::AlarmsArgs),
    /// Print the events of files, globs, stdin and CloudWatch Logs groups, as `aws logs tail` does.
    Tail(moat_analyzer::tail::TailArgs),
    /// Judge a canary against its baseline from access logs (Mann-Whitney, Kayenta-style score); exit 0 pass,
    /// 1 fail or marginal, 2 not enough data, 3 error.
    Canary(moat_analyzer::canary::CanaryArgs),
    /// Summarise X-Ray traces (segment documents from a file, stdin or the X-Ray API): faults, latency
    /// histogram, slowest traces, statuses and URLs; `--filter` takes an X-Ray filter expression.
    Traces(moat_analyzer::traces::TracesArgs),
    /// Run a CloudWatch Logs Insights query over a file, stdin or a CloudWatch Logs group.
    Query(moat_analyzer::query::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "moatctl", &mut io::stdout());
            ExitCode::SUCCESS
        }
        Command::Alarms(args) => match moat_analyzer::alarms::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("moatctl alarms: {e:#}");
                ExitCode::from(1)
            }
        },
        Command::Tail(args) => moat_analyzer::tail::run(&args),
        Command::Canary(args) => moat_analyzer::canary::run(&args).unwrap_or_else(|e| {
            eprintln!("moatctl canary: {e}");
            ExitCode::from(moat_analyzer::canary::ERROR_EXIT_CODE)
        }),
        Command::Traces(args) => match moat_analyzer::traces::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("moatctl traces: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Query(args) => match moat_analyzer::query::run(&args) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("moatctl query: {:#}", anyhow::Error::from(e));
                ExitCode::from(2)
            }
        },
    }
}
