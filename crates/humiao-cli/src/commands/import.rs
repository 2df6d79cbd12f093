//! `humiao import`: the same code path the demo uses to load its county.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use humiao_core::alert::AlertParams;
use humiao_core::Department;
use humiao_pipeline::{FileOutcome, ImportError};
use humiao_store::Store;

use crate::args::{Global, ImportArgs, ImportSub};
use crate::progress::Bar;
use crate::EXIT_DATA;

/// Imports `files` of `department` with the mapping at `mapping`; prints one line per file.
/// Returns whether every file could be read.
pub async fn import_files(
    store: &Store,
    department: Department,
    mapping: &Path,
    files: &[PathBuf],
    imported_by: &str,
) -> anyhow::Result<bool> {
    let mapping = humiao_pipeline::load_mapping(department, mapping)?;
    let bar = Bar::new();
    let mut all_read = true;
    for file in files {
        match humiao_pipeline::import_file(store, &mapping, file, imported_by, &bar).await {
            Ok(FileOutcome::Imported(r)) => println!(
                "导入批次 {} {}: {} 行, 新增 {}, 重复 {}, 隔离 {}{}",
                r.batch_id,
                r.file,
                r.rows_total,
                r.rows_new,
                r.rows_duplicate,
                r.rows_quarantined,
                if r.rows_quarantined > 0 {
                    format!(" (humiao import errors {})", r.batch_id)
                } else {
                    String::new()
                }
            ),
            Ok(FileOutcome::AlreadyImported { batch_id, file }) => {
                println!("{file}: 内容与批次 {batch_id} 相同，已导入过，未做任何更改")
            }
            Err(e @ (ImportError::Read(_) | ImportError::Io { .. })) => {
                eprintln!("文件无法导入 {}: {e}", file.display());
                all_read = false;
            }
            Err(e) => return Err(e).with_context(|| format!("importing {}", file.display())),
        }
    }
    Ok(all_read)
}

pub async fn run(global: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    match args.sub {
        Some(ImportSub::Errors { batch }) => {
            let b = store
                .batch(batch)
                .await
                .with_context(|| format!("batch {batch}"))?;
            println!(
                "批次 {} {} {} ({}): {} 行隔离",
                b.id,
                b.department.label_zh(),
                b.file_name,
                b.status.label_zh(),
                b.rows_quarantined
            );
            if let Some(error) = &b.error {
                println!("文件错误: {error}");
            }
            println!("file,line,field,column,value,reason");
            for q in store.quarantine(batch).await? {
                println!(
                    "{},{},{},{},{},{}",
                    csv_cell(&b.file_name),
                    q.line,
                    q.field,
                    csv_cell(&q.column),
                    csv_cell(&q.value),
                    csv_cell(&q.reason)
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(ImportSub::Batches) => {
            for b in store.batches(None).await? {
                println!(
                    "{:>5} {} {:<28} {} 行 {} 新 {} 重复 {} 隔离 {}",
                    b.id,
                    b.department.label_zh(),
                    b.file_name,
                    b.status.label_zh(),
                    b.rows_total,
                    b.rows_new,
                    b.rows_duplicate,
                    b.rows_quarantined
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let source = args.source.expect("required by clap");
    let department = Department::parse(&source).ok_or_else(|| {
        anyhow!("unknown department `{source}`: use police, education, civil_affairs, justice, court, disability or health")
    })?;
    let mapping = args.mapping.expect("required by clap");
    let all_read = import_files(&store, department, &mapping, &args.files, "cli").await?;
    if !args.no_link {
        let as_of = super::parse_date(args.as_of.as_deref())?;
        let report = humiao_pipeline::link_records(
            &store,
            &humiao_pipeline::LinkOptions::default(),
            &crate::progress::Bar::new(),
        )
        .await?;
        super::link::print_report(&report);
        let report = humiao_pipeline::assess_all(
            &store,
            as_of,
            &*humiao_pipeline::active_pack(&store).await?,
            &AlertParams::default(),
        )
        .await?;
        super::assess::print_report(&report);
    }
    Ok(if all_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DATA)
    })
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
