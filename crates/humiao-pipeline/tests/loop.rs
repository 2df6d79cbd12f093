//! The data loop on hand-made department files: import (with bad rows), link, assess, alert.

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use humiao_core::access::{Actor, Role};
use humiao_core::alert::{AlertParams, AlertStatus};
use humiao_core::policy::Category;
use humiao_core::{CitizenId, Department, PersonId, RegionCode};
use humiao_pipeline::{
    assess_all, import_file, link_records, load_mapping, FileOutcome, LinkOptions,
};
use humiao_store::{AlertFilter, Store};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn as_of() -> NaiveDate {
    d(2026, 11, 22)
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

const HUKOU_VILLAGE: &str = "330199002001"; // 西山村 (rural)
const HOME_GRID: &str = "330199002001001";
const LIVES_IN_GRID: &str = "330199001001002"; // another town: 人户分离

fn id(birth: NaiveDate, seq: u16) -> CitizenId {
    CitizenId::from_parts("330199", birth, seq).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    root: PathBuf,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let store = Store::connect(&format!("sqlite://{}", root.join("t.db").display()))
        .await
        .unwrap();
    let regions = [
        ("330199000000", "护苗县", false),
        ("330199001000", "东城街道", false),
        ("330199001001", "青石社区", false),
        ("330199001001001", "青石社区一网格", false),
        (LIVES_IN_GRID, "青石社区二网格", false),
        ("330199002000", "西山镇", false),
        (HUKOU_VILLAGE, "西山村", true),
        (HOME_GRID, "西山村一网格", true),
    ];
    common::upsert_regions(&store, &regions).await;
    Fixture {
        _dir: dir,
        store,
        root,
    }
}

fn write(root: &Path, name: &str, content: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const CUSTODY_MAPPING: &str = r#"
name = "司法服刑人员（测试）"
department = "justice"
record_kind = "custody"

[fields.name]
column = "姓名"
[fields.citizen_id]
column = "身份证号"
[fields.measure]
column = "类别"
values = { "服刑" = "imprisonment" }
[fields.start]
column = "入监日期"
formats = ["%Y/%m/%d"]
[fields.end]
column = "刑期止日"
formats = ["%Y/%m/%d"]
"#;

struct Family {
    child: CitizenId,
    father: CitizenId,
    mother: CitizenId,
}

fn family() -> Family {
    Family {
        child: id(d(2016, 6, 1), 13),
        father: id(d(1986, 2, 3), 15),
        mother: id(d(1988, 4, 5), 26),
    }
}

fn household_csv(f: &Family) -> String {
    format!(
        "户号,姓名,公民身份号码,性别,出生日期,户籍地区划,现居住网格,父亲身份号码,母亲身份号码,人员状态,状态日期\n\
         H001,王小明,{child},男,20160601,{village},{lives},{father},{mother},正常,\n\
         H001,王强,{father},男,19860203,{village},{home},,,死亡,20261101\n\
         H001,刘芳,{mother},女,19880405,{village},{home},,,正常,\n\
         H002,坏日期,{bad},男,2016-13-45,{village},{home},,,正常,\n\
         H002,,{bad},女,20100101,{village},{home},,,正常,\n",
        child = f.child,
        father = f.father,
        mother = f.mother,
        bad = id(d(2010, 1, 1), 28),
        village = HUKOU_VILLAGE,
        home = HOME_GRID,
        lives = LIVES_IN_GRID,
    )
}

#[tokio::test]
async fn a_family_in_need_is_found_and_the_director_where_the_child_lives_is_told() {
    let fx = fixture().await;
    let f = family();
    let mapping_path = write(&fx.root, "police.toml", common::HOUSEHOLD_MAPPING);
    let mapping = load_mapping(Department::Police, &mapping_path).unwrap();
    let file = write(&fx.root, "户籍.csv", &household_csv(&f));
    let FileOutcome::Imported(report) = import_file(&fx.store, &mapping, &file, "test", &())
        .await
        .unwrap()
    else {
        panic!("first import must import");
    };
    assert_eq!(report.rows_new, 3);
    assert_eq!(report.rows_quarantined, 2);
    let quarantine = fx.store.quarantine(report.batch_id).await.unwrap();
    let bad_date = quarantine.iter().find(|q| q.line == 5).unwrap();
    assert_eq!(bad_date.field, "birth_date");
    assert_eq!(bad_date.column, "出生日期");
    assert!(quarantine.iter().any(|q| q.line == 6 && q.field == "name"));

    // The same file again changes nothing.
    assert!(matches!(
        import_file(&fx.store, &mapping, &file, "test", &())
            .await
            .unwrap(),
        FileOutcome::AlreadyImported { .. }
    ));
    assert_eq!(fx.store.count_source_records().await.unwrap(), 3);

    // The mother is imprisoned for years: with the father dead, 事实无人抚养.
    let custody_mapping = load_mapping(
        Department::Justice,
        &write(&fx.root, "justice.toml", CUSTODY_MAPPING),
    )
    .unwrap();
    let custody = write(
        &fx.root,
        "服刑.csv",
        &format!(
            "姓名,身份证号,类别,入监日期,刑期止日\n刘芳,{},服刑,2026/01/10,2030/01/09\n",
            f.mother
        ),
    );
    import_file(&fx.store, &custody_mapping, &custody, "test", &())
        .await
        .unwrap();

    let linked = link_records(&fx.store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    assert_eq!(linked.persons_created, 3);
    assert_eq!(linked.mentions_unmatched, 0);
    assert_eq!(linked.relationships, 2);

    let report = assess_all(
        &fx.store,
        as_of(),
        &humiao_rules::national(),
        &AlertParams::default(),
    )
    .await
    .unwrap();
    assert!(report
        .by_category
        .contains(&(Category::DeFactoUnsupported, 1)));
    assert!(report
        .by_category
        .contains(&(Category::EntitledNotReceiving, 1)));
    // 事实无人抚养, 应保未保, 困境儿童, 服刑人员未成年子女 and the father's recent death.
    assert_eq!(report.alerts_raised, 5);
    // One notification each, naming neither the child nor the fact.
    assert_eq!(report.notifications.len(), 5);
    assert!(report
        .notifications
        .iter()
        .all(|n| n.grid == Some(code(LIVES_IN_GRID)) && !n.text.contains("王小明")));

    // Routed to the grid where the child lives, not the one where the child is registered.
    let lives_director = Actor {
        user_id: 1,
        username: "d1".into(),
        role: Role::ChildDirector,
        jurisdiction: vec![code(LIVES_IN_GRID)],
    };
    let home_director = Actor {
        jurisdiction: vec![code(HOME_GRID)],
        ..lives_director.clone()
    };
    let open = AlertFilter {
        status: Some(AlertStatus::Open),
        limit: 100,
        ..Default::default()
    };
    let alerts = fx.store.list_alerts(&lives_director, &open).await.unwrap();
    assert_eq!(alerts.len(), 5);
    assert!(alerts.iter().all(|a| a.grid == Some(code(LIVES_IN_GRID))));
    assert!(alerts
        .iter()
        .any(|a| a.masked_message == "家庭变故，请尽快走访"));
    assert!(alerts
        .iter()
        .all(|a| !a.masked_message.contains("死亡") && !a.masked_message.contains("服刑")));
    assert!(fx
        .store
        .list_alerts(&home_director, &open)
        .await
        .unwrap()
        .is_empty());

    // Each decision names its source records.
    let child: PersonId = alerts[0].person_id;
    let categories = fx.store.categories_of(child).await.unwrap();
    let unsupported = categories
        .iter()
        .find(|c| c.category == Category::DeFactoUnsupported)
        .unwrap();
    assert!(unsupported.policy.contains("民发〔2019〕62号"));
    assert!(unsupported.reasons.iter().any(|r| !r.sources.is_empty()));

    // The assessment put the child in the director's visit plan: 事实无人抚养, monthly, never
    // visited so due today.
    let plan = humiao_pipeline::visit_plan(&fx.store, &lives_director, as_of(), 10, 0)
        .await
        .unwrap();
    assert_eq!((plan.total, plan.overdue, plan.never), (1, 0, 1));
    assert_eq!(plan.items[0].child.person.id, child);
    assert_eq!(
        (plan.items[0].every_days, plan.items[0].why.as_str()),
        (30, "孤儿/事实无人抚养")
    );
    assert_eq!(plan.items[0].due, as_of());
    let none = humiao_pipeline::visit_plan(&fx.store, &home_director, as_of(), 10, 0)
        .await
        .unwrap();
    assert_eq!(none.total, 0, "planned where the child lives");
    // A database from before the schedule was kept gets it on the server's first start.
    fx.store
        .execute_for_tests("DELETE FROM visit_schedule")
        .await;
    let national = humiao_rules::national();
    humiao_pipeline::ensure_schedules(&fx.store, &national, as_of())
        .await
        .unwrap();
    let rebuilt = humiao_pipeline::visit_plan(&fx.store, &lives_director, as_of(), 10, 0)
        .await
        .unwrap();
    assert_eq!(rebuilt, plan);

    // Assessing again on the same data raises nothing new.
    let again = assess_all(
        &fx.store,
        as_of(),
        &humiao_rules::national(),
        &AlertParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.alerts_raised, 0);
    assert!(again.notifications.is_empty());
    assert_eq!(again.categories_added, 0);

    // Risk is stored per assessment; the national levels put this child at 中危.
    let history = fx.store.risk_history(child).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].level_label, "中危");
    assert!(history[0].detail_json.contains("父母一方服刑在押"));

    // A county that rates risk more strictly: 高危 from 20 points. The child reaches 高危 (an
    // alert for the director), and three assessments in a row at 高危 call for escalation.
    let strict = humiao_pipeline::StoredPack::over_national(vec![humiao_pipeline::PackFile {
        file: "strict.toml".into(),
        text: "[pack]\nname = \"strict\"\nversion = \"1\"\nextends = \"national\"\n\n\
               [risk.general]\nlevels = [\n  { code = \"extreme\", label = \"极危\", min = 80, colour = \"red\" },\n\
               { code = \"high\", label = \"高危\", min = 20, colour = \"red\" },\n\
               { code = \"low\", label = \"低危\", min = 0, colour = \"green\" },\n]\n"
            .into(),
    }])
    .compile()
    .unwrap();
    let run = |date| {
        let store = &fx.store;
        let strict = &strict;
        async move {
            assess_all(store, date, strict, &AlertParams::default())
                .await
                .unwrap()
        }
    };
    let first = run(as_of()).await;
    assert!(
        first.risk_levels.contains(&("高危".to_string(), 1)),
        "{:?}",
        first.risk_levels
    );
    let risk_alerts = |alerts: &[humiao_store::AlertRow], reason: &str| {
        alerts.iter().filter(|a| a.reason_code == reason).count()
    };
    let alerts = fx.store.list_alerts(&lives_director, &open).await.unwrap();
    assert_eq!(risk_alerts(&alerts, "risk:general:level"), 1);
    let level_alert = alerts
        .iter()
        .find(|a| a.reason_code == "risk:general:level")
        .unwrap();
    assert_eq!(level_alert.masked_message, "风险等级为高危，请尽快走访核实");
    run(as_of() + chrono::Duration::days(10)).await;
    let alerts = fx.store.list_alerts(&lives_director, &open).await.unwrap();
    assert_eq!(
        risk_alerts(&alerts, "risk:general:persistent"),
        0,
        "two in a row"
    );
    run(as_of() + chrono::Duration::days(20)).await;
    let alerts = fx.store.list_alerts(&lives_director, &open).await.unwrap();
    assert_eq!(
        risk_alerts(&alerts, "risk:general:persistent"),
        1,
        "three in a row"
    );
    assert_eq!(fx.store.risk_history(child).await.unwrap().len(), 3);
}

/// After a parent's record changes, re-assessing that parent's children alone gives what a
/// whole-county assessment would: a second full run finds nothing left to change.
#[tokio::test]
async fn a_family_is_reassessed_alone_after_a_parents_record_changes() {
    let fx = fixture().await;
    let f = family();
    let mapping = load_mapping(
        Department::Police,
        &write(&fx.root, "police.toml", common::HOUSEHOLD_MAPPING),
    )
    .unwrap();
    let file = write(&fx.root, "户籍.csv", &household_csv(&f));
    import_file(&fx.store, &mapping, &file, "test", &())
        .await
        .unwrap();
    link_records(&fx.store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    let pack = humiao_rules::national();
    let params = AlertParams::default();
    assess_all(&fx.store, as_of(), &pack, &params)
        .await
        .unwrap();
    let population = fx.store.load_population().await.unwrap();
    let person = |citizen_id: &CitizenId| {
        population
            .persons
            .iter()
            .find(|p| p.citizen_id.as_ref() == Some(citizen_id))
            .unwrap()
            .id
    };
    let (child, mother) = (person(&f.child), person(&f.mother));
    assert!(fx.store.categories_of(child).await.unwrap().is_empty());

    // The justice bureau reports the mother in prison (the fact as linking would write it).
    let source = fx.store.linkable_records().await.unwrap()[0].id;
    let mut w = fx.store.link_writer().await.unwrap();
    w.add_fact(&humiao_core::fact::Fact {
        person: mother,
        kind: humiao_core::fact::FactKind::Custody {
            measure: humiao_core::records::CustodyMeasure::Imprisonment,
        },
        valid_from: Some(d(2026, 1, 10)),
        valid_to: Some(d(2030, 1, 9)),
        source,
    })
    .await
    .unwrap();
    w.commit().await.unwrap();

    let children = fx.store.children_of(&[mother]).await.unwrap();
    assert_eq!(children, vec![child]);
    let report = humiao_pipeline::assess_children(&fx.store, &children, as_of(), &pack, &params)
        .await
        .unwrap();
    assert_eq!(report.children, 1);
    let now: Vec<Category> = fx
        .store
        .categories_of(child)
        .await
        .unwrap()
        .iter()
        .map(|c| c.category)
        .collect();
    for expected in [
        Category::DeFactoUnsupported,
        Category::EntitledNotReceiving,
        Category::PrisonersChild,
        Category::DifficultyGuardianship,
    ] {
        assert!(now.contains(&expected), "{now:?}");
    }
    assert!(report.alerts_raised >= 3, "{report:?}");
    assert_eq!(fx.store.risk_history(child).await.unwrap().len(), 1);

    let full = assess_all(&fx.store, as_of(), &pack, &params)
        .await
        .unwrap();
    assert_eq!(full.categories_added, 0, "{full:?}");
    assert_eq!(full.categories_removed, 0, "{full:?}");
    assert_eq!(full.alerts_raised, 0, "{full:?}");
}

#[tokio::test]
async fn a_mapping_for_another_department_is_refused() {
    let fx = fixture().await;
    let path = write(&fx.root, "police.toml", common::HOUSEHOLD_MAPPING);
    let err = load_mapping(Department::Justice, &path).unwrap_err();
    assert!(err.to_string().contains("公安"), "{err}");
}

#[tokio::test]
async fn a_file_missing_a_mapped_column_fails_and_is_recorded() {
    let fx = fixture().await;
    let mapping = load_mapping(
        Department::Police,
        &write(&fx.root, "police.toml", common::HOUSEHOLD_MAPPING),
    )
    .unwrap();
    let file = write(&fx.root, "缺列.csv", "户号,姓名\nH1,王五\n");
    let err = import_file(&fx.store, &mapping, &file, "test", &())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("公民身份号码"), "{err}");
    let batches = fx.store.batches(None).await.unwrap();
    assert_eq!(batches[0].status, humiao_store::BatchStatus::Failed);
    assert!(batches[0]
        .error
        .as_deref()
        .unwrap()
        .contains("公民身份号码"));
}
