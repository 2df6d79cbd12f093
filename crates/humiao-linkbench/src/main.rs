//! `humiao-linkbench`: generate benchmark data, score a clustering, and (through Humiao's
//! linker hook) link. See `bench/linking/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use humiao_linkbench::{generate, run_link, score};

#[derive(Parser)]
#[command(
    version,
    about = "Humiao record-linkage benchmark (see bench/linking/README.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write records.csv, truth.csv, batch.csv and batch_truth.csv for a synthetic county.
    Generate(GenerateArgs),
    /// Score clusters (record_id,cluster_id) against truth (record_id,person_id).
    Score(ScoreArgs),
    // Humiao's linker hook: implemented in src/run_link.rs on top of crate humiao-link, by
    // the linker's authors. The benchmark needs only `link --input F --output F [--batch F]`.
    /// Link records.csv with Humiao's linker (and a daily batch incrementally with --batch).
    Link(LinkArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// Persons in the county (records are about 2.2 per person).
    #[arg(long)]
    persons: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Records in the daily batch.
    #[arg(long, default_value_t = 10_000)]
    batch_records: usize,
}

impl GenerateArgs {
    fn into_options(self) -> anyhow::Result<generate::Options> {
        anyhow::ensure!(self.persons > 0, "--persons must be at least 1");
        Ok(generate::Options {
            persons: self.persons,
            seed: self.seed,
            out: self.out,
            batch_records: self.batch_records,
            progress: true,
        })
    }
}

#[derive(Args)]
struct ScoreArgs {
    #[arg(long)]
    truth: PathBuf,
    #[arg(long)]
    clusters: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct LinkArgs {
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    batch: Option<PathBuf>,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also write the clerical-review queue (a,b,probability) to this file.
    #[arg(long)]
    review: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(args) => {
            let options = args.into_options()?;
            let started = std::time::Instant::now();
            let s = generate::generate(&options)?;
            eprintln!(
                "{} persons, {} records ({:.2} per person), batch {} records ({} about known \
                 persons, {} new persons) → {} in {:.1}s",
                s.persons,
                s.records,
                s.records as f64 / s.persons as f64,
                s.batch_records,
                s.batch_existing_records,
                s.batch_new_persons,
                options.out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        Command::Score(args) => {
            let s = score::score_files(&args.truth, &args.clusters)?;
            if args.json {
                println!("{}", s.to_json());
            } else {
                print!("{}", s.to_table());
            }
        }
        Command::Link(args) => run_link::run(&run_link::LinkArgs {
            input: &args.input,
            output: &args.output,
            batch: args.batch.as_deref(),
            threads: args.threads,
            review: args.review.as_deref(),
        })?,
    }
    Ok(())
}
