//! `cargo run --release -p humiao-demo --example generate -- OUT_DIR [CHILDREN] [SEED]`
//! Writes the demo county to OUT_DIR and prints the summary and the time taken.

use std::path::PathBuf;
use std::time::Instant;

use humiao_demo::{generate, DemoConfig};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "demo-out".into()));
    let mut config = DemoConfig::default();
    if let Some(n) = args.next() {
        config.children = n.parse()?;
    }
    if let Some(s) = args.next() {
        config.seed = s.parse()?;
    }
    let started = Instant::now();
    let county = generate(&config, &out)?;
    let elapsed = started.elapsed();
    println!("{}", serde_json::to_string_pretty(&county.summary)?);
    println!(
        "regions: {}, truth children: {}, generated in {:.3}s",
        county.regions.len(),
        county.truth.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
