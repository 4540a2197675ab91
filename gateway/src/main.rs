//! `moat`: the gateway binary. `moat serve --config FILE [--threads N]` serves; `moat check FILE` validates.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use moat_gateway::config::{self, LoadOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Moat: a self-hosted API gateway modelled on Amazon API Gateway.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the APIs of a config file until SIGTERM or SIGINT.
    Serve {
        /// The config file (YAML or JSON).
        #[arg(long, short)]
        config: PathBuf,
        /// Worker threads, each a single-threaded event loop on its own core (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Validate a config file without serving; exit status 1 when it has errors.
    Check {
        /// The config file (YAML or JSON).
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => match config::load(
            &config,
            LoadOptions {
                open_sinks: false,
                threads: None,
            },
        ) {
            Ok(gateway) => {
                let routes: usize = gateway
                    .apis
                    .iter()
                    .flat_map(|api| api.stages.values())
                    .map(|stage| stage.main.routes.len())
                    .sum();
                println!(
                    "{}: OK ({} API(s), {} stage(s), {} route(s) across stages)",
                    config.display(),
                    gateway.apis.len(),
                    gateway.apis.iter().map(|a| a.stages.len()).sum::<usize>(),
                    routes
                );
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{errors}");
                eprintln!("moat: {} error(s) in {}", errors.errors.len(), config.display());
                ExitCode::from(1)
            }
        },
        Command::Serve { config, threads } => {
            let gateway = match config::load(
                &config,
                LoadOptions {
                    open_sinks: true,
                    threads,
                },
            ) {
                Ok(gateway) => Arc::new(gateway),
                Err(errors) => {
                    eprintln!("{errors}");
                    eprintln!(
                        "moat: {} error(s) in {}; not serving",
                        errors.errors.len(),
                        config.display()
                    );
                    return ExitCode::from(1);
                }
            };
            match moat_gateway::server::run(gateway) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("moat: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
