//! `humiao events import|process` and `humiao alerts watch`: the daily event files, processing
//! events outside the server, and the deadline watch on a chosen day.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use humiao_core::event::{parse_event, EventProblem};
use humiao_core::Department;
use humiao_pipeline::{
    notify_all, process_pending_events, replay_events, watch_deadlines, EventRules, LogNotifier,
};
use humiao_store::{ApiKeyAuth, EventReceipt, Store};

use crate::args::{AlertsArgs, AlertsSub, EventsArgs, EventsSub, Global};

/// What importing one event file did.
#[derive(Debug, Default)]
struct FileCount {
    accepted: usize,
    duplicate: usize,
    refused: usize,
}

pub async fn run(global: &Global, args: EventsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    match args.sub {
        EventsSub::Import {
            department,
            files,
            no_process,
            today,
        } => {
            let department = Department::parse(&department).with_context(|| {
                format!(
                    "没有部门“{department}”（可用：{}）",
                    Department::ALL.map(|d| d.code()).join("、")
                )
            })?;
            let channel = store.file_channel_key(department).await?;
            let mut refused_any = false;
            for file in &files {
                let count = import_file(&store, &channel, file).await?;
                refused_any |= count.refused > 0;
                println!(
                    "{}：新事件 {} 条，已收到过 {} 条，拒收 {} 条",
                    file.display(),
                    count.accepted,
                    count.duplicate,
                    count.refused
                );
            }
            if !no_process {
                process(&store, today.as_deref(), false).await?;
            }
            // Like file imports: refused lines are kept and reported, and exit code 2 says so.
            Ok(if refused_any {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        EventsSub::Process { replay, today } => {
            process(&store, today.as_deref(), replay).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import_file(
    store: &Store,
    channel: &ApiKeyAuth,
    file: &Path,
) -> anyhow::Result<FileCount> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {} (UTF-8 JSON Lines expected)", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut count = FileCount::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value = serde_json::from_str::<serde_json::Value>(line);
        let parsed = match &value {
            Ok(v) => parse_event(v),
            Err(e) => Err(vec![EventProblem {
                field: "$".into(),
                problem: format!("不是有效的 JSON：{e}"),
            }]),
        };
        match parsed {
            Ok(event) => {
                match store
                    .accept_event(channel, &event.event_id, event.kind.code(), line)
                    .await?
                {
                    EventReceipt::Accepted(_) => count.accepted += 1,
                    EventReceipt::Duplicate(_) => count.duplicate += 1,
                }
            }
            Err(problems) => {
                count.refused += 1;
                for p in &problems {
                    eprintln!("{name}:{line_no}: {}: {}", p.field, p.problem);
                }
                // Kept with where it came from, for the centre's 推送事件 page.
                let located: Vec<EventProblem> = problems
                    .into_iter()
                    .map(|p| EventProblem {
                        field: format!("{name}:{line_no}: {}", p.field),
                        problem: p.problem,
                    })
                    .collect();
                let event_id = value.as_ref().ok().and_then(|v| {
                    v.get("event_id")
                        .and_then(serde_json::Value::as_str)
                        .map(|s| s.chars().take(100).collect::<String>())
                });
                store
                    .refuse_event(
                        channel,
                        event_id.as_deref(),
                        line,
                        &serde_json::to_string(&located)?,
                    )
                    .await?;
            }
        }
    }
    Ok(count)
}

async fn process(store: &Store, today: Option<&str>, replay: bool) -> anyhow::Result<()> {
    let today = super::parse_date(today)?;
    let rules = EventRules::new(humiao_pipeline::active_pack(store).await?, today);
    let report = if replay {
        replay_events(store, today, &rules).await?
    } else {
        let mut total = humiao_pipeline::EventsReport::default();
        loop {
            let round = process_pending_events(store, today, &rules, 500).await?;
            let done = round.events < 500;
            total.events += round.events;
            total.alerts_raised += round.alerts_raised;
            total.unlinked += round.unlinked;
            total.notifications.extend(round.notifications);
            if done {
                break;
            }
        }
        total
    };
    let sent = notify_all(&LogNotifier, &report.notifications);
    println!(
        "处理事件 {} 条：生成预警 {} 条（通知 {} 条），未能关联到人员 {} 条",
        report.events, report.alerts_raised, sent, report.unlinked
    );
    Ok(())
}

pub async fn alerts(global: &Global, args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    match args.sub {
        AlertsSub::Watch { today } => {
            let today = super::parse_date(today.as_deref())?;
            let pack = humiao_pipeline::active_pack(&store).await?;
            let params = humiao_pipeline::alert_params(&pack, today);
            let report = watch_deadlines(&store, today, &params).await?;
            let sent = notify_all(&LogNotifier, &report.notifications);
            println!(
                "{today}：到期提醒 {} 条，逾期上报 {} 条（通知 {} 条）",
                report.reminded, report.escalated, sent
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
