//! `humiao`: the one binary. Parses arguments, sets up logging, runs a command, maps errors to
//! exit codes. Each command lives in its own module under `commands/`.

mod args;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// mimalloc instead of glibc's allocator: serving a page allocates and frees thousands of small
/// strings and rows on several threads at once, where glibc's arenas spent about a fifth of the
/// server's CPU (BENCHMARKS.md, "Early warning under load").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 success; 1 failure; 2 usage (clap); 65 input data could not be read.
pub const EXIT_DATA: u8 = 65;

fn init_logging(format: args::LogFormat, verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if verbose { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("HUMIAO_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        args::LogFormat::Json => builder.json().init(),
        args::LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => commands::demo::run(&cli.global, args).await,
            Command::Import(args) => commands::import::run(&cli.global, args).await,
            Command::Link(args) => commands::link::run(&cli.global, args).await,
            Command::Assess(args) => commands::assess::run(&cli.global, args).await,
            Command::Rules(args) => commands::rules::run(&cli.global, args).await,
            Command::Explain(args) => commands::rules::explain(&cli.global, args).await,
            Command::Serve(args) => commands::serve::run(&cli.global, args).await,
            Command::Migrate => commands::migrate::run(&cli.global).await,
            Command::User(args) => commands::user::run(&cli.global, args).await,
            Command::Apikey(args) => commands::apikey::run(&cli.global, args).await,
            Command::Events(args) => commands::events::run(&cli.global, args).await,
            Command::Alerts(args) => commands::events::alerts(&cli.global, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误 error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
