//! `moat`: the gateway binary. `moat serve --config FILE [--threads N]` serves; `moat check FILE` validates;
//! `moat waf eval` / `moat waf test` explain and regression-test a WebACL without serving.

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
    /// Evaluate a WebACL without serving.
    Waf {
        #[command(subcommand)]
        command: WafCommand,
    },
}

/// The resources a WebACL references (Moat's managed rule groups are always available).
#[derive(clap::Args)]
struct WafResources {
    /// The WebACL (`aws wafv2 get-web-acl` output, JSON or YAML).
    #[arg(long)]
    acl: PathBuf,
    /// An IP set it references (`aws wafv2 get-ip-set` output); repeatable.
    #[arg(long = "ip-set")]
    ip_sets: Vec<PathBuf>,
    /// A regex pattern set it references; repeatable.
    #[arg(long = "regex-pattern-set")]
    regex_pattern_sets: Vec<PathBuf>,
    /// A rule group it references; repeatable.
    #[arg(long = "rule-group")]
    rule_groups: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum WafCommand {
    /// Print the decision for one raw HTTP request (a file, or `-` / nothing for stdin): action, terminating
    /// rule, every matching rule with its group and SQLi/XSS match details, inserted headers and labels.
    Eval {
        #[command(flatten)]
        resources: WafResources,
        /// The raw request: request line, headers, empty line, body.
        request: Option<PathBuf>,
        /// The client address the WebACL sees.
        #[arg(long, default_value = "192.0.2.1")]
        client_ip: std::net::IpAddr,
    },
    /// Run a YAML suite of requests with expected outcomes; exit status 1 when a case fails.
    Test {
        #[command(flatten)]
        resources: WafResources,
        /// The cases file (`cases: [{name, method, path, query, headers, body, client_ip, expect: {action,
        /// terminating_rule, matched, not_matched, labels}}]`).
        cases: PathBuf,
    },
}

fn waf(command: WafCommand) -> ExitCode {
    use moat_gateway::waf_tools::{self, OwnedRequest, ResourceFiles};
    let files = |r: &WafResources| ResourceFiles {
        ip_sets: r.ip_sets.clone(),
        regex_pattern_sets: r.regex_pattern_sets.clone(),
        rule_groups: r.rule_groups.clone(),
    };
    let result = match command {
        WafCommand::Eval {
            resources,
            request,
            client_ip,
        } => waf_tools::load_acl(&resources.acl, &files(&resources)).and_then(|acl| {
            let raw = match request.as_deref() {
                Some(path) if path != std::path::Path::new("-") => {
                    std::fs::read(path).map_err(|source| waf_tools::ToolError::Read {
                        path: path.to_path_buf(),
                        source,
                    })?
                }
                _ => {
                    let mut raw = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut raw).map_err(|source| {
                        waf_tools::ToolError::Read {
                            path: "(stdin)".into(),
                            source,
                        }
                    })?;
                    raw
                }
            };
            let mut req = OwnedRequest::parse_raw(&raw)?;
            req.client_ip = Some(client_ip);
            print!("{}", req.evaluate(&acl, waf_tools::explain));
            Ok(true)
        }),
        WafCommand::Test { resources, cases } => waf_tools::load_acl(&resources.acl, &files(&resources))
            .and_then(|acl| waf_tools::run_cases(&acl, &cases))
            .map(|(report, passed)| {
                print!("{report}");
                passed
            }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("moat waf: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Waf { command } => waf(command),
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
