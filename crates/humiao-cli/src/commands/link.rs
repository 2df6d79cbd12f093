use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use humiao_link::{PairExplanation, RecordExplanation};
use humiao_pipeline::{LinkOptions, LinkReport};

use crate::args::{Global, LinkArgs};

pub fn print_report(report: &LinkReport) {
    println!(
        "关联 linked ({}): {} 条记录, {} 处提及; 新建人员 {} 人, 更新 {} 人, 合并 {} 人, 拆分 {} 人; \
         已关联 {} 处, 未能关联 {} 处; 事实 {} 条, 亲属关系 {} 条; 待人工核对 {} 对",
        match report.mode {
            humiao_link::RunMode::Full => "全量 full",
            humiao_link::RunMode::Incremental => "增量 incremental",
        },
        report.records,
        report.mentions,
        report.persons_created,
        report.persons_updated,
        report.persons_merged,
        report.persons_split,
        report.mentions_linked,
        report.mentions_unmatched,
        report.facts,
        report.relationships,
        report.review_queue
    );
    for (rule, n) in &report.by_rule {
        println!("  {:<32} {n}", rule.label_zh());
    }
    let e = &report.engine;
    println!(
        "  候选对 candidate pairs {}, 身份证号冲突拒绝合并 {}, 人工否决 {}, 超大分块 {}{}",
        e.candidate_pairs,
        e.refused_id_conflicts,
        e.refused_by_reviewer,
        e.oversized_blocks,
        if e.model_estimated {
            "; 模型已重新估计 (EM)"
        } else {
            ""
        }
    );
    println!(
        "  人房 houses: {} 处住房, {} 条人房关系",
        report.houses, report.house_links
    );
    if report.malformed_field_notes > 0 {
        println!(
            "  {} 个字段格式有误，已按缺失处理（记录照常关联）",
            report.malformed_field_notes
        );
    }
}

fn print_pair(p: &PairExplanation) {
    println!(
        "  {} ↔ {}  概率 {:.4}  权重 {:+.2}  {}{}",
        p.a,
        p.b,
        p.probability,
        p.total_weight,
        p.verdict.label_zh(),
        p.constraint
            .as_deref()
            .map(|c| format!("（{c}）"))
            .unwrap_or_default()
    );
    println!(
        "    先验 prior {:+.2}; 分块规则 {}",
        p.prior_weight,
        p.blocking
            .iter()
            .map(|b| b.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    );
    for f in &p.fields {
        println!(
            "    {:<12} {:<22} {:+7.2}   {} | {}",
            f.label, f.level_label, f.weight, f.left, f.right
        );
    }
    if p.name_frequency_adjustment != 0.0 {
        println!("    姓名频率调整 {:+.2}", p.name_frequency_adjustment);
    }
}

fn print_explanation(e: &RecordExplanation) {
    println!(
        "记录 {} → 人员 {}",
        e.record,
        e.cluster
            .map(|c| c.to_string())
            .unwrap_or_else(|| "（未关联）".into())
    );
    for n in &e.notes {
        println!("  字段问题: {}", n.message);
    }
    if e.links.is_empty() {
        println!("同一人员的其他记录: 无");
    } else {
        println!("同一人员的其他记录 (why linked):");
        for p in &e.links {
            print_pair(p);
        }
    }
    if !e.near_misses.is_empty() {
        println!("未合并的最接近候选 (why not linked):");
        for p in &e.near_misses {
            print_pair(p);
        }
    }
}

fn explain_key(arg: &str) -> String {
    if arg.contains(':') {
        arg.to_string()
    } else {
        format!("{arg}:subject")
    }
}

pub async fn run(global: &Global, args: LinkArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    if let Some(record) = &args.explain {
        let key = explain_key(record);
        return match humiao_pipeline::explain_record(&store, &key, 5).await? {
            Some(e) => {
                print_explanation(&e);
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("没有记录 {key}，或尚未运行过关联 (run `humiao link` first)");
                Ok(ExitCode::from(1))
            }
        };
    }
    let mut options = LinkOptions {
        full: args.full,
        ..Default::default()
    };
    if let Some(path) = &args.survivorship {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        match humiao_pipeline::parse_survivorship(&path.display().to_string(), &text) {
            Ok(rules) => {
                humiao_pipeline::save_survivorship(&store, &rules, &super::cli_user()).await?;
                println!("留存规则已保存并生效：{}", path.display());
                // Persons already linked take the new rules on a full run.
                options.full = true;
                options.survivorship = Some(rules);
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::from(65));
            }
        }
    }
    let bar = crate::progress::Bar::new();
    let report = humiao_pipeline::link_records(&store, &options, &bar).await?;
    humiao_link::Observer::stage(&bar, "", 0);
    print_report(&report);
    if let Some(path) = &args.export {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        writeln!(out, "record_id,person_id")?;
        let mut n = 0;
        for link in store.mention_links().await? {
            let key = if link.role == humiao_core::MentionRole::Subject {
                link.record.0.to_string()
            } else {
                humiao_pipeline::mention_key(link.record, link.role)
            };
            writeln!(
                out,
                "{key},{}",
                link.person.map(|p| p.0.to_string()).unwrap_or_default()
            )?;
            n += 1;
        }
        out.flush()?;
        println!("已导出 {n} 行到 {}", path.display());
    }
    if args.review {
        println!("待人工核对 (review queue):");
        for r in store.review_queue(200).await? {
            println!(
                "  {} ↔ {}  概率 {:.3}  人员 {} / {}",
                r.record_a,
                r.record_b,
                r.probability,
                r.person_a.map(|p| p.0.to_string()).unwrap_or("-".into()),
                r.person_b.map(|p| p.0.to_string()).unwrap_or("-".into())
            );
        }
    }
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
