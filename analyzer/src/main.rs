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
    /// Summarise X-Ray traces (segment documents from a file, stdin or the X-Ray API): faults, latency
    /// histogram, slowest traces, statuses and URLs; `--filter` takes an X-Ray filter expression.
    Traces(moat_analyzer::traces::TracesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "moatctl", &mut io::stdout());
            ExitCode::SUCCESS
        }
        Command::Traces(args) => match moat_analyzer::traces::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("moatctl traces: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
