//! From event to alert, on SQLite and on PostgreSQL (when `HUMIAO_TEST_POSTGRES` is set): a
//! family is imported, linked and assessed; then departments' events arrive and are processed —
//! linked, turned into facts, the children re-assessed or alerted, routed by residence and by
//! severity; replaying them raises nothing new; the deadline watch reminds and escalates on a
//! clock the test moves.

mod common;

use chrono::{Duration, NaiveDate};
use humiao_core::access::{Actor, Role};
use humiao_core::alert::{AlertParams, AlertStatus, RouteLevel, Severity};
use humiao_core::policy::Category;
use humiao_core::{CitizenId, Department, RegionCode};
use humiao_pipeline::{
    assess_all, import_file, link_records, load_mapping, process_pending_events, replay_events,
    watch_deadlines, EventRules, LinkOptions,
};
use humiao_store::{AlertFilter, AlertRow, ApiKeyAuth, EventReceipt, Store};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const TODAY: fn() -> NaiveDate = || d(2026, 11, 22);
const HOME_GRID: &str = "330199002001001"; // where the family is registered
const LIVES_IN_GRID: &str = "330199001001002"; // where the child lives

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn id(birth: NaiveDate, seq: u16) -> CitizenId {
    CitizenId::from_parts("330199", birth, seq).unwrap()
}

struct Family {
    child: CitizenId,
    sister: CitizenId,
    father: CitizenId,
    mother: CitizenId,
}

/// A family of four, registered in 西山村; the children live in 青石社区二网格.
async fn family_county(store: &Store, dir: &std::path::Path) -> Family {
    let regions = [
        ("330199000000", "护苗县", false),
        ("330199001000", "东城街道", false),
        ("330199001001", "青石社区", false),
        (LIVES_IN_GRID, "青石社区二网格", false),
        ("330199002000", "西山镇", false),
        ("330199002001", "西山村", true),
        (HOME_GRID, "西山村一网格", true),
    ];
    common::upsert_regions(store, &regions).await;
    let f = Family {
        child: id(d(2016, 6, 1), 13),
        sister: id(d(2019, 3, 8), 24),
        father: id(d(1986, 2, 3), 15),
        mother: id(d(1988, 4, 5), 26),
    };
    let csv = format!(
        "户号,姓名,公民身份号码,性别,出生日期,户籍地区划,现居住网格,父亲身份号码,母亲身份号码,人员状态,状态日期\n\
         H001,王小明,{child},男,20160601,330199002001,{lives},{father},{mother},正常,\n\
         H001,王小红,{sister},女,20190308,330199002001,{lives},{father},{mother},正常,\n\
         H001,王强,{father},男,19860203,330199002001,{home},,,正常,\n\
         H001,刘芳,{mother},女,19880405,330199002001,{home},,,正常,\n",
        child = f.child,
        sister = f.sister,
        father = f.father,
        mother = f.mother,
        lives = LIVES_IN_GRID,
        home = HOME_GRID,
    );
    std::fs::write(dir.join("police.toml"), common::HOUSEHOLD_MAPPING).unwrap();
    std::fs::write(dir.join("户籍.csv"), csv).unwrap();
    let mapping = load_mapping(Department::Police, &dir.join("police.toml")).unwrap();
    import_file(store, &mapping, &dir.join("户籍.csv"), "test", &())
        .await
        .unwrap();
    link_records(store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    assess_all(
        store,
        TODAY(),
        &humiao_rules::national(),
        &AlertParams::default(),
    )
    .await
    .unwrap();
    f
}

async fn push(store: &Store, key: &ApiKeyAuth, body: serde_json::Value) -> i64 {
    let event = humiao_core::event::parse_event(&body).unwrap();
    match store
        .accept_event(key, &event.event_id, event.kind.code(), &body.to_string())
        .await
        .unwrap()
    {
        EventReceipt::Accepted(id) => id,
        EventReceipt::Duplicate(id) => id,
    }
}

async fn key(store: &Store, department: Department) -> ApiKeyAuth {
    let (_, secret) = store
        .create_api_key(department, "测试", "admin")
        .await
        .unwrap();
    store.authenticate_api_key(&secret).await.unwrap().unwrap()
}

fn director(grid: &str) -> Actor {
    Actor {
        user_id: 1,
        username: "d".into(),
        role: Role::ChildDirector,
        jurisdiction: vec![code(grid)],
    }
}

async fn open_alerts(store: &Store, actor: &Actor) -> Vec<AlertRow> {
    store
        .list_alerts(
            actor,
            &AlertFilter {
                status: Some(AlertStatus::Open),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

async fn events_become_routed_alerts(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let f = family_county(store, dir.path()).await;
    let rules = EventRules::new(humiao_rules::national(), TODAY());
    let police = key(store, Department::Police).await;
    let education = key(store, Department::Education).await;
    let lives = director(LIVES_IN_GRID);
    let home = director(HOME_GRID);
    let before = open_alerts(store, &lives).await.len();

    // The father is detained: a fact about him; both children are re-assessed and their
    // director (where they live) is told of a family change, the town station too (high).
    push(
        store,
        &police,
        serde_json::json!({
            "event_id": "GA-1", "kind": "detention", "occurred_on": "2026-11-20",
            "until": "2027-05-19", "subject": { "citizen_id": f.father.to_string() },
            "details": "涉嫌盗窃被刑事拘留"
        }),
    )
    .await;
    // A school's mandatory report about the girl, by name and birth date only.
    push(
        store,
        &education,
        serde_json::json!({
            "event_id": "JY-1", "kind": "mandatory_report", "occurred_on": "2026-11-21",
            "subject": { "name": "王小红", "birth_date": "2019-03-08" },
            "details": "老师发现身上多处淤青"
        }),
    )
    .await;
    // Someone the county does not know.
    push(
        store,
        &police,
        serde_json::json!({
            "event_id": "GA-2", "kind": "police_incident", "occurred_on": "2026-11-21",
            "subject": { "name": "陌生人", "birth_date": "2012-01-01" }
        }),
    )
    .await;
    let report = process_pending_events(store, TODAY(), &rules, 100)
        .await
        .unwrap();
    assert_eq!(report.events, 3);
    assert_eq!(report.unlinked, 1);
    // Two family-change alerts (one per child) and the mandatory report.
    assert_eq!(report.alerts_raised, 3, "{report:?}");
    assert_eq!(report.notifications.len(), 3);
    assert!(report
        .notifications
        .iter()
        .all(|n| !n.text.contains("王") && !n.text.contains("淤青")));

    let alerts = open_alerts(store, &lives).await;
    assert_eq!(alerts.len(), before + 3);
    assert!(
        open_alerts(store, &home).await.is_empty(),
        "registration is not residence"
    );
    let family: Vec<&AlertRow> = alerts
        .iter()
        .filter(|a| a.reason_code == "family_change:custody")
        .collect();
    assert_eq!(family.len(), 2);
    for a in &family {
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.routed_to, RouteLevel::Town);
        assert!(!a.police);
        assert_eq!(a.masked_message, "家庭变故，请尽快走访");
        assert!(a.detail.contains("父亲"), "{}", a.detail);
        assert_eq!(a.due_date, TODAY() + Duration::days(3));
    }
    let report_alert = alerts
        .iter()
        .find(|a| a.reason_code == "event:mandatory_report")
        .unwrap();
    assert_eq!(report_alert.child_name.as_str(), "王小红");
    assert_eq!(report_alert.severity, Severity::Urgent);
    assert_eq!(report_alert.routed_to, RouteLevel::County);
    assert!(report_alert.police);
    assert!(report_alert.detail.contains("淤青"));
    assert!(!report_alert.masked_message.contains("淤青"));
    let steps = store.alert_steps(report_alert.id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert!(steps[0].note.contains("县未保中心") && steps[0].note.contains("公安"));

    // Each alert cites the event's source record, which is linked to the person.
    let unknown = store.unprocessed_events(10).await.unwrap();
    assert!(unknown.is_empty(), "all processed");
    let events = store.events(Some("accepted"), 10).await.unwrap();
    let detention = events
        .iter()
        .find(|e| e.event_id.as_deref() == Some("GA-1"))
        .unwrap();
    let source = detention.source_record_id.unwrap();
    assert!(family
        .iter()
        .all(|a| a.sources.iter().any(|s| s.0 == source)));
    let outcome: serde_json::Value =
        serde_json::from_str(detention.outcome_json.as_deref().unwrap()).unwrap();
    assert_eq!(outcome["children"].as_array().unwrap().len(), 2);
    let stranger = events
        .iter()
        .find(|e| e.event_id.as_deref() == Some("GA-2"))
        .unwrap();
    assert!(stranger
        .outcome_json
        .as_deref()
        .unwrap()
        .contains("未能关联到人员"));

    // Processing changed children's records: audited, by event, with the children's ids.
    let audit = store.audit_log(None, 100, 0).await.unwrap();
    let processed: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "event.process")
        .collect();
    assert_eq!(processed.len(), 3);
    assert!(processed
        .iter()
        .any(|a| a.target_id == detention.id.to_string() && a.detail.contains("children [")));

    // Replaying every event raises nothing new, and a full re-link reads event records too.
    let replay = replay_events(store, TODAY(), &rules).await.unwrap();
    assert_eq!((replay.events, replay.alerts_raised), (3, 0));
    assert_eq!(open_alerts(store, &lives).await.len(), before + 3);
    link_records(
        store,
        &LinkOptions {
            full: true,
            ..Default::default()
        },
        &humiao_link::Quiet,
    )
    .await
    .unwrap();
    let again = assess_all(
        store,
        TODAY(),
        &humiao_rules::national(),
        &AlertParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        again.alerts_raised, 0,
        "the nightly run agrees with the events"
    );
}

async fn missed_deadlines_go_up_to_the_station_then_the_centre(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let f = family_county(store, dir.path()).await;
    let rules = EventRules::new(humiao_rules::national(), TODAY());
    let education = key(store, Department::Education).await;
    push(
        store,
        &education,
        serde_json::json!({
            "event_id": "JY-9", "kind": "school_absence", "occurred_on": "2026-11-22",
            "subject": { "citizen_id": f.child.to_string() }
        }),
    )
    .await;
    process_pending_events(store, TODAY(), &rules, 10)
        .await
        .unwrap();
    let lives = director(LIVES_IN_GRID);
    let alert = open_alerts(store, &lives)
        .await
        .into_iter()
        .find(|a| a.reason_code == "event:school_absence")
        .unwrap();
    assert_eq!(alert.severity, Severity::Medium);
    assert_eq!(alert.routed_to, RouteLevel::Grid);
    assert_eq!(alert.due_date, d(2026, 11, 29));
    let params = AlertParams::default();
    let watch = |day| watch_deadlines(store, day, &params);

    // Nothing before the reminder day; a reminder the day before; only once.
    let early = watch(d(2026, 11, 27)).await.unwrap();
    assert_eq!((early.reminded, early.escalated), (0, 0));
    assert_eq!(watch(d(2026, 11, 28)).await.unwrap().reminded, 1);
    assert_eq!(watch(d(2026, 11, 28)).await.unwrap().reminded, 0);
    // Due today is not late.
    assert_eq!(watch(d(2026, 11, 29)).await.unwrap().escalated, 0);
    // The day after: the town station takes it on, with a fresh 7-day deadline.
    let up = watch(d(2026, 11, 30)).await.unwrap();
    assert_eq!(up.escalated, 1);
    assert_eq!(up.notifications[0].to, RouteLevel::Town);
    assert!(up.notifications[0].text.contains("镇街"));
    let now = store.alert_in_scope(&lives, alert.id).await.unwrap();
    assert_eq!(now.routed_to, RouteLevel::Town);
    assert_eq!(now.due_date, d(2026, 12, 7));
    // Missed again: the centre.
    watch(d(2026, 12, 6)).await.unwrap();
    let top = watch(d(2026, 12, 8)).await.unwrap();
    assert_eq!(top.escalated, 1);
    assert_eq!(top.notifications[0].to, RouteLevel::County);
    // At the centre it stays: overdue on the centre's list.
    assert_eq!(watch(d(2027, 1, 30)).await.unwrap().escalated, 0);
    let steps = store.alert_steps(alert.id).await.unwrap();
    let kinds: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        kinds,
        ["raised", "reminded", "escalated", "reminded", "escalated"]
    );
    assert_eq!(steps[2].on_date, d(2026, 11, 30));
    assert_eq!(steps[4].level, RouteLevel::County);
}

async fn with_each_database<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    test(sqlite).await;
    if let Some(pg) = common::postgres("events").await {
        test(pg.store.clone()).await;
        pg.drop().await;
    }
}

#[tokio::test]
async fn events_become_routed_alerts_on_both_databases() {
    with_each_database(|store| async move { events_become_routed_alerts(&store).await }).await;
}

#[tokio::test]
async fn missed_deadlines_escalate_on_both_databases() {
    with_each_database(|store| async move {
        missed_deadlines_go_up_to_the_station_then_the_centre(&store).await
    })
    .await;
}

#[tokio::test]
async fn an_event_that_cannot_be_processed_does_not_hold_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let f = family_county(&store, dir.path()).await;
    let police = key(&store, Department::Police).await;
    let bad = push(
        &store,
        &police,
        serde_json::json!({
            "event_id": "GA-7", "kind": "death", "occurred_on": "2026-11-20",
            "subject": { "citizen_id": f.mother.to_string() }
        }),
    )
    .await;
    push(
        &store,
        &police,
        serde_json::json!({
            "event_id": "GA-8", "kind": "police_incident", "occurred_on": "2026-11-21",
            "subject": { "citizen_id": f.child.to_string() }
        }),
    )
    .await;
    // The stored body of the first is damaged (as by a bad restore).
    store
        .execute_for_tests(&format!("UPDATE events SET body = '{{' WHERE id = {bad}"))
        .await;
    let rules = EventRules::new(humiao_rules::national(), TODAY());
    let report = process_pending_events(&store, TODAY(), &rules, 10)
        .await
        .unwrap();
    assert_eq!((report.events, report.alerts_raised), (2, 1));
    assert!(store.unprocessed_events(10).await.unwrap().is_empty());
    let damaged = store.event(bad).await.unwrap();
    assert!(damaged.outcome_json.unwrap().contains("无法处理"));
}

/// The father dies and the mother is imprisoned: the children are 事实无人抚养. Her early
/// release ends the custody: re-assessed, they are not any more, and their director is asked to
/// visit the family she comes home to.
async fn a_release_ends_the_custody(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let f = family_county(store, dir.path()).await;
    let rules = EventRules::new(humiao_rules::national(), TODAY());
    let police = key(store, Department::Police).await;
    let court = key(store, Department::Court).await;
    let categories = |store: &Store, who: CitizenId| {
        let store = store.clone();
        async move {
            let child = store.person_by_citizen_id(&who).await.unwrap().unwrap();
            store.child_summaries_unscoped(&[child.id]).await.unwrap()[0]
                .categories
                .clone()
        }
    };
    push(
        store,
        &police,
        serde_json::json!({
            "event_id": "GA-D", "kind": "death", "occurred_on": "2026-10-02",
            "subject": { "citizen_id": f.father.to_string() }
        }),
    )
    .await;
    push(
        store,
        &court,
        serde_json::json!({
            "event_id": "FY-1", "kind": "imprisonment", "occurred_on": "2026-10-10",
            "until": "2030-10-09", "subject": { "citizen_id": f.mother.to_string() }
        }),
    )
    .await;
    process_pending_events(store, TODAY(), &rules, 10)
        .await
        .unwrap();
    assert!(categories(store, f.child.clone())
        .await
        .contains(&Category::DeFactoUnsupported));

    push(
        store,
        &police,
        serde_json::json!({
            "event_id": "GA-R", "kind": "release", "occurred_on": "2026-11-21",
            "subject": { "citizen_id": f.mother.to_string() }
        }),
    )
    .await;
    let report = process_pending_events(store, TODAY(), &rules, 10)
        .await
        .unwrap();
    assert_eq!(report.events, 1);
    for child in [f.child.clone(), f.sister.clone()] {
        let now = categories(store, child).await;
        assert!(!now.contains(&Category::DeFactoUnsupported), "{now:?}");
    }
    let alerts = open_alerts(store, &director(LIVES_IN_GRID)).await;
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.reason_code == "family_change:release")
            .count(),
        2,
        "{:?}",
        alerts.iter().map(|a| &a.reason_code).collect::<Vec<_>>()
    );
    // Replayed, the release raises nothing new and the children stay out of the category.
    let replay = replay_events(store, TODAY(), &rules).await.unwrap();
    assert_eq!(replay.alerts_raised, 0);
    assert!(!categories(store, f.child.clone())
        .await
        .contains(&Category::DeFactoUnsupported));
}

#[tokio::test]
async fn a_release_ends_the_custody_on_both_databases() {
    with_each_database(|store| async move { a_release_ends_the_custody(&store).await }).await;
}
