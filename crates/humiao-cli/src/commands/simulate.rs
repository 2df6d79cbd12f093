//! `humiao demo events --rate N`: departments pushing events to a running demo over real HTTP,
//! about real persons of the demo county, so that alerts arrive on the director's phone and the
//! centre's page while you watch. Keys are created for the simulated departments (labelled
//! 演示事件模拟器) in the demo's database.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Duration as Days;
use humiao_core::event::EventKind;
use humiao_core::Department;
use humiao_store::SampleFamily;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::args::Global;

/// Kinds in proportion (out of 100), with the department that sends each.
const MIX: [(EventKind, Department, u32); 11] = [
    (EventKind::SchoolAbsence, Department::Education, 28),
    (EventKind::SchoolSuspension, Department::Education, 6),
    (EventKind::PoliceIncident, Department::Police, 10),
    (EventKind::VenueAdmission, Department::Police, 8),
    (EventKind::HospitalInjury, Department::Health, 8),
    (EventKind::MandatoryReport, Department::Education, 4),
    (EventKind::Detention, Department::Police, 10),
    (EventKind::Imprisonment, Department::Court, 4),
    (EventKind::Release, Department::Justice, 6),
    (EventKind::Divorce, Department::CivilAffairs, 12),
    (EventKind::Death, Department::Police, 4),
];

fn pick(rng: &mut StdRng) -> (EventKind, Department) {
    let mut roll = rng.gen_range(0..MIX.iter().map(|m| m.2).sum::<u32>());
    for (kind, department, weight) in MIX {
        if roll < weight {
            return (kind, department);
        }
        roll -= weight;
    }
    (MIX[0].0, MIX[0].1)
}

/// One synthetic event about `family`.
fn event(kind: EventKind, family: &SampleFamily, n: u64, run: &str, rng: &mut StdRng) -> Value {
    let today = crate::commands::today();
    let occurred = today - Days::days(rng.gen_range(0..3));
    let child = json!({ "citizen_id": family.child_citizen_id, "name": family.child_name });
    let parent = json!({ "citizen_id": family.parent_citizen_id, "name": family.parent_name });
    let (subject, related, until, details) = match kind {
        EventKind::SchoolAbsence => (child, json!([]), None, "连续3天未到校，联系监护人未果"),
        EventKind::SchoolSuspension => (child, json!([]), None, "已办理休学，原因待核实"),
        EventKind::PoliceIncident => (child, json!([]), None, "夜间独自在外游荡，民警护送回家"),
        EventKind::VenueAdmission => (child, json!([]), None, "深夜出入网吧，已劝离"),
        EventKind::HospitalInjury => (child, json!([]), None, "急诊接诊，手臂骨折，原因陈述不一"),
        EventKind::MandatoryReport => (child, json!([]), None, "教师发现身上多处淤青"),
        EventKind::Detention => (
            parent,
            json!([{ "role": "child", "citizen_id": family.child_citizen_id }]),
            Some(occurred + Days::days(30)),
            "刑事拘留",
        ),
        EventKind::Imprisonment => (
            parent,
            json!([]),
            Some(occurred + Days::days(730)),
            "判处有期徒刑二年",
        ),
        EventKind::Release => (parent, json!([]), None, "刑满释放"),
        EventKind::Divorce => (parent, json!([]), None, "协议离婚"),
        _ => (parent, json!([]), None, "户籍注销（死亡）"),
    };
    let mut body = json!({
        "event_id": format!("SIM-{run}-{n}"),
        "kind": kind.code(),
        "occurred_on": occurred.to_string(),
        "subject": subject,
        "related": related,
        "details": details,
    });
    if let Some(until) = until {
        body["until"] = json!(until.to_string());
    }
    body
}

pub async fn run(
    global: &Global,
    rate: f64,
    count: Option<u64>,
    url: &str,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        rate > 0.0 && rate <= 10_000.0,
        "--rate must be between 0 and 10000"
    );
    let store = super::open_store(global).await?;
    let families = store.sample_families(5000).await?;
    anyhow::ensure!(
        !families.is_empty(),
        "the database has no children with parents: run `humiao demo` first (same --data-dir)"
    );
    let mut keys = std::collections::BTreeMap::new();
    for (_, department, _) in MIX {
        if let std::collections::btree_map::Entry::Vacant(slot) = keys.entry(department) {
            let (_, key) = store
                .create_api_key(department, "演示事件模拟器", &super::cli_user())
                .await?;
            slot.insert(key);
        }
    }
    store.close().await;
    let endpoint = format!("{}/api/v1/events", url.trim_end_matches('/'));
    println!(
        "向 {endpoint} 推送模拟事件，每秒 {rate} 条（Ctrl-C 停止）。在浏览器中以儿童主任或中心账号查看预警。"
    );
    let run_id = format!("{}", chrono::Utc::now().timestamp());
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    tokio::task::spawn_blocking(move || {
        let mut rng = StdRng::seed_from_u64(seed);
        let interval = Duration::from_secs_f64(1.0 / rate);
        let started = Instant::now();
        let mut latencies = Vec::new();
        let mut n = 0u64;
        while count.is_none_or(|c| n < c) {
            let (kind, department) = pick(&mut rng);
            let family = &families[rng.gen_range(0..families.len())];
            let body = event(kind, family, n, &run_id, &mut rng);
            let sent = Instant::now();
            let answer = agent
                .post(&endpoint)
                .set("Authorization", &format!("Bearer {}", keys[&department]))
                .send_json(body);
            latencies.push(sent.elapsed());
            match answer {
                Ok(r) => println!(
                    "#{n:<5} {:<4} {:<12} → {}",
                    department.label_zh(),
                    kind.label_zh(),
                    r.status()
                ),
                Err(ureq::Error::Status(code, r)) => println!(
                    "#{n:<5} {} {} → {code} {}",
                    department.label_zh(),
                    kind.label_zh(),
                    r.into_string().unwrap_or_default()
                ),
                Err(e) => {
                    eprintln!("推送失败：{e}（服务是否在 {endpoint} 运行？）");
                    return Err(anyhow::anyhow!("cannot reach {endpoint}"));
                }
            }
            n += 1;
            let next = started + interval.mul_f64(n as f64);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
        if !latencies.is_empty() {
            println!(
                "已推送 {n} 条，用时 {:.1} 秒；受理耗时 p50 {:?} / p99 {:?}",
                started.elapsed().as_secs_f64(),
                pct(0.5),
                pct(0.99)
            );
        }
        Ok(())
    })
    .await
    .context("simulator stopped")??;
    Ok(ExitCode::SUCCESS)
}
