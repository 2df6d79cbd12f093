//! `humiao-linkbench link`: runs Humiao's linker on a benchmark file, the way `splink_link.py`
//! runs Splink, and optionally links a daily batch incrementally on top.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use humiao_link::{InputRecord, LinkConfig, Linker, Quiet};

/// Reads the benchmark's `records.csv` format.
pub fn read_records(path: &Path) -> anyhow::Result<Vec<InputRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| -> anyhow::Result<usize> {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let (id, source, cid, name, sex, birth, address, father, mother) = (
        col("record_id")?,
        col("source")?,
        col("citizen_id")?,
        col("name")?,
        col("sex")?,
        col("birth_date")?,
        col("address")?,
        col("father_name")?,
        col("mother_name")?,
    );
    let mut out = Vec::new();
    for (line, row) in reader.records().enumerate() {
        // A malformed line is reported and skipped; the rest goes on.
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}:{}: {e}", path.display(), line + 2);
                continue;
            }
        };
        let get = |i: usize| row.get(i).unwrap_or("").to_string();
        let parents: Vec<String> = [get(father), get(mother)]
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect();
        out.push(InputRecord {
            key: get(id),
            source: get(source),
            citizen_id: get(cid),
            name: get(name),
            sex: get(sex),
            birth_date: get(birth),
            address: get(address),
            household: String::new(),
            parent_names: parents,
        });
    }
    Ok(out)
}

fn write_clusters(linker: &Linker, path: &Path) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "record_id,cluster_id")?;
    for (key, cluster) in linker.assignments() {
        match cluster {
            Some(c) => writeln!(out, "{key},{c}")?,
            None => writeln!(out, "{key},")?,
        }
    }
    out.flush()?;
    Ok(())
}

/// The estimated model in a readable form: prior and, per field, m, u and weight by level.
fn model_summary(model: &humiao_link::Model) -> serde_json::Value {
    let fields: serde_json::Map<String, serde_json::Value> = humiao_link::Field::ALL
        .iter()
        .map(|&f| {
            let levels: Vec<serde_json::Value> = (1..f.levels())
                .map(|l| {
                    serde_json::json!({
                        "m": model.m[f.index()][l],
                        "u": model.u[f.index()][l],
                        "weight": model.weight(f, l as u8),
                    })
                })
                .collect();
            (f.code().to_string(), serde_json::Value::Array(levels))
        })
        .collect();
    serde_json::json!({ "prior": model.prior, "fields": fields })
}

pub struct LinkArgs<'a> {
    pub input: &'a Path,
    pub output: &'a Path,
    pub batch: Option<&'a Path>,
    pub threads: usize,
    /// Where to write the clerical-review queue (`a,b,probability`), for inspection.
    pub review: Option<&'a Path>,
}

fn write_review(linker: &Linker, path: &Path) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "a,b,probability")?;
    for pair in linker.review_queue() {
        writeln!(out, "{},{},{:.4}", pair.a, pair.b, pair.probability)?;
    }
    out.flush()?;
    Ok(())
}

/// Links `input` (and then `batch` incrementally) and prints timings as one JSON line on stdout.
pub fn run(args: &LinkArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let records = read_records(args.input)?;
    let read_s = started.elapsed().as_secs_f64();
    let mut linker = Linker::new(LinkConfig {
        threads: args.threads,
        ..LinkConfig::default()
    });
    let t = Instant::now();
    for r in &records {
        linker.add(r);
    }
    let prepare_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let full = linker.link_all(true, &Quiet);
    let link_s = t.elapsed().as_secs_f64();
    let mut report = serde_json::json!({
        "records": records.len(),
        "read_s": read_s,
        "prepare_s": prepare_s,
        "link_s": link_s,
        "stages": full.stages,
        "candidate_pairs": full.candidate_pairs,
        "clusters": full.clusters,
        "review_queue": full.review_queue,
        "refused_id_conflicts": full.refused_id_conflicts,
        "oversized_blocks": full.oversized_blocks,
        "em_iterations": linker.model().map(|m| m.em_iterations),
        "model": linker.model().map(model_summary),
    });
    if let Some(batch) = args.batch {
        let batch_records = read_records(batch)?;
        let t = Instant::now();
        for r in &batch_records {
            linker.add(r);
        }
        let run = linker.link_new(&Quiet);
        let batch_s = t.elapsed().as_secs_f64();
        report["batch_records"] = serde_json::json!(batch_records.len());
        report["batch_link_s"] = serde_json::json!(batch_s);
        report["batch_candidate_pairs"] = serde_json::json!(run.candidate_pairs);
        report["batch_events"] = serde_json::json!(run.events.len());
    }
    if let Some(path) = args.review {
        write_review(&linker, path)?;
    }
    let t = Instant::now();
    write_clusters(&linker, args.output)?;
    report["write_s"] = serde_json::json!(t.elapsed().as_secs_f64());
    report["total_s"] = serde_json::json!(started.elapsed().as_secs_f64());
    println!("{report}");
    Ok(())
}
