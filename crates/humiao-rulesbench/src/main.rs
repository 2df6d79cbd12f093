//! `humiao-rulesbench --children 600000 --threads 2`: generates a county, assesses it with the
//! national pack and with the same rules in Rhai, checks they agree child by child, and prints
//! the times and their ratio. See `bench/rules/README.md`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Parser;
use humiao_rulesbench::{county, humiao, peer::Peer, Outcome};

#[derive(Parser)]
#[command(about = "Rules benchmark: Humiao's national rule pack vs the same rules in Rhai")]
struct Args {
    #[arg(long, default_value_t = 600_000)]
    children: usize,
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The Rhai version of the rules (default: bench/rules/national.rhai, built in).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Instead: time the application's assessment on a county in this database
    /// (`sqlite://…` or `postgres://…`, e.g. one `humiao demo` built), whole and one child.
    #[arg(long)]
    db: Option<String>,
    /// With `--db`: how many single children to re-assess.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// With `--db`: the assessment date (default 2026-11-22).
    #[arg(long)]
    as_of: Option<NaiveDate>,
}

/// Runs `f` over the children on `threads` threads, keeping their order.
fn run<F>(children: &[county::Child], threads: usize, f: F) -> anyhow::Result<Vec<Outcome>>
where
    F: Fn(&county::Child) -> anyhow::Result<Outcome> + Sync,
{
    let chunk = children.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = children
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<anyhow::Result<Vec<_>>>()))
            .collect();
        let mut out = Vec::with_capacity(children.len());
        for h in handles {
            out.extend(h.join().expect("worker finished")?);
        }
        Ok(out)
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let as_of = args
        .as_of
        .unwrap_or(NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date"));
    if let Some(url) = &args.db {
        let figures = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads.max(1))
            .enable_all()
            .build()?
            .block_on(humiao_rulesbench::db::measure(url, as_of, args.samples))?;
        println!(
            "{{\"persons\":{},\"children\":{},\"county_s\":{:.2},\"one_child_samples\":{},\"one_child_p50_ms\":{:.2},\"one_child_p99_ms\":{:.2},\"one_child_max_ms\":{:.2}}}",
            figures.persons,
            figures.children,
            figures.county_s,
            figures.one_child_ms.len(),
            figures.quantile(0.5),
            figures.quantile(0.99),
            figures.quantile(1.0)
        );
        return Ok(());
    }
    let t = Instant::now();
    let children = county::generate(args.children, args.seed, as_of);
    let generate_s = t.elapsed().as_secs_f64();

    let pack = humiao_rules::national();
    let t = Instant::now();
    let params = pack.parameter_values(as_of);
    let ours = run(&children, args.threads, |c| {
        Ok(humiao(&pack, c, as_of, &params))
    })?;
    let humiao_s = t.elapsed().as_secs_f64();

    let script = match &args.script {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => humiao_rulesbench::peer::NATIONAL_RHAI.to_string(),
    };
    let t = Instant::now();
    let peer = Peer::new(&script, &pack, as_of)?;
    let theirs = run(&children, args.threads, |c| peer.assess(c, as_of))?;
    let rhai_s = t.elapsed().as_secs_f64();

    let disagreements: Vec<usize> = (0..children.len())
        .filter(|&i| ours[i] != theirs[i])
        .collect();
    for &i in disagreements.iter().take(5) {
        eprintln!("child {i}: humiao {:?} vs rhai {:?}", ours[i], theirs[i]);
    }
    let with_category = ours.iter().filter(|o| !o.categories.is_empty()).count();
    // One child after a change: the mean of repeated single assessments.
    let t = Instant::now();
    let reps = 2000;
    for i in 0..reps {
        let c = &children[i % children.len()];
        std::hint::black_box(humiao(&pack, c, as_of, &pack.parameter_values(as_of)));
    }
    let one_us = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
    println!(
        "{{\"children\":{},\"threads\":{},\"generate_s\":{generate_s:.2},\"humiao_s\":{humiao_s:.3},\"rhai_s\":{rhai_s:.3},\"ratio\":{:.1},\"with_category\":{with_category},\"disagreements\":{},\"one_child_us\":{one_us:.1}}}",
        children.len(),
        args.threads,
        rhai_s / humiao_s,
        disagreements.len()
    );
    anyhow::ensure!(
        disagreements.is_empty(),
        "{} children differ between the two systems",
        disagreements.len()
    );
    Ok(())
}
