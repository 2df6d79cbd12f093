//! The storage suite: every test runs against embedded SQLite and against PostgreSQL.
//!
//! PostgreSQL comes from `HUMIAO_TEST_POSTGRES` (default: the local server); each test gets a
//! fresh database that is dropped afterwards. If PostgreSQL cannot be reached the tests fail,
//! unless `HUMIAO_SKIP_POSTGRES=1` is set, in which case they say so loudly.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use humiao_core::access::{Actor, Role};
use humiao_core::alert::{AlertDraft, AlertStatus, Severity};
use humiao_core::fact::{Fact, FactKind};
use humiao_core::linking::LinkRule;
use humiao_core::policy::{Category, Decision, Reason};
use humiao_core::records::{HouseholdMember, PersonRef, RegisterStatus};
use humiao_core::{
    CitizenId, Department, DepartmentRecord, MentionRole, PersonId, PersonName, RecordKind, Region,
    RegionCode, RelationKind, SourceRecordId,
};
use humiao_store::{
    AlertFilter, AssessmentWrite, AuditEntry, BatchStatus, ChildFilter, HouseRelation, NewAlert,
    NewBatch, NewPerson, NewPhoto, NewSourceRecord, NewUser, NewVisit, PersonHouse, QuarantineRow,
    ScheduleEntry, Store, StoreError,
};

mod backends {
    use super::*;
    use sqlx::Connection;

    pub struct TestDb {
        pub store: Store,
        cleanup: Option<(String, String)>,
        _dir: Option<tempfile::TempDir>,
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDb {
            store: Store::connect(&url).await.unwrap(),
            cleanup: None,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("HUMIAO_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        sqlx::any::install_default_drivers();
        let mut admin = match sqlx::AnyConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) if std::env::var("HUMIAO_SKIP_POSTGRES").as_deref() == Ok("1") => {
                eprintln!("SKIPPED (HUMIAO_SKIP_POSTGRES=1): PostgreSQL unreachable: {e}");
                return None;
            }
            Err(e) => panic!(
                "PostgreSQL at {admin_url} is unreachable ({e}); start it or set \
                 HUMIAO_SKIP_POSTGRES=1 to skip the PostgreSQL half of the storage tests"
            ),
        };
        let name = format!(
            "humiao_test_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').unwrap().0;
        let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
        Some(TestDb {
            store,
            cleanup: Some((admin_url, name)),
            _dir: None,
        })
    }

    impl TestDb {
        pub async fn finish(self) {
            self.store.close().await;
            if let Some((admin_url, name)) = self.cleanup {
                let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Declares one test body run on both backends.
macro_rules! storage_test {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let db = backends::sqlite().await;
                $body(&db.store).await;
                db.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = backends::postgres().await {
                    $body(&db.store).await;
                    db.finish().await;
                }
            }
        }
    };
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const GRID_A: &str = "330199001001001";
const GRID_B: &str = "330199002001001";

async fn seed_regions(store: &Store) {
    let regions = [
        ("330199000000", "护苗县", false),
        ("330199001000", "东城街道", false),
        ("330199001001", "青石社区", false),
        (GRID_A, "青石社区第一网格", false),
        ("330199002000", "西山镇", false),
        ("330199002001", "西山村", true),
        (GRID_B, "西山村第一网格", true),
    ];
    store
        .upsert_regions(
            &regions
                .iter()
                .map(|(c, n, r)| Region {
                    code: code(c),
                    name: n.to_string(),
                    rural: *r,
                    // 青石社区 has a reference point; 西山村 has none.
                    centre: (*c == "330199001001").then(|| QINGSHI.into_point()),
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
}

/// 青石社区's reference point (synthetic).
const QINGSHI: (f64, f64) = (30.2741, 120.1551);

trait IntoPoint {
    fn into_point(self) -> humiao_core::geo::GeoPoint;
}

impl IntoPoint for (f64, f64) {
    fn into_point(self) -> humiao_core::geo::GeoPoint {
        humiao_core::geo::GeoPoint::new(self.0, self.1).unwrap()
    }
}

/// The national pack's thresholds.
const CHECKS: humiao_core::visit_check::CheckParams = humiao_core::visit_check::CheckParams {
    max_distance_m: 3000,
    max_accuracy_m: 500,
    clock_tolerance_minutes: 10,
    max_delay_days: 7,
    max_speed_kmh: 120,
};

fn member(name: &str, id: &CitizenId, grid: &str, father: Option<&CitizenId>) -> HouseholdMember {
    HouseholdMember {
        household_no: format!("H{}", &grid[9..]),
        citizen_id: Some(id.clone()),
        name: PersonName::parse(name).unwrap(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        relation_to_head: None,
        hukou_region: code(&grid[..12]),
        hukou_address: Some("幸福路1号".into()),
        residence_grid: Some(code(grid)),
        residence_address: Some("幸福路1号2幢301室".into()),
        father: PersonRef {
            citizen_id: father.cloned(),
            name: None,
        },
        mother: PersonRef::default(),
        guardian: PersonRef::default(),
        status: RegisterStatus::Normal,
        status_date: None,
        outflow_reason: None,
        outflow_since: None,
        residence_since: None,
        outflow_destination: None,
    }
}

struct Seeded {
    child_a: PersonId,
    child_b: PersonId,
    father_a: PersonId,
    records: Vec<SourceRecordId>,
}

/// Two children in two towns, one father, imported and linked through the store API.
async fn seed_people(store: &Store) -> Seeded {
    seed_regions(store).await;
    let child_a_id = CitizenId::from_parts("330199", d(2015, 3, 1), 11).unwrap();
    let child_b_id = CitizenId::from_parts("330199", d(2016, 4, 2), 22).unwrap();
    let father_id = CitizenId::from_parts("330199", d(1985, 1, 1), 31).unwrap();
    let batch = store
        .create_batch(&NewBatch {
            department: Department::Police,
            record_kind: RecordKind::HouseholdMember,
            mapping_name: "test".into(),
            file_name: "hh.csv".into(),
            file_sha256: "abc".into(),
            imported_by: "test".into(),
        })
        .await
        .unwrap();
    let rows = [
        member("王小明", &child_a_id, GRID_A, Some(&father_id)),
        member("李小红", &child_b_id, GRID_B, None),
        member("王强", &father_id, GRID_A, None),
    ];
    let records: Vec<NewSourceRecord> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| NewSourceRecord {
            line: i as i64 + 2,
            content_hash: format!("hash{i}"),
            raw: serde_json::json!({"row": i}),
            record: DepartmentRecord::HouseholdMember(r.clone()),
            warnings: serde_json::json!([]),
        })
        .collect();
    let (new, dup) = store.add_batch_rows(batch, &records, &[]).await.unwrap();
    assert_eq!((new, dup), (3, 0));
    store
        .finish_batch(batch, BatchStatus::Completed, None)
        .await
        .unwrap();
    let pending = store.pending_records().await.unwrap();
    assert_eq!(pending.len(), 3);
    let mut writer = store.link_writer().await.unwrap();
    let mut ids = Vec::new();
    for p in &pending {
        let DepartmentRecord::HouseholdMember(r) = &p.record else {
            panic!()
        };
        let id = writer
            .create_person(&NewPerson {
                citizen_id: r.citizen_id.clone(),
                name: r.name.clone(),
                sex: r.sex,
                birth_date: r.birth_date,
                hukou_region: Some(r.hukou_region.clone()),
                hukou_address: r.hukou_address.clone(),
                residence_grid: r.residence_grid.clone(),
                residence_address: r.residence_address.clone(),
                household_no: Some(r.household_no.clone()),
                source: p.id,
            })
            .await
            .unwrap();
        writer
            .link_mention(
                p.id,
                MentionRole::Subject,
                Some(id),
                Some(LinkRule::NewPerson),
                "new",
            )
            .await
            .unwrap();
        writer.mark_record(p.id, true).await.unwrap();
        ids.push(id);
    }
    writer
        .add_relationship(ids[0], RelationKind::Father, ids[2], pending[0].id)
        .await
        .unwrap();
    writer
        .add_fact(&Fact {
            person: ids[2],
            kind: FactKind::Death,
            valid_from: Some(d(2026, 10, 1)),
            valid_to: None,
            source: pending[2].id,
        })
        .await
        .unwrap();
    writer.commit().await.unwrap();
    Seeded {
        child_a: ids[0],
        child_b: ids[1],
        father_a: ids[2],
        records: pending.iter().map(|p| p.id).collect(),
    }
}

fn actor(role: Role, places: &[&str]) -> Actor {
    Actor {
        user_id: 0,
        username: format!("{role:?}"),
        role,
        jurisdiction: places.iter().map(|p| code(p)).collect(),
    }
}

async fn user(store: &Store, username: &str, role: Role, places: &[&str]) -> Actor {
    let id = store
        .upsert_user(&NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: "$argon2id$dummy".into(),
            role,
            jurisdiction: places.iter().map(|p| code(p)).collect(),
            department: (role == Role::DepartmentLiaison).then_some(Department::Justice),
        })
        .await
        .unwrap();
    store.user(id).await.unwrap().actor()
}

fn alert_for(child: PersonId, trigger: &str, reason: &str) -> AlertDraft {
    AlertDraft {
        child,
        reason_code: reason.into(),
        trigger_key: trigger.into(),
        severity: Severity::High,
        masked_message: "家庭变故，请尽快走访".into(),
        detail: "父亲死亡（2026-10-01）".into(),
        due: d(2026, 11, 25),
        sources: vec![SourceRecordId(1)],
        police: false,
    }
}

const AS_OF: fn() -> NaiveDate = || d(2026, 11, 22);

async fn batches_are_idempotent_and_quarantine_is_kept(store: &Store) {
    let seeded = seed_people(store).await;
    assert_eq!(seeded.records.len(), 3);
    // The same rows again in a second batch: nothing new, all counted as duplicates.
    let batch = store
        .create_batch(&NewBatch {
            department: Department::Police,
            record_kind: RecordKind::HouseholdMember,
            mapping_name: "test".into(),
            file_name: "hh2.csv".into(),
            file_sha256: "def".into(),
            imported_by: "test".into(),
        })
        .await
        .unwrap();
    let pending_before = store.count_source_records().await.unwrap();
    let again = NewSourceRecord {
        line: 2,
        content_hash: "hash0".into(),
        raw: serde_json::json!({"row": 0}),
        record: store.pending_records().await.unwrap().first().map_or_else(
            || {
                DepartmentRecord::HouseholdMember(member(
                    "王小明",
                    &CitizenId::from_parts("330199", d(2015, 3, 1), 11).unwrap(),
                    GRID_A,
                    None,
                ))
            },
            |p| p.record.clone(),
        ),
        warnings: serde_json::json!([]),
    };
    let bad = QuarantineRow {
        line: 3,
        field: "birth_date".into(),
        column: "出生日期".into(),
        value: "2015-02-30".into(),
        reason: "日期无效".into(),
        raw: "{}".into(),
    };
    let (new, dup) = store
        .add_batch_rows(batch, &[again], std::slice::from_ref(&bad))
        .await
        .unwrap();
    assert_eq!((new, dup), (0, 1));
    store
        .finish_batch(batch, BatchStatus::Completed, None)
        .await
        .unwrap();
    assert_eq!(store.count_source_records().await.unwrap(), pending_before);
    let row = store.batch(batch).await.unwrap();
    assert_eq!(
        (
            row.rows_total,
            row.rows_new,
            row.rows_duplicate,
            row.rows_quarantined
        ),
        (2, 0, 1, 1)
    );
    assert_eq!(store.quarantine(batch).await.unwrap(), vec![bad]);
    assert!(store
        .completed_batch_for_file(Department::Police, "def")
        .await
        .unwrap()
        .is_some());
    assert!(store
        .completed_batch_for_file(Department::Education, "def")
        .await
        .unwrap()
        .is_none());
}
storage_test!(
    batches_idempotent,
    batches_are_idempotent_and_quarantine_is_kept
);

async fn population_round_trips(store: &Store) {
    let seeded = seed_people(store).await;
    let population = store.load_population().await.unwrap();
    assert_eq!(population.persons.len(), 3);
    assert_eq!(
        population.relationships,
        vec![(seeded.child_a, RelationKind::Father, seeded.father_a)]
    );
    assert_eq!(population.facts.len(), 1);
    assert_eq!(population.facts[0].kind, FactKind::Death);
    assert_eq!(population.rural_villages, vec![code("330199002001")]);
    let child = population
        .persons
        .iter()
        .find(|p| p.id == seeded.child_a)
        .unwrap();
    assert_eq!(child.residence_grid, Some(code(GRID_A)));
    assert_eq!(child.name.as_str(), "王小明");
    // Lineage: the fact names its department, file and line.
    let facts = store.facts_with_sources(&[seeded.father_a]).await.unwrap();
    assert_eq!(facts[0].department, "police");
    assert_eq!(facts[0].file_name, "hh.csv");
    assert_eq!(facts[0].line, 4);
    let linked = store.linked_records(seeded.child_a).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].rule, Some(LinkRule::NewPerson));
}
storage_test!(population, population_round_trips);

async fn scopes_keep_grids_apart(store: &Store) {
    let seeded = seed_people(store).await;
    let director_a = actor(Role::ChildDirector, &[GRID_A]);
    let station_b = actor(Role::StationStaff, &["330199002000"]);
    let centre = actor(Role::CentreStaff, &["330199000000"]);
    let auditor = actor(Role::Auditor, &["330199000000"]);
    let filter = ChildFilter {
        as_of: AS_OF(),
        limit: 50,
        ..Default::default()
    };
    let names = |list: Vec<humiao_store::ChildSummary>| {
        list.into_iter()
            .map(|c| c.person.name.to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        names(store.list_children(&director_a, &filter).await.unwrap()),
        BTreeSet::from(["王小明".to_string()])
    );
    assert_eq!(
        names(store.list_children(&station_b, &filter).await.unwrap()),
        BTreeSet::from(["李小红".to_string()])
    );
    assert_eq!(
        names(store.list_children(&centre, &filter).await.unwrap()).len(),
        2,
        "the father is an adult and not listed"
    );
    assert!(store
        .list_children(&auditor, &filter)
        .await
        .unwrap()
        .is_empty());
    // Search by name does not reach across grids.
    let search = ChildFilter {
        query: Some("李小红".into()),
        ..filter.clone()
    };
    assert!(store
        .list_children(&director_a, &search)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .person_in_scope(&director_a, seeded.child_a)
        .await
        .is_ok());
    assert!(matches!(
        store.person_in_scope(&director_a, seeded.child_b).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.person_in_scope(&auditor, seeded.child_a).await,
        Err(StoreError::NotFound)
    ));
}
storage_test!(scopes, scopes_keep_grids_apart);

async fn alerts_are_routed_deduplicated_and_closed_by_a_visit(store: &Store) {
    let seeded = seed_people(store).await;
    let director_a = user(store, "dir_a", Role::ChildDirector, &[GRID_A]).await;
    let director_b = user(store, "dir_b", Role::ChildDirector, &[GRID_B]).await;
    let write = AssessmentWrite {
        as_of: AS_OF(),
        decisions: vec![(
            seeded.child_a,
            Decision {
                category: Category::DeFactoUnsupported,
                reasons: vec![Reason {
                    text: "父亲死亡".into(),
                    sources: vec![seeded.records[2]],
                }],
                policy: "民发〔2019〕62号".into(),
            },
        )],
        removed: vec![],
        alerts: vec![
            NewAlert {
                draft: alert_for(seeded.child_a, "fact:1:death", "family_change:death"),
                grid: Some(code(GRID_A)),
            },
            // Same reason while the first is open: deduplicated.
            NewAlert {
                draft: alert_for(seeded.child_a, "fact:2:death", "family_change:death"),
                grid: Some(code(GRID_A)),
            },
            NewAlert {
                draft: alert_for(seeded.child_b, "fact:3:death", "family_change:death"),
                grid: Some(code(GRID_B)),
            },
        ],
        risks: vec![],
    };
    assert_eq!(store.apply_assessment(&write).await.unwrap(), 2);
    // Re-applying the same assessment raises nothing new.
    assert_eq!(store.apply_assessment(&write).await.unwrap(), 0);
    let categories = store.categories_of(seeded.child_a).await.unwrap();
    assert_eq!(categories[0].category, Category::DeFactoUnsupported);
    assert_eq!(categories[0].reasons[0].sources, vec![seeded.records[2]]);

    let open = AlertFilter {
        status: Some(AlertStatus::Open),
        limit: 50,
        ..Default::default()
    };
    let mine = store.list_alerts(&director_a, &open).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].person_id, seeded.child_a);
    let theirs = store.list_alerts(&director_b, &open).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert!(matches!(
        store.alert_in_scope(&director_a, theirs[0].id).await,
        Err(StoreError::NotFound)
    ));

    // A director cannot record a visit for another grid's child or alert.
    let mut visit = NewVisit {
        person: seeded.child_b,
        alert_id: Some(theirs[0].id),
        visited_at: Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap(),
        latitude: Some(30.1),
        longitude: Some(120.2),
        accuracy_m: Some(15.0),
        aspects: vec![humiao_core::visit::VisitAspect {
            code: "family".into(),
            label: "家庭情况".into(),
            text: "祖母照料".into(),
        }],
        notes: "已走访".into(),
        photos: vec![NewPhoto {
            content_type: "image/png".into(),
            bytes: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
        }],
        observations: vec![
            humiao_store::NewObservation {
                model: "general".into(),
                indicator: "domestic_violence".into(),
                present: false,
            },
            humiao_store::NewObservation {
                model: "general".into(),
                indicator: "mental_health_signs".into(),
                present: true,
            },
        ],
        observed_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        checks: CHECKS,
        client_id: None,
    };
    assert!(matches!(
        store.record_visit(&director_a, &visit).await,
        Err(StoreError::NotFound)
    ));
    let visit_id = store.record_visit(&director_b, &visit).await.unwrap().id;
    let visits = store.visits_of(seeded.child_b).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].id, visit_id);
    assert_eq!(visits[0].aspect("家庭情况"), Some("祖母照料"));
    assert_eq!(visits[0].aspect("family"), Some("祖母照料"));
    assert_eq!(visits[0].latitude, Some(30.1));
    // The observations, dated by the visit's day in China, for the rules.
    let observed = store
        .observations_of(Some(&[seeded.child_b]))
        .await
        .unwrap();
    assert_eq!(observed.len(), 2);
    assert!(observed.iter().all(|(p, o)| *p == seeded.child_b
        && o.visit == visit_id
        && o.observed_on == chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()));
    assert!(observed
        .iter()
        .any(|(_, o)| o.indicator == "mental_health_signs" && o.present));
    assert!(store
        .observations_of(Some(&[seeded.child_a]))
        .await
        .unwrap()
        .is_empty());
    // A level set by the director with a reason: kept, audited, and only in scope.
    let set = humiao_store::NewRiskOverride {
        person: seeded.child_b,
        model: "general".into(),
        computed_level: 3,
        computed_label: "低危".into(),
        level: 1,
        level_label: "高危".into(),
        colour: "red".into(),
        reason: "母亲长期不在家".into(),
    };
    assert!(matches!(
        store.override_risk(&director_a, &set).await,
        Err(StoreError::NotFound)
    ));
    store.override_risk(&director_b, &set).await.unwrap();
    let overrides = store.risk_overrides_of(seeded.child_b).await.unwrap();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].username, director_b.username);
    assert!(overrides[0].holds_at(3) && !overrides[0].holds_at(2));
    // A purpose-bound reveal: in force for its time only, kept for review.
    let now = Utc::now();
    let reveal = store
        .reveal_alert(
            &director_b,
            theirs[0].id,
            "走访准备",
            now,
            chrono::Duration::minutes(30),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .reveal_alert(
                &director_a,
                theirs[0].id,
                "核实",
                now,
                chrono::Duration::minutes(30)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.active_reveals(director_b.user_id, now).await.unwrap(),
        vec![reveal.clone()]
    );
    assert!(store
        .active_reveals(director_b.user_id, now + chrono::Duration::minutes(31))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.reveals(10).await.unwrap()[0].0, reveal);
    assert_eq!(
        store.load_population().await.unwrap().observations,
        observed
    );
    let photo_id = visits[0].photo_ids[0];
    let photo = store.photo_in_scope(&director_b, photo_id).await.unwrap();
    assert_eq!(photo.bytes, visit.photos[0].bytes);
    assert!(matches!(
        store.photo_in_scope(&director_a, photo_id).await,
        Err(StoreError::NotFound)
    ));
    let closed = store
        .list_alerts(
            &director_b,
            &AlertFilter {
                status: Some(AlertStatus::Closed),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert!(closed[0].closed_at.is_some());
    // Visit and alert closing were audited in the same transaction.
    let audit = store
        .audit_log(Some(("person", &seeded.child_b.0.to_string())), 10, 0)
        .await
        .unwrap();
    // Newest first: the reveal, the override, then the visit.
    assert_eq!(audit[0].action, "alert.reveal");
    assert_eq!(audit[1].action, "risk.override");
    assert_eq!(audit[2].action, "visit.record");
    assert_eq!(audit[2].user_id, Some(director_b.user_id));
    // A visit naming another child's alert is refused.
    visit.person = seeded.child_b;
    visit.alert_id = Some(mine[0].id);
    assert!(store.record_visit(&director_b, &visit).await.is_err());
}
storage_test!(alerts, alerts_are_routed_deduplicated_and_closed_by_a_visit);

/// A visit from the phone's queue: sent twice it is stored once, with one set of photos; when
/// its alert was closed meanwhile by another visit, that visit and the closing are untouched.
async fn a_visit_sent_twice_is_stored_once_and_a_closed_alert_is_left_alone(store: &Store) {
    let seeded = seed_people(store).await;
    let director_a = user(store, "dir_a", Role::ChildDirector, &[GRID_A]).await;
    let colleague = user(store, "dir_a2", Role::ChildDirector, &[GRID_A]).await;
    let write = AssessmentWrite {
        as_of: AS_OF(),
        decisions: vec![],
        removed: vec![],
        alerts: vec![NewAlert {
            draft: alert_for(seeded.child_a, "fact:1:death", "family_change:death"),
            grid: Some(code(GRID_A)),
        }],
        risks: vec![],
    };
    store.apply_assessment(&write).await.unwrap();
    let alert = store
        .list_alerts(
            &director_a,
            &AlertFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0]
        .id;
    let photo = |b: u8| NewPhoto {
        content_type: "image/jpeg".into(),
        bytes: vec![0xFF, 0xD8, 0xFF, b],
    };
    let visit = |client: &str| NewVisit {
        person: seeded.child_a,
        alert_id: Some(alert),
        visited_at: Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap(),
        latitude: Some(30.2),
        longitude: Some(120.1),
        accuracy_m: Some(20.0),
        aspects: vec![humiao_core::visit::VisitAspect {
            code: "family".into(),
            label: "家庭情况".into(),
            text: "祖母照料".into(),
        }],
        notes: String::new(),
        photos: vec![photo(1), photo(2)],
        observations: vec![],
        observed_on: d(2026, 11, 21),
        checks: CHECKS,
        client_id: Some(client.to_string()),
    };
    // The colleague's visit closes the alert first.
    let first = store
        .record_visit(&colleague, &visit("11111111-1111-4111-8111-111111111111"))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.alert_closed_before, None);
    let closed = store.alert_in_scope(&director_a, alert).await.unwrap();
    assert_eq!(closed.status, AlertStatus::Closed);

    // Then the director's queued visit arrives: kept, reported, nothing else touched.
    let queued = visit("22222222-2222-4222-8222-222222222222");
    let mine = store.record_visit(&director_a, &queued).await.unwrap();
    assert!(!mine.duplicate);
    let before = mine.alert_closed_before.clone().expect("closed meanwhile");
    assert_eq!(before.visit_id, Some(first.id));
    assert_eq!(before.closed_by.as_deref(), Some("dir_a2"));
    assert_eq!(before.closed_at, closed.closed_at);
    let after = store.alert_in_scope(&director_a, alert).await.unwrap();
    assert_eq!(after, closed, "the closing is not redone");

    // The same visit again (a retried or replayed sync): the first id, nothing stored.
    for _ in 0..2 {
        let again = store.record_visit(&director_a, &queued).await.unwrap();
        assert_eq!(again.id, mine.id);
        assert!(again.duplicate);
    }
    assert_eq!(
        store
            .visit_by_client_id(&director_a, "22222222-2222-4222-8222-222222222222")
            .await
            .unwrap(),
        Some(mine.id)
    );
    let visits = store.visits_of(seeded.child_a).await.unwrap();
    assert_eq!(visits.len(), 2);
    let stored = visits.iter().find(|v| v.id == mine.id).unwrap();
    assert_eq!(stored.photo_ids.len(), 2);
    // Every photo of the child belongs to one of its visits: two each, no more.
    assert_eq!(visits.iter().map(|v| v.photo_ids.len()).sum::<usize>(), 4);
    let other = visits.iter().find(|v| v.id == first.id).unwrap();
    assert_eq!(other.photo_ids.len(), 2);
    // One audit row per stored visit, none for the replays.
    let audit = store
        .audit_log(Some(("person", &seeded.child_a.0.to_string())), 20, 0)
        .await
        .unwrap();
    assert_eq!(
        audit.iter().filter(|r| r.action == "visit.record").count(),
        2
    );
    assert!(audit.iter().any(|r| r.detail.contains("already closed")));

    // The same visit twice at once (a retry while the first upload is being stored): one is
    // stored, the other answers with its id — the unique index decides, not a race.
    let racing = visit("33333333-3333-4333-8333-333333333333");
    let (x, y) = tokio::join!(
        store.record_visit(&director_a, &racing),
        store.record_visit(&director_a, &racing)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.id, y.id);
    assert!(x.duplicate != y.duplicate, "{x:?} {y:?}");
    let visits = store.visits_of(seeded.child_a).await.unwrap();
    assert_eq!(visits.len(), 3);
    assert_eq!(visits.iter().map(|v| v.photo_ids.len()).sum::<usize>(), 6);

    // Another user's identifier is refused without naming whose it is, and stores nothing.
    assert!(matches!(
        store.record_visit(&colleague, &queued).await,
        Err(StoreError::Conflict(_))
    ));
    // Visits without an identifier are never taken for duplicates.
    let mut plain = visit("");
    plain.client_id = None;
    plain.alert_id = None;
    let a = store.record_visit(&director_a, &plain).await.unwrap();
    let b = store.record_visit(&director_a, &plain).await.unwrap();
    assert!(!a.duplicate && !b.duplicate && a.id != b.id);
    assert_eq!(store.visits_of(seeded.child_a).await.unwrap().len(), 5);
}
storage_test!(
    visit_client_id,
    a_visit_sent_twice_is_stored_once_and_a_closed_alert_is_left_alone
);

async fn dashboard_counts_by_town(store: &Store) {
    let seeded = seed_people(store).await;
    store
        .apply_assessment(&AssessmentWrite {
            as_of: AS_OF(),
            decisions: vec![],
            removed: vec![],
            alerts: vec![NewAlert {
                draft: alert_for(seeded.child_a, "t1", "r1"),
                grid: Some(code(GRID_A)),
            }],
            risks: vec![],
        })
        .await
        .unwrap();
    let centre = actor(Role::CentreStaff, &["330199000000"]);
    let dashboard = store.dashboard(&centre, AS_OF()).await.unwrap();
    assert_eq!(dashboard.children, 2);
    assert_eq!(dashboard.alerts_open, 1);
    let town = dashboard
        .by_town
        .iter()
        .find(|t| t.code == "330199001000")
        .unwrap();
    assert_eq!(town.name, "东城街道");
    assert_eq!((town.children, town.open_alerts), (1, 1));
    let director_b = actor(Role::ChildDirector, &[GRID_B]);
    let theirs = store.dashboard(&director_b, AS_OF()).await.unwrap();
    assert_eq!((theirs.children, theirs.alerts_open), (1, 0));
}
storage_test!(dashboard, dashboard_counts_by_town);

async fn audit_chain_detects_tampering(store: &Store) {
    for i in 0..5 {
        store
            .audit(&AuditEntry {
                user_id: None,
                username: "tester".into(),
                action: "child.view".into(),
                target_kind: "person".into(),
                target_id: i.to_string(),
                detail: String::new(),
            })
            .await
            .unwrap();
    }
    let check = store.verify_audit_chain().await.unwrap();
    assert_eq!((check.rows, check.first_broken), (5, None));
    let log = store.audit_log(None, 2, 0).await.unwrap();
    assert_eq!(log[0].target_id, "4");
    // Rewrite history directly in the database: the chain breaks at that row.
    let url_store = store.clone();
    url_store
        .execute_for_tests("UPDATE audit_log SET target_id = '99' WHERE id = 3")
        .await;
    let check = store.verify_audit_chain().await.unwrap();
    assert_eq!(check.first_broken, Some(3));
}
storage_test!(audit_chain, audit_chain_detects_tampering);

async fn users_sessions_and_lockout(store: &Store) {
    seed_regions(store).await;
    let director = user(store, "dir", Role::ChildDirector, &[GRID_A, GRID_B]).await;
    let row = store.user_by_username("dir").await.unwrap().unwrap();
    assert_eq!(row.jurisdiction, vec![code(GRID_A), code(GRID_B)]);
    assert_eq!(row.department, None);
    user(store, "liaison", Role::DepartmentLiaison, &["330199000000"]).await;
    let liaison = store.user_by_username("liaison").await.unwrap().unwrap();
    assert_eq!(liaison.department, Some(Department::Justice));
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
    store
        .record_failed_login(director.user_id, None)
        .await
        .unwrap();
    let lock = now + chrono::Duration::minutes(15);
    store
        .record_failed_login(director.user_id, Some(lock))
        .await
        .unwrap();
    let row = store.user(director.user_id).await.unwrap();
    assert_eq!(row.failed_logins, 2);
    assert_eq!(row.locked_until, Some(lock));
    store.reset_failed_logins(director.user_id).await.unwrap();
    assert_eq!(store.user(director.user_id).await.unwrap().failed_logins, 0);

    store
        .create_session(
            "tokenhash",
            director.user_id,
            "csrf",
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let session = store.session("tokenhash", now).await.unwrap().unwrap();
    assert_eq!(session.user.username, "dir");
    assert_eq!(session.csrf_token, "csrf");
    assert!(store
        .session("tokenhash", now + chrono::Duration::hours(2))
        .await
        .unwrap()
        .is_none());
    // A new session sweeps away expired ones.
    store
        .create_session(
            "old",
            director.user_id,
            "c",
            Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    store
        .create_session(
            "new",
            director.user_id,
            "c",
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let swept = store
        .session("old", Utc::now() - chrono::Duration::hours(2))
        .await
        .unwrap();
    assert!(swept.is_none(), "expired session removed");
    store.delete_session("tokenhash").await.unwrap();
    assert!(store.session("tokenhash", now).await.unwrap().is_none());
}
storage_test!(users, users_sessions_and_lockout);

async fn merges_repoint_dependants_and_decisions_are_audited(store: &Store) {
    let seeded = seed_people(store).await;
    let centre = actor(Role::CentreStaff, &["330199000000"]);
    let write = AssessmentWrite {
        as_of: AS_OF(),
        decisions: vec![],
        removed: vec![],
        alerts: vec![
            NewAlert {
                draft: alert_for(seeded.child_a, "fact:1:death", "family_change:death"),
                grid: Some(code(GRID_A)),
            },
            NewAlert {
                draft: alert_for(seeded.child_b, "fact:3:death", "family_change:death"),
                grid: Some(code(GRID_B)),
            },
        ],
        risks: vec![],
    };
    assert_eq!(store.apply_assessment(&write).await.unwrap(), 2);
    let child_b_id = store
        .person_unscoped(seeded.child_b)
        .await
        .unwrap()
        .citizen_id
        .unwrap();

    // child_b turns out to be child_a: merge, with a recorded event.
    let mut w = store.link_writer().await.unwrap();
    let run = w.start_run("full", "2026-11-23T00:00:00Z").await.unwrap();
    w.release_citizen_id(seeded.child_b).await.unwrap();
    w.merge_person(seeded.child_b, seeded.child_a)
        .await
        .unwrap();
    w.person_event(run, "merged", seeded.child_b, seeded.child_a)
        .await
        .unwrap();
    // A new person with an explicit id, whose ID is already held by child_a's father: kept
    // without the ID rather than failing.
    let father = store.person_unscoped(seeded.father_a).await.unwrap();
    w.upsert_person(
        PersonId(1000),
        &NewPerson {
            citizen_id: father.citizen_id.clone(),
            name: PersonName::parse("王强").unwrap(),
            sex: father.sex,
            birth_date: father.birth_date,
            hukou_region: None,
            hukou_address: None,
            residence_grid: None,
            residence_address: None,
            household_no: None,
            source: seeded.records[2],
        },
    )
    .await
    .unwrap();
    w.sync_person_ids(store.backend()).await.unwrap();
    w.finish_run(run, "{}").await.unwrap();
    w.commit().await.unwrap();

    assert!(store.person_unscoped(seeded.child_b).await.is_err());
    assert_eq!(
        store.current_person(seeded.child_b).await.unwrap(),
        seeded.child_a
    );
    assert_eq!(store.person_events(seeded.child_a).await.unwrap().len(), 1);
    let alerts = store
        .list_alerts(
            &centre,
            &AlertFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(alerts.len(), 2, "both alerts now on child_a");
    assert!(alerts.iter().all(|a| a.person_id == seeded.child_a));
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Open)
            .count(),
        1,
        "the duplicate open alert was closed"
    );
    let records = store.linkable_records_of(seeded.child_a).await.unwrap();
    assert_eq!(records.len(), 2, "child_b's record now belongs to child_a");
    let new_person = store.person_unscoped(PersonId(1000)).await.unwrap();
    assert_eq!(new_person.citizen_id, None);
    // The id sequence moved past the explicit id.
    let mut w = store.link_writer().await.unwrap();
    let next = w
        .create_person(&NewPerson {
            citizen_id: Some(child_b_id),
            name: PersonName::parse("李小红").unwrap(),
            sex: father.sex,
            birth_date: father.birth_date,
            hukou_region: None,
            hukou_address: None,
            residence_grid: None,
            residence_address: None,
            household_no: None,
            source: seeded.records[1],
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert!(next.0 > 1000, "{next:?}");

    // Review queue and a clerk's decision.
    let mut w = store.link_writer().await.unwrap();
    w.replace_review(
        &[humiao_store::ReviewRow {
            record_a: "2:subject".into(),
            record_b: "1:subject".into(),
            probability: 0.7,
            weight: 1.2,
            person_a: Some(seeded.child_a),
            person_b: None,
        }],
        &[("3:subject".into(), "1:subject".into())],
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    assert_eq!(store.count_review().await.unwrap(), 1);
    let pair = store
        .review_pair("2:subject", "1:subject")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pair.record_a, "1:subject", "pairs are stored in key order");
    assert_eq!(
        store.link_refused().await.unwrap(),
        vec![("1:subject".to_string(), "3:subject".to_string())]
    );
    store
        .decide_link("2:subject", "1:subject", false, 7, "centre1", "不同家庭")
        .await
        .unwrap();
    assert_eq!(store.count_review().await.unwrap(), 0);
    let decisions = store.link_decisions().await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].decision, "different_persons");
    let log = store.audit_log(None, 10, 0).await.unwrap();
    assert!(log.iter().any(|r| r.action == "link_decision"
        && r.target_id == "1:subject|2:subject"
        && r.username == "centre1"));
    // Deciding again replaces the decision.
    store
        .decide_link("1:subject", "2:subject", true, 7, "centre1", "")
        .await
        .unwrap();
    let decisions = store.link_decisions().await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].decision, "same_person");
}
storage_test!(
    link_state,
    merges_repoint_dependants_and_decisions_are_audited
);

async fn houses_are_stable_and_follow_merges(store: &Store) {
    let seeded = seed_people(store).await;
    let link = |person, key: &str, relation| PersonHouse {
        person,
        address_key: key.to_string(),
        town: Some("城关镇".into()),
        village: Some("东门村".into()),
        relation,
    };
    let (k1, k2) = ("城关镇东门村幸福路1号2幢301室", "城关镇东门村幸福路1号");
    let links = vec![
        link(seeded.child_a, k1, HouseRelation::Residence),
        link(seeded.father_a, k1, HouseRelation::Residence),
        link(seeded.child_a, k2, HouseRelation::Hukou),
        link(seeded.child_b, k2, HouseRelation::Residence),
        // A duplicate is written once.
        link(seeded.child_b, k2, HouseRelation::Residence),
    ];
    let counts = store.replace_person_houses(&links).await.unwrap();
    assert_eq!((counts.houses, counts.links), (2, 4));
    let houses = store.houses_of(seeded.child_a).await.unwrap();
    assert_eq!(houses.len(), 2);
    let home = houses.iter().find(|h| h.address_key == k1).unwrap();
    assert_eq!(home.relation, HouseRelation::Residence);
    assert_eq!(home.village.as_deref(), Some("东门村"));
    let residents: Vec<PersonId> = store
        .residents_of(home.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.person.id)
        .collect();
    // Oldest first: the father, then the child.
    assert_eq!(residents, vec![seeded.father_a, seeded.child_a]);

    // Rebuilding with the same links keeps house ids.
    store.replace_person_houses(&links).await.unwrap();
    let again = store.houses_of(seeded.child_a).await.unwrap();
    assert_eq!(
        again.iter().map(|h| h.id).collect::<Vec<_>>(),
        houses.iter().map(|h| h.id).collect::<Vec<_>>()
    );
    // A house nobody is tied to any more disappears.
    let counts = store.replace_person_houses(&links[..2]).await.unwrap();
    assert_eq!((counts.houses, counts.links), (1, 2));
    assert!(store.houses_of(seeded.child_b).await.unwrap().is_empty());

    // Household members share the 户号; the person is not their own member.
    let child = store.person_unscoped(seeded.child_a).await.unwrap();
    let members: Vec<PersonId> = store
        .household_members(&child)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert!(members.contains(&seeded.father_a), "{members:?}");
    assert!(!members.contains(&seeded.child_a));
    let mut lone = child.clone();
    lone.household_no = None;
    assert!(store.household_members(&lone).await.unwrap().is_empty());

    // A merged-away person's house links go with it (re-derived from the survivor).
    let mut w = store.link_writer().await.unwrap();
    w.release_citizen_id(seeded.father_a).await.unwrap();
    w.merge_person(seeded.father_a, seeded.child_a)
        .await
        .unwrap();
    w.commit().await.unwrap();
    let residents = store.residents_of(home.id).await.unwrap();
    assert_eq!(residents.len(), 1);
}

storage_test!(houses, houses_are_stable_and_follow_merges);

async fn settings_are_saved_and_audited(store: &Store) {
    assert_eq!(store.setting("link.survivorship").await.unwrap(), None);
    let by = AuditEntry {
        user_id: None,
        username: "cli:tester".into(),
        action: "settings.survivorship".into(),
        target_kind: "setting".into(),
        target_id: "link.survivorship".into(),
        detail: "{\"a\":1}".into(),
    };
    store
        .put_setting("link.survivorship", "{\"a\":1}", &by)
        .await
        .unwrap();
    store
        .put_setting("link.survivorship", "{\"a\":2}", &by)
        .await
        .unwrap();
    let row = store.setting("link.survivorship").await.unwrap().unwrap();
    assert_eq!(row.value, "{\"a\":2}");
    assert_eq!(row.updated_by, "cli:tester");
    let audit = store
        .audit_log(Some(("setting", "link.survivorship")), 10, 0)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(store.verify_audit_chain().await.unwrap().first_broken, None);
}

storage_test!(settings, settings_are_saved_and_audited);

async fn risk_rows_are_kept_per_day_and_follow_merges(store: &Store) {
    let seeded = seed_people(store).await;
    let row = |person, day: u32, score, level: i64| humiao_store::RiskRow {
        person,
        model: "general".into(),
        assessed_on: d(2026, 11, day),
        score,
        score_max: score + 40,
        level,
        level_label: ["极危", "高危", "中危", "低危"][level as usize].into(),
        colour: "red".into(),
        unknown: 12,
        detail_json: "{\"indicators\":[]}".into(),
        pack: "national 2026.1".into(),
    };
    let write = |risks| AssessmentWrite {
        as_of: d(2026, 11, 20),
        decisions: vec![],
        removed: vec![],
        alerts: vec![],
        risks,
    };
    store
        .apply_assessment(&write(vec![
            row(seeded.child_a, 1, 22, 2),
            row(seeded.child_a, 10, 45, 1),
            row(seeded.child_b, 10, 5, 3),
        ]))
        .await
        .unwrap();
    // A re-run on the same day replaces that day's row.
    store
        .apply_assessment(&write(vec![row(seeded.child_a, 10, 61, 0)]))
        .await
        .unwrap();
    let history = store.risk_history(seeded.child_a).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[0].assessed_on, history[0].score),
        (d(2026, 11, 10), 61)
    );
    assert_eq!(history[0].level_label, "极危");
    assert_eq!(history[1].assessed_on, d(2026, 11, 1));
    let all = store.risk_histories().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].2, d(2026, 11, 1), "oldest first");
    // A merged-away person's history goes with it.
    let mut w = store.link_writer().await.unwrap();
    w.release_citizen_id(seeded.child_b).await.unwrap();
    w.merge_person(seeded.child_b, seeded.child_a)
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert_eq!(store.risk_histories().await.unwrap().len(), 2);
}

storage_test!(risk, risk_rows_are_kept_per_day_and_follow_merges);

async fn events_are_stored_once_and_keys_revoked(store: &Store) {
    use humiao_store::EventReceipt;
    let (id, key) = store
        .create_api_key(humiao_core::Department::Police, "公安推送", "cli:tester")
        .await
        .unwrap();
    assert!(key.starts_with("hmk_") && key.len() == 4 + 64);
    let listed = store.api_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(key.starts_with(&listed[0].key_prefix));
    assert_eq!(listed[0].revoked_at, None);
    // Only the hash is kept: the key itself appears nowhere in the database's rows.
    assert!(!format!("{listed:?}").contains(&key));

    let auth = store.authenticate_api_key(&key).await.unwrap().unwrap();
    assert_eq!(
        (auth.id, auth.department),
        (id, humiao_core::Department::Police)
    );
    assert_eq!(store.authenticate_api_key("hmk_wrong").await.unwrap(), None);
    assert_eq!(store.authenticate_api_key("").await.unwrap(), None);

    let first = store
        .accept_event(&auth, "GA-1", "death", "{\"event_id\":\"GA-1\"}")
        .await
        .unwrap();
    let EventReceipt::Accepted(first_id) = first else {
        panic!("{first:?}");
    };
    assert_eq!(
        store
            .accept_event(&auth, "GA-1", "death", "{\"event_id\":\"GA-1\"}")
            .await
            .unwrap(),
        EventReceipt::Duplicate(first_id)
    );
    let refused = store
        .refuse_event(&auth, Some("GA-2"), "{bad", "[{\"field\":\"$\"}]")
        .await
        .unwrap();
    // A refused ID may come again, well-formed, and be accepted.
    assert!(matches!(
        store
            .accept_event(&auth, "GA-2", "death", "{}")
            .await
            .unwrap(),
        EventReceipt::Accepted(_)
    ));
    let kept = store.events(Some("refused"), 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, refused);
    assert_eq!(kept[0].body, "{bad");
    assert_eq!(store.events(Some("accepted"), 10).await.unwrap().len(), 2);

    store.revoke_api_key(id, "cli:tester").await.unwrap();
    assert_eq!(store.authenticate_api_key(&key).await.unwrap(), None);
    assert!(matches!(
        store.revoke_api_key(id, "cli:tester").await,
        Err(StoreError::NotFound)
    ));
    let audit = store
        .audit_log(Some(("api_key", &id.to_string())), 10, 0)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["apikey.revoke", "apikey.create"]);
    assert_eq!(store.verify_audit_chain().await.unwrap().first_broken, None);
}

storage_test!(events, events_are_stored_once_and_keys_revoked);

/// Every recorded visit is checked in the same transaction: a far one is flagged with why, a
/// near one is not; the supervisor of the town lists it, another town's does not.
async fn visits_are_checked_when_recorded(store: &Store) {
    use humiao_core::visit::VisitAspect;
    use humiao_core::visit_check::FlagCode;

    let seeded = seed_people(store).await;
    // The reference point round-trips, and a re-import without one keeps it.
    let village = |rows: &[humiao_store::RegionRow]| {
        rows.iter()
            .find(|r| r.region.code == code("330199001001"))
            .unwrap()
            .region
            .centre
    };
    assert_eq!(
        village(&store.regions().await.unwrap()),
        Some(QINGSHI.into_point())
    );
    store
        .upsert_regions(&[Region {
            code: code("330199001001"),
            name: "青石社区".into(),
            rural: false,
            centre: None,
        }])
        .await
        .unwrap();
    assert_eq!(
        village(&store.regions().await.unwrap()),
        Some(QINGSHI.into_point())
    );

    let director_a = user(store, "director_a", Role::ChildDirector, &[GRID_A]).await;
    let director_b = user(store, "director_b", Role::ChildDirector, &[GRID_B]).await;
    let station_a = user(store, "station_a", Role::StationStaff, &["330199001000"]).await;
    let station_b = user(store, "station_b", Role::StationStaff, &["330199002000"]).await;
    let centre = user(store, "centre", Role::CentreStaff, &["330199000000"]).await;
    let now = Utc::now();
    let near = NewVisit {
        person: seeded.child_a,
        alert_id: None,
        visited_at: now - chrono::Duration::hours(2),
        // About 110 m north of the community's reference point.
        latitude: Some(QINGSHI.0 + 0.001),
        longitude: Some(QINGSHI.1),
        accuracy_m: Some(20.0),
        aspects: vec![VisitAspect {
            code: "family".into(),
            label: "家庭情况".into(),
            text: "祖母照料".into(),
        }],
        notes: String::new(),
        photos: Vec::new(),
        observations: Vec::new(),
        observed_on: AS_OF(),
        checks: CHECKS,
        client_id: None,
    };
    let near_id = store.record_visit(&director_a, &near).await.unwrap().id;
    assert!(store
        .own_visit_flags(&director_a, near_id)
        .await
        .unwrap()
        .is_empty());

    // 0.108° of latitude is about 12.0 km.
    let far = NewVisit {
        visited_at: now - chrono::Duration::hours(1),
        latitude: Some(QINGSHI.0 + 0.108),
        ..near.clone()
    };
    let far_id = store.record_visit(&director_a, &far).await.unwrap().id;
    let flags = store.own_visit_flags(&director_a, far_id).await.unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].code, FlagCode::FarFromResidence);
    assert_eq!(
        flags[0].message,
        "走访位置距儿童居住村（社区）约 12.0 公里，超过 3 公里（定位精度约 20 米）"
    );
    // Only the director who recorded it reads them this way.
    assert!(store
        .own_visit_flags(&director_b, far_id)
        .await
        .unwrap()
        .is_empty());

    // A minute later back home: 12 km in a minute, after the previous visit by time.
    let hop = NewVisit {
        visited_at: now - chrono::Duration::minutes(59),
        ..near.clone()
    };
    let hop_id = store.record_visit(&director_a, &hop).await.unwrap().id;
    let flags = store.own_visit_flags(&director_a, hop_id).await.unwrap();
    assert_eq!(
        flags.iter().map(|f| f.code).collect::<Vec<_>>(),
        [FlagCode::ImpossibleTravel],
        "{flags:?}"
    );
    assert!(
        flags[0].message.contains("相距约 11.9 公里，相隔 1 分钟"),
        "{flags:?}"
    );

    // The child's visits carry their flags.
    let visits = store.visits_of(seeded.child_a).await.unwrap();
    let of = |id: i64| visits.iter().find(|v| v.id == id).unwrap();
    assert!(of(near_id).flags.is_empty());
    assert_eq!(of(far_id).flags[0].code, FlagCode::FarFromResidence);

    // A grid without a reference point: said so, not counted for review.
    let unchecked = NewVisit {
        person: seeded.child_b,
        visited_at: now - chrono::Duration::minutes(5),
        ..near.clone()
    };
    let unchecked_id = store
        .record_visit(&director_b, &unchecked)
        .await
        .unwrap()
        .id;
    let flags = store
        .own_visit_flags(&director_b, unchecked_id)
        .await
        .unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].code, FlagCode::NoReference);
    assert_eq!(flags[0].message, "缺少居住村（社区）坐标，无法核对位置");

    // Supervisors: the town's station and the centre see the flagged visits; another town's
    // station does not.
    let listed = store.flagged_visits(&station_a, 50).await.unwrap();
    assert_eq!(
        listed.iter().map(|v| v.visit_id).collect::<Vec<_>>(),
        [hop_id, far_id],
        "latest first"
    );
    assert_eq!(listed[1].grid, Some(code(GRID_A)));
    assert_eq!(listed[1].director, "director_a");
    assert_eq!(listed[1].flags.len(), 1);
    assert_eq!(store.flagged_visits(&centre, 50).await.unwrap().len(), 2);
    assert_eq!(store.flagged_visits(&centre, 1).await.unwrap().len(), 1);
    assert!(store
        .flagged_visits(&station_b, 50)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .flagged_visits(&director_b, 50)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.flagged_visit_counts(&station_a).await.unwrap(),
        [(Some(code(GRID_A)), 2)]
    );
    assert!(store
        .flagged_visit_counts(&station_b)
        .await
        .unwrap()
        .is_empty());

    // The audit entry names the flags.
    let audit = store
        .audit_log(Some(("person", &seeded.child_a.0.to_string())), 10, 0)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|r| r.action == "visit.record" && r.detail.ends_with("flags far_from_residence")));

    // Visits recorded before forms had codes (a label → text map) still read.
    store
        .execute_for_tests(&format!(
            "UPDATE visits SET aspects_json = '{{\"家庭情况\":\"旧格式\"}}' WHERE id = {near_id}"
        ))
        .await;
    let visits = store.visits_of(seeded.child_a).await.unwrap();
    let old = visits.iter().find(|v| v.id == near_id).unwrap();
    assert_eq!(
        old.aspects,
        [VisitAspect {
            code: String::new(),
            label: "家庭情况".into(),
            text: "旧格式".into(),
        }]
    );
}

storage_test!(visit_checks, visits_are_checked_when_recorded);

fn finding(category: Category, text: &str) -> Decision {
    Decision {
        category,
        reasons: vec![Reason {
            text: text.into(),
            sources: vec![SourceRecordId(1)],
        }],
        policy: category.policy_ref().into(),
    }
}

async fn assess(
    store: &Store,
    as_of: NaiveDate,
    decisions: Vec<(PersonId, Decision)>,
    removed: Vec<(PersonId, Category)>,
) {
    store
        .apply_assessment(&AssessmentWrite {
            as_of,
            decisions,
            removed,
            alerts: vec![],
            risks: vec![],
        })
        .await
        .unwrap();
}

fn decision(
    person: PersonId,
    category: Category,
    since: NaiveDate,
    d: humiao_core::verification::Decision,
    client_id: Option<&str>,
) -> humiao_store::NewVerification {
    humiao_store::NewVerification {
        person,
        category,
        since,
        decision: d,
        pack: "national 2026.1".into(),
        client_id: client_id.map(str::to_string),
        now: Utc.with_ymd_and_hms(2026, 11, 5, 2, 0, 0).unwrap(),
    }
}

async fn suspected_children_are_verified_once_per_finding(store: &Store) {
    use humiao_core::verification::{Decision as Verdict, FollowUp, RejectReason};
    let seeded = seed_people(store).await;
    let (a, b) = (seeded.child_a, seeded.child_b);
    let director_a = user(store, "director_a", Role::ChildDirector, &[GRID_A]).await;
    let director_b = user(store, "director_b", Role::ChildDirector, &[GRID_B]).await;
    let station_a = actor(Role::StationStaff, &["330199001000"]);
    let centre = actor(Role::CentreStaff, &["330199000000"]);
    let found = d(2026, 11, 1);
    assess(
        store,
        found,
        vec![
            (
                a,
                finding(
                    Category::EntitledNotReceiving,
                    "应享孤儿基本生活费，近6个月未发放",
                ),
            ),
            (a, finding(Category::DeFactoUnsupported, "父亲服刑在押")),
            // Not a suspected category: never on the list.
            (a, finding(Category::RuralLeftBehind, "父母外出务工")),
            (b, finding(Category::DifficultyPoverty, "低保家庭成员")),
        ],
        vec![],
    )
    .await;

    // The pending list: the grid's own children, the more urgent category first.
    let pending = |actor: Actor| async move {
        store
            .pending_verifications(&actor, AS_OF(), 100)
            .await
            .unwrap()
            .iter()
            .map(|p| (p.person.id, p.category))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pending(director_a.clone()).await,
        vec![
            (a, Category::DeFactoUnsupported),
            (a, Category::EntitledNotReceiving)
        ]
    );
    assert_eq!(
        pending(director_b.clone()).await,
        vec![(b, Category::DifficultyPoverty)]
    );
    assert_eq!(pending(station_a.clone()).await.len(), 2);
    assert_eq!(pending(centre.clone()).await.len(), 3);
    assert!(pending(actor(Role::Auditor, &["330199000000"]))
        .await
        .is_empty());
    let listed = store
        .pending_verifications(&director_a, AS_OF(), 100)
        .await
        .unwrap();
    assert_eq!(listed[0].since, found);
    assert_eq!(listed[0].reasons[0].text, "父亲服刑在押");
    assert_eq!(
        store
            .count_pending_verifications(&director_a, AS_OF())
            .await
            .unwrap(),
        2
    );

    // Confirm one; it leaves the list and is audited.
    let confirm = Verdict::Confirmed {
        follow_up: FollowUp::Case,
        note: String::new(),
    };
    let first = store
        .decide_verification(
            &director_a,
            &decision(
                a,
                Category::DeFactoUnsupported,
                found,
                confirm.clone(),
                None,
            ),
        )
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(
        pending(director_a.clone()).await,
        vec![(a, Category::EntitledNotReceiving)]
    );
    let log = store.audit_log(None, 20, 0).await.unwrap();
    assert!(log.iter().any(|r| r.action == "verification.decide"
        && r.target_id == a.0.to_string()
        && r.username == "director_a"
        && r.detail.contains("de_facto_unsupported; confirmed; case")));

    // Deciding the same finding again, another grid's child, a stale finding: refused.
    assert!(matches!(
        store
            .decide_verification(
                &director_a,
                &decision(a, Category::DeFactoUnsupported, found, confirm.clone(), None)
            )
            .await,
        Err(StoreError::Conflict(m)) if m.contains("已由director_a")
    ));
    assert!(matches!(
        store
            .decide_verification(
                &director_b,
                &decision(
                    a,
                    Category::EntitledNotReceiving,
                    found,
                    confirm.clone(),
                    None
                )
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .decide_verification(
                &director_b,
                &decision(b, Category::DifficultyPoverty, d(2026, 10, 1), confirm.clone(), None)
            )
            .await,
        Err(StoreError::Conflict(m)) if m.contains("重新认定")
    ));
    assert!(matches!(
        store
            .decide_verification(
                &director_a,
                &decision(a, Category::RuralLeftBehind, found, confirm.clone(), None)
            )
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Reject with a reason; the phone's retry of the same decision stores nothing more.
    let reject = Verdict::Rejected {
        reason: RejectReason::AlreadySupported,
        text: "已在外地领取孤儿基本生活费".into(),
    };
    let rejected = decision(
        a,
        Category::EntitledNotReceiving,
        found,
        reject.clone(),
        Some("phone-1"),
    );
    let stored = store
        .decide_verification(&director_a, &rejected)
        .await
        .unwrap();
    let again = store
        .decide_verification(&director_a, &rejected)
        .await
        .unwrap();
    assert_eq!((again.id, again.duplicate), (stored.id, true));
    // Another user's identifier is not theirs to replay.
    assert!(matches!(
        store.decide_verification(&director_b, &rejected).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(pending(director_a.clone()).await.is_empty());

    // Back to the centre: counts per grid (the station sees its town only) and the decisions.
    let counts = store.verification_counts(&centre, AS_OF()).await.unwrap();
    let count = |grid: &str, c: Category| {
        counts
            .get(&(Some(code(grid)), c))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(count(GRID_A, Category::DeFactoUnsupported).confirmed, 1);
    assert_eq!(count(GRID_A, Category::EntitledNotReceiving).rejected, 1);
    assert_eq!(count(GRID_B, Category::DifficultyPoverty).pending, 1);
    let station_counts = store
        .verification_counts(&station_a, AS_OF())
        .await
        .unwrap();
    assert_eq!(station_counts.len(), 2);
    assert!(station_counts.keys().all(|(g, _)| g == &Some(code(GRID_A))));
    let recent = store.recent_verifications(&station_a, 10).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].decision, reject);
    assert_eq!(recent[0].child_name, "王小明");
    assert_eq!(recent[1].decision, confirm);
    assert!(store
        .recent_verifications(&director_b, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.verifications_of(a).await.unwrap().len(), 2);

    // Into the quality report: precision per category, rejection reasons.
    let quality = store.verification_quality().await.unwrap();
    let q = |c: Category| quality.iter().find(|q| q.category == c).unwrap().clone();
    assert_eq!(q(Category::DeFactoUnsupported).precision(), Some(1.0));
    let enr = q(Category::EntitledNotReceiving);
    assert_eq!(
        (enr.confirmed, enr.rejected, enr.rejected_still_found),
        (0, 1, 1)
    );
    assert_eq!(enr.precision(), Some(0.0));
    assert_eq!(enr.reasons, vec![(RejectReason::AlreadySupported, 1)]);
    assert_eq!(enr.by_pack, vec![("national 2026.1".to_string(), 0, 1)]);
    assert_eq!(q(Category::DifficultyPoverty).precision(), None);

    // A later assessment that still finds the categories keeps them decided.
    assess(
        store,
        d(2026, 11, 10),
        vec![
            (a, finding(Category::DeFactoUnsupported, "父亲服刑在押")),
            (
                a,
                finding(Category::EntitledNotReceiving, "应享孤儿基本生活费"),
            ),
        ],
        vec![],
    )
    .await;
    assert!(pending(director_a.clone()).await.is_empty());

    // The rules stop finding 应保未保 (a pack change): the rejection no longer stands against
    // the rules in force; when they find it again later, the child is back on the list.
    assess(
        store,
        d(2026, 11, 12),
        vec![],
        vec![(a, Category::EntitledNotReceiving)],
    )
    .await;
    let enr = store
        .verification_quality()
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.category == Category::EntitledNotReceiving)
        .unwrap();
    assert_eq!((enr.rejected, enr.rejected_still_found), (1, 0));
    assert_eq!(
        store.verifications_of(a).await.unwrap()[0].lapsed_on,
        Some(d(2026, 11, 12))
    );
    assert!(pending(director_a.clone()).await.is_empty());
    assess(
        store,
        d(2026, 11, 20),
        vec![(
            a,
            finding(Category::EntitledNotReceiving, "应享孤儿基本生活费"),
        )],
        vec![],
    )
    .await;
    let back = store
        .pending_verifications(&director_a, AS_OF(), 100)
        .await
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(
        (back[0].category, back[0].since),
        (Category::EntitledNotReceiving, d(2026, 11, 20))
    );
    // Removed and found again on the same day: also back.
    assess(
        store,
        d(2026, 11, 20),
        vec![],
        vec![(a, Category::DeFactoUnsupported)],
    )
    .await;
    assess(
        store,
        d(2026, 11, 20),
        vec![(a, finding(Category::DeFactoUnsupported, "父亲服刑在押"))],
        vec![],
    )
    .await;
    assert_eq!(pending(director_a.clone()).await.len(), 2);
}
storage_test!(
    verifications,
    suspected_children_are_verified_once_per_finding
);

/// The visit schedule: a director's plan is their grid's children, most urgent first, with
/// counts over all of it; a visit moves the due day (a late-recorded older one does not); a
/// station counts by grid; an adult leaves the plan.
async fn the_visit_schedule_orders_counts_and_moves_with_visits(store: &Store) {
    let seeded = seed_people(store).await;
    let director_a = user(store, "dir_a", Role::ChildDirector, &[GRID_A]).await;
    let director_b = user(store, "dir_b", Role::ChildDirector, &[GRID_B]).await;
    let centre = actor(Role::CentreStaff, &["330199000000"]);
    let entry = |person, every_days, why: &str, level, last_visit| ScheduleEntry {
        person,
        every_days,
        why: why.into(),
        level,
        last_visit,
    };
    // Child A: monthly, last seen 40 days ago (10 days overdue); B: never visited (due today);
    // the father is an adult and never shown, whatever is written for him.
    store
        .replace_schedules(
            &[seeded.child_a, seeded.child_b, seeded.father_a],
            &[
                entry(seeded.child_a, 30, "高危", Some(1), Some(d(2026, 10, 13))),
                entry(seeded.child_b, 90, "困境/留守", None, None),
                entry(seeded.father_a, 7, "极危", Some(0), None),
            ],
        )
        .await
        .unwrap();
    let plan = store.visit_schedule(&centre, AS_OF(), 10, 0).await.unwrap();
    assert_eq!(
        plan.entries.iter().map(|e| e.person).collect::<Vec<_>>(),
        vec![seeded.child_a, seeded.child_b],
        "overdue first, then due today; adults are not in the plan"
    );
    assert_eq!((plan.total, plan.overdue, plan.never), (2, 1, 1));
    assert_eq!(plan.entries[0].due(), Some(d(2026, 11, 12)));
    let one = store.visit_schedule(&centre, AS_OF(), 1, 0).await.unwrap();
    let next = store.visit_schedule(&centre, AS_OF(), 1, 1).await.unwrap();
    assert_eq!(next.entries[0].person, seeded.child_b, "the next page");
    let past = store.visit_schedule(&centre, AS_OF(), 1, 5).await.unwrap();
    assert_eq!((past.entries.len(), past.total, past.never), (0, 2, 1));
    assert_eq!(
        (one.entries.len(), one.total),
        (1, 2),
        "counts cover the whole plan"
    );

    let mine = store
        .visit_schedule(&director_a, AS_OF(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        mine.entries.iter().map(|e| e.person).collect::<Vec<_>>(),
        vec![seeded.child_a]
    );
    let theirs = store
        .visit_schedule(&director_b, AS_OF(), 10, 0)
        .await
        .unwrap();
    assert_eq!((theirs.total, theirs.overdue, theirs.never), (1, 0, 1));
    let by_grid = store
        .schedule_counts_by_grid(&centre, AS_OF())
        .await
        .unwrap();
    assert_eq!(
        by_grid
            .iter()
            .map(|g| (g.grid.clone(), g.total, g.overdue, g.never))
            .collect::<Vec<_>>(),
        vec![(Some(code(GRID_A)), 1, 1, 0), (Some(code(GRID_B)), 1, 0, 1)]
    );
    let station_b = actor(Role::StationStaff, &["330199002000"]);
    let by_grid = store
        .schedule_counts_by_grid(&station_b, AS_OF())
        .await
        .unwrap();
    assert_eq!(by_grid.len(), 1, "a station counts its own grids only");

    // A visit on 21 November at 23:30 in China (15:30 UTC) counts for the 21st.
    let visit = |at| NewVisit {
        person: seeded.child_a,
        alert_id: None,
        visited_at: at,
        latitude: None,
        longitude: None,
        accuracy_m: None,
        aspects: vec![],
        notes: String::new(),
        photos: vec![],
        observations: vec![],
        observed_on: d(2026, 11, 21),
        checks: CHECKS,
        client_id: None,
    };
    store
        .record_visit(
            &director_a,
            &visit(Utc.with_ymd_and_hms(2026, 11, 21, 15, 30, 0).unwrap()),
        )
        .await
        .unwrap();
    let plan = store.visit_schedule(&centre, AS_OF(), 10, 0).await.unwrap();
    assert_eq!(
        plan.entries.iter().map(|e| e.person).collect::<Vec<_>>(),
        vec![seeded.child_b, seeded.child_a],
        "A is now due after B"
    );
    let a = &plan.entries[1];
    assert_eq!(a.last_visit, Some(d(2026, 11, 21)));
    assert_eq!(a.due(), Some(d(2026, 12, 21)));
    assert_eq!((plan.overdue, plan.never), (0, 1));
    // A visit from before, synced late, does not move the due day back.
    store
        .record_visit(
            &director_a,
            &visit(Utc.with_ymd_and_hms(2026, 11, 1, 3, 0, 0).unwrap()),
        )
        .await
        .unwrap();
    let plan = store.visit_schedule(&centre, AS_OF(), 10, 0).await.unwrap();
    assert_eq!(plan.entries[1].last_visit, Some(d(2026, 11, 21)));

    // Rewriting a child without an entry takes them out of the plan.
    store
        .replace_schedules(&[seeded.child_b], &[])
        .await
        .unwrap();
    let plan = store.visit_schedule(&centre, AS_OF(), 10, 0).await.unwrap();
    assert_eq!((plan.total, plan.never), (1, 0));
}

storage_test!(
    visit_schedule,
    the_visit_schedule_orders_counts_and_moves_with_visits
);
