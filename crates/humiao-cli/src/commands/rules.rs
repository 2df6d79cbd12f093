//! `humiao rules …` and `humiao explain`: rule packs checked, tested, compared and activated from
//! the command line, and one child's decisions explained.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use humiao_core::policy::Category;
use humiao_pipeline::{PackFile, PipelineError, StoredPack};
use humiao_rules::{casebook, RulePack};
use humiao_store::AuditEntry;

use crate::args::{ExplainArgs, Global, RulesArgs, RulesSub};

/// Exit code for invalid input files (EX_DATAERR).
const INVALID: u8 = 65;

/// Reads pack files; `builtin:specialised` (or `builtin:national`) names a pack shipped inside
/// the binary.
fn read_files(files: &[PathBuf]) -> anyhow::Result<Vec<PackFile>> {
    files
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            if let Some(builtin) = name.strip_prefix("builtin:") {
                let text = humiao_rules::builtin_pack(builtin).with_context(|| {
                    format!("没有内置规则包“{builtin}”（可用：national、specialised）")
                })?;
                return Ok(PackFile {
                    file: format!("{builtin}.toml"),
                    text: text.into(),
                });
            }
            Ok(PackFile {
                file: name,
                text: std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            })
        })
        .collect()
}

/// The given files, or the active pack when there are none.
async fn pack_files(global: &Global, files: &[PathBuf]) -> anyhow::Result<StoredPack> {
    if files.is_empty() {
        let store = super::open_store(global).await?;
        Ok(humiao_pipeline::active_pack_files(&store).await?)
    } else {
        Ok(StoredPack::from_files(read_files(files)?))
    }
}

/// Compiles, or prints every problem and returns the exit code.
fn compile(pack: &StoredPack) -> Result<RulePack, ExitCode> {
    pack.compile().map_err(|errors| {
        eprintln!("规则包有误（{} 处）：", errors.0.len());
        for e in &errors.0 {
            eprintln!("  {e}");
        }
        ExitCode::from(INVALID)
    })
}

fn fen(v: i64) -> String {
    format!("{}.{:02} 元", v / 100, v % 100)
}

fn print_pack(pack: &RulePack, as_of: chrono::NaiveDate) {
    println!(
        "规则包 {} {}（{}）",
        pack.name,
        pack.version,
        pack.layers.join(" + ")
    );
    if let Some(t) = &pack.title {
        println!("  {t}");
    }
    println!("参数（{as_of} 生效值）:");
    for p in &pack.parameters {
        let history: Vec<String> = p
            .values
            .iter()
            .map(|(from, v)| format!("{from} 起 {}", v.display()))
            .collect();
        println!(
            "  {:<40} {}{}  [{}]  {}",
            p.name,
            p.value_on(as_of).display(),
            p.unit
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default(),
            history.join("；"),
            p.label
        );
    }
    println!("函数:");
    for f in &pack.functions {
        println!(
            "  {}({})  {}",
            f.name,
            f.params.join(", "),
            f.label.as_deref().unwrap_or("")
        );
    }
    println!("类别（按判定顺序）:");
    for c in &pack.categories {
        println!(
            "  {}（{}） 依据 {}\n      {}",
            c.category.label_zh(),
            c.category.code(),
            c.policy,
            c.rule
                .source
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    for m in &pack.risk {
        println!(
            "风险模型 {}（{}）：{} 项指标，等级 {}",
            m.label,
            m.code,
            m.indicators.len(),
            m.levels
                .iter()
                .map(|l| format!("{}≥{}", l.label, l.min))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    println!("待遇:");
    for e in &pack.entitlements {
        println!(
            "  {}（{}） 发放类型 {}{} 依据 {}",
            e.label,
            e.code,
            e.payment,
            e.group
                .as_deref()
                .map(|g| format!("，同组就高 {g}"))
                .unwrap_or_default(),
            e.policy
        );
    }
}

fn cli_audit(action: &str, kind: &str, id: &str, detail: String) -> AuditEntry {
    AuditEntry {
        user_id: None,
        username: super::cli_user(),
        action: action.into(),
        target_kind: kind.into(),
        target_id: id.into(),
        detail,
    }
}

pub async fn run(global: &Global, args: RulesArgs) -> anyhow::Result<ExitCode> {
    match args.sub {
        RulesSub::Check { files, as_of } => {
            let as_of = super::parse_date(as_of.as_deref())?;
            let pack = match compile(&pack_files(global, &files).await?) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            print_pack(&pack, as_of);
            println!("校验通过 ✓");
            Ok(ExitCode::SUCCESS)
        }
        RulesSub::Test { files, cases } => {
            let stored = if files.is_empty() && cases.is_empty() {
                StoredPack::over_national(Vec::new())
            } else {
                pack_files(global, &files).await?
            };
            let pack = match compile(&stored) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            let books: Vec<(String, String)> = if cases.is_empty() {
                vec![(
                    "national.cases.toml".into(),
                    humiao_rules::NATIONAL_CASES.into(),
                )]
            } else {
                read_files(&cases)?
                    .into_iter()
                    .map(|f| (f.file, f.text))
                    .collect()
            };
            let (mut passed, mut failed) = (0, 0);
            for (file, text) in &books {
                let report = match casebook::run(&pack, file, text) {
                    Ok(r) => r,
                    Err(errors) => {
                        for e in &errors.0 {
                            eprintln!("{e}");
                        }
                        return Ok(ExitCode::from(INVALID));
                    }
                };
                for case in &report.cases {
                    if case.failures.is_empty() {
                        println!("  ✓ {}", case.name);
                    } else {
                        println!("  ✗ {}:{} {}", file, case.line, case.name);
                        for f in &case.failures {
                            println!("      {f}");
                        }
                    }
                }
                passed += report.passed();
                failed += report.failed();
            }
            println!(
                "{} {}：{passed} 个案例通过，{failed} 个失败",
                pack.name, pack.version
            );
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RulesSub::Show => {
            let store = super::open_store(global).await?;
            let pack = humiao_pipeline::active_pack(&store).await?;
            print_pack(&pack, super::today());
            if let Some(row) = store.setting(humiao_pipeline::ACTIVE_PACK_KEY).await? {
                println!("启用于 {}，操作人 {}", row.updated_at, row.updated_by);
            } else {
                println!("未启用本地规则包：使用随软件发布的全国基线规则包。");
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesSub::Quality => {
            let store = super::open_store(global).await?;
            let quality = store.verification_quality().await?;
            store
                .audit(&cli_audit(
                    "rules.quality",
                    "report",
                    "verification_quality",
                    String::new(),
                ))
                .await?;
            println!("疑似名单核实反馈：准确率 = 情况属实 ÷（情况属实 + 排除）");
            // Numbers first: Chinese labels are twice as wide as the padding counts.
            println!("  情况属实  排除  准确率  排除但仍认定  类别（主要排除原因）");
            for q in &quality {
                let precision = q
                    .precision()
                    .map_or("—".to_string(), |p| format!("{:.0}%", 100.0 * p));
                let reasons = q
                    .reasons
                    .iter()
                    .take(3)
                    .map(|(r, n)| format!("{} {n}", r.label_zh()))
                    .collect::<Vec<_>>()
                    .join("、");
                println!(
                    "  {:>8}  {:>4}  {:>6}  {:>12}  {}{}",
                    q.confirmed,
                    q.rejected,
                    precision,
                    q.rejected_still_found,
                    q.category.label_zh(),
                    if reasons.is_empty() {
                        String::new()
                    } else {
                        format!("（{reasons}）")
                    }
                );
                for (pack, confirmed, rejected) in &q.by_pack {
                    println!("            规则包 {pack}：情况属实 {confirmed}，排除 {rejected}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesSub::Diff {
            files,
            as_of,
            limit,
        } => {
            let as_of = super::parse_date(as_of.as_deref())?;
            let new = match compile(&StoredPack::from_files(read_files(&files)?)) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            let store = super::open_store(global).await?;
            let old = humiao_pipeline::active_pack(&store).await?;
            let diff = humiao_pipeline::diff_packs(&store, &old, &new, as_of).await?;
            store
                .audit(&cli_audit(
                    "rules.diff",
                    "rule_pack",
                    &format!("{} {}", new.name, new.version),
                    format!("{} children would change", diff.changes.len()),
                ))
                .await?;
            println!(
                "试运行 {as_of}：现行 {} {} → 新 {} {}；评估 {} 人，{} 人类别将变化",
                old.name,
                old.version,
                new.name,
                new.version,
                diff.assessed,
                diff.changes.len()
            );
            println!("  {:<16} {:>8} {:>8}", "类别", "现行", "新");
            for (c, before, after) in &diff.counts {
                println!("  {:<16} {before:>8} {after:>8}", c.label_zh());
            }
            for change in diff.changes.iter().take(limit) {
                println!(
                    "  人员 {:<8} {}  {} → {}",
                    change.person.0,
                    change.name,
                    Category::labels_zh(&change.before),
                    Category::labels_zh(&change.after)
                );
            }
            if diff.changes.len() > limit {
                println!(
                    "  …… 另有 {} 人（--limit 调整）",
                    diff.changes.len() - limit
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesSub::Activate { files } => {
            let stored = StoredPack::from_files(read_files(&files)?);
            if let Err(code) = compile(&stored) {
                return Ok(code);
            }
            let store = super::open_store(global).await?;
            match humiao_pipeline::activate_pack(
                &store,
                &stored,
                &cli_audit("rules.activate", "rule_pack", "", String::new()),
            )
            .await
            {
                Ok(pack) => {
                    println!(
                        "已启用规则包 {} {}（{}）；下次评估（humiao assess）起生效。",
                        pack.name,
                        pack.version,
                        pack.layers.join(" + ")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(PipelineError::Rules(errors)) => {
                    for e in &errors.0 {
                        eprintln!("{e}");
                    }
                    Ok(ExitCode::from(INVALID))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

pub async fn explain(global: &Global, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::parse_date(args.as_of.as_deref())?;
    let store = super::open_store(global).await?;
    let pack = humiao_pipeline::active_pack(&store).await?;
    let Some((person, out)) =
        humiao_pipeline::explain_child(&store, humiao_core::PersonId(args.person), &pack, as_of)
            .await?
    else {
        eprintln!("没有人员 {}", args.person);
        return Ok(ExitCode::from(1));
    };
    store
        .audit(&cli_audit(
            "child.explain",
            "person",
            &args.person.to_string(),
            format!("rule pack {} {}", pack.name, pack.version),
        ))
        .await?;
    println!(
        "人员 {} {}（{}，{} 出生），评估日 {as_of}，规则包 {} {}",
        person.id.0,
        person.name,
        person.sex.label_zh(),
        person.birth_date,
        pack.name,
        pack.version
    );
    let sources = |s: &[humiao_core::SourceRecordId]| {
        if s.is_empty() {
            String::new()
        } else {
            format!(
                "  [来源记录 {}]",
                s.iter()
                    .map(|r| r.0.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    if out.decisions.is_empty() {
        println!("认定类别：无");
    }
    for d in &out.decisions {
        println!("认定：{}  依据 {}", d.category.label_zh(), d.policy);
        for r in &d.reasons {
            println!("  · {}{}", r.text, sources(&r.sources));
        }
    }
    for e in &out.entitlements {
        println!(
            "待遇：{}{}，月标准 {}  依据 {}",
            e.label,
            if e.payable {
                ""
            } else {
                "（就高不就低：不重复发放）"
            },
            e.monthly_fen.map(fen).unwrap_or_else(|| "不详".into()),
            e.policy
        );
    }
    for u in &out.undetermined {
        println!(
            "无法判定：{}（缺少：{}）",
            u.category.label_zh(),
            u.missing.join("；")
        );
        for r in &u.reasons {
            println!("  · 已知：{}{}", r.text, sources(&r.sources));
        }
    }
    for r in &out.risk {
        let model = r.model(&pack);
        println!(
            "风险（{}）：{}，评分 {}{}{}",
            model.label,
            r.level_info(&pack).label,
            r.score,
            if r.score_max > r.score {
                format!(
                    "（{} 项未知，至多 {} 分 / {}）",
                    r.unknown,
                    r.score_max,
                    r.level_max_info(&pack).label
                )
            } else {
                String::new()
            },
            if r.urgent.is_empty() {
                String::new()
            } else {
                format!("；紧急事项：{}", r.urgent_labels(&pack).join("、"))
            }
        );
        for i in r.indicators.iter().filter(|i| i.state == "true") {
            let ind = &model.indicators[i.index];
            let facts: Vec<String> = i
                .reasons
                .iter()
                .map(|x| format!("{}{}", x.text, sources(&x.sources)))
                .collect();
            println!(
                "  + {:.0}分 {}（{}）：{}",
                i.points,
                ind.label,
                ind.group.label_zh(),
                facts.join("；")
            );
        }
    }
    println!(
        "参数：{}",
        pack.parameters_in_force(as_of)
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("，")
    );
    Ok(ExitCode::SUCCESS)
}
