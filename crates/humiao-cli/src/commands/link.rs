use std::process::ExitCode;

use humiao_core::linking::ExactLinker;
use humiao_pipeline::LinkReport;

use crate::args::{Global, LinkArgs};

pub fn print_report(report: &LinkReport) {
    println!(
        "关联 linked: {} 条记录, 新建人员 {} 人, 已关联 {} 处, 未能关联 {} 处, 事实 {} 条, 亲属关系 {} 条",
        report.records,
        report.persons_created,
        report.mentions_linked,
        report.mentions_unmatched,
        report.facts,
        report.relationships
    );
    for (rule, n) in &report.by_rule {
        println!("  {:<40} {n}", rule.label_zh());
    }
}

pub async fn run(global: &Global, args: LinkArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let report = humiao_pipeline::link_pending(&store, &ExactLinker).await?;
    print_report(&report);
    if args.unmatched {
        println!("未能关联的记录 (unmatched):");
        for row in store.unmatched(1000).await? {
            println!(
                "  记录 {} {} {} 第{}行 [{}] {}",
                row.source_record_id,
                row.department,
                row.file_name,
                row.line,
                row.role.as_str(),
                row.reason
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
