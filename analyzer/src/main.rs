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
        Command::Query(args) => match moat_analyzer::query::run(&args) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("moatctl query: {:#}", anyhow::Error::from(e));
                ExitCode::from(2)
            }
        },
    }
}
