use std::process::ExitCode;

use humiao_core::alert::AlertParams;
use humiao_core::PersonId;
use humiao_pipeline::AssessReport;

use crate::args::{AssessArgs, Global};

pub fn print_report(report: &AssessReport) {
    println!(
        "评估 assessed: 儿童 {} 人, 新增认定 {}, 撤销认定 {}, 新预警 {}",
        report.children, report.categories_added, report.categories_removed, report.alerts_raised
    );
    for (category, n) in &report.by_category {
        println!("  {:<12} {n}", category.label_zh());
    }
    if !report.risk_levels.is_empty() {
        println!(
            "  风险等级 risk: {}",
            report
                .risk_levels
                .iter()
                .map(|(level, n)| format!("{level} {n}"))
                .collect::<Vec<_>>()
                .join("，")
        );
    }
}

pub async fn run(global: &Global, args: AssessArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::parse_date(args.as_of.as_deref())?;
    let store = super::open_store(global).await?;
    let pack = humiao_pipeline::active_pack(&store).await?;
    let params = AlertParams::default();
    let report = if args.persons.is_empty() {
        humiao_pipeline::assess_all(&store, as_of, &pack, &params).await?
    } else {
        let named: Vec<PersonId> = args.persons.iter().copied().map(PersonId).collect();
        let mut persons = named.clone();
        persons.extend(store.children_of(&named).await?);
        persons.sort();
        persons.dedup();
        let started = std::time::Instant::now();
        let report =
            humiao_pipeline::assess_children(&store, &persons, as_of, &pack, &params).await?;
        tracing::info!(
            persons = persons.len(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "persons re-assessed"
        );
        report
    };
    print_report(&report);
    let sent = humiao_pipeline::notify_all(&humiao_pipeline::LogNotifier, &report.notifications);
    if sent > 0 {
        println!("  通知 notifications: {sent}（渠道：日志 humiao::notify）");
    }
    Ok(ExitCode::SUCCESS)
}
