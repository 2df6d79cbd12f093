//! Record-linkage review and explanations in the web UI: who may see them, decisions audited and
//! respected, a merged person's old page redirecting.

mod support;

use axum::http::StatusCode;
use humiao_core::records::StudentEnrolment;
use humiao_core::{Department, DepartmentRecord, PersonName, RecordKind};
use humiao_pipeline::{link_records, LinkOptions};
use humiao_store::{BatchStatus, NewBatch, NewSourceRecord, ReviewRow};
use support::*;

/// The fixture county, plus a school record of child A (without an ID, in traditional
/// characters), linked by the real linker; then one pair put in the review queue.
async fn linked_app() -> TestApp {
    let app = TestApp::new().await;
    let batch = app
        .store
        .create_batch(&NewBatch {
            department: Department::Education,
            record_kind: RecordKind::StudentEnrolment,
            mapping_name: "test".into(),
            file_name: "学籍.csv".into(),
            file_sha256: "school".into(),
            imported_by: "test".into(),
        })
        .await
        .unwrap();
    let school = StudentEnrolment {
        student_no: "S1".into(),
        citizen_id: None,
        name: PersonName::parse("王小明").unwrap(),
        sex: Some(app.child_a_id.sex()),
        birth_date: app.child_a_id.birth_date(),
        school: "青石小学".into(),
        grade: Some("五年级".into()),
        guardian_name: Some(PersonName::parse("王强").unwrap()),
        guardian_phone: None,
        address: Some("青石社区幸福路12号3幢201室".into()),
    };
    app.store
        .add_batch_rows(
            batch,
            &[NewSourceRecord {
                line: 2,
                content_hash: "school1".into(),
                raw: serde_json::json!({}),
                record: DepartmentRecord::StudentEnrolment(school),
                warnings: serde_json::json!([]),
            }],
            &[],
        )
        .await
        .unwrap();
    app.store
        .finish_batch(batch, BatchStatus::Completed, None)
        .await
        .unwrap();
    let report = link_records(&app.store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    assert_eq!(report.mentions_unmatched, 0, "{report:?}");
    let mut w = app.store.link_writer().await.unwrap();
    w.replace_review(
        &[ReviewRow {
            record_a: "1:subject".into(),
            record_b: "2:subject".into(),
            probability: 0.6,
            weight: 0.5,
            person_a: Some(app.child_a),
            person_b: Some(app.child_b),
        }],
        &[],
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    app
}

#[tokio::test]
async fn only_the_centre_reviews_links() {
    let app = linked_app().await;
    for user in ["director_a", "station_a", "liaison", "auditor", "admin"] {
        let mut b = app.login(user).await;
        assert_eq!(
            b.get("/linking/review").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            b.get("/linking/pair?a=1:subject&b=2:subject").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        let csrf = b.csrf().await;
        let page = b
            .post_form(
                "/linking/pair",
                &[
                    ("csrf_token", &csrf),
                    ("a", "1:subject"),
                    ("b", "2:subject"),
                    ("decision", "same_person"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
    }
    assert_eq!(app.store.count_review().await.unwrap(), 1);
    assert!(app.store.link_decisions().await.unwrap().is_empty());

    let mut centre = app.login("centre").await;
    let page = centre.get("/linking/review").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"review-list\""));
    assert!(page.body.contains("data-a=\"1:subject\""));
}

#[tokio::test]
async fn a_pair_is_explained_and_a_decision_is_audited_and_respected() {
    let app = linked_app().await;
    let mut centre = app.login("centre").await;
    let page = centre.get("/linking/pair?a=1:subject&b=2:subject").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "身份证号",
        "出生日期",
        "匹配概率",
        "id=\"decide-same\"",
        "id=\"decide-different\"",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    // IDs are masked in explanations.
    assert!(!page.body.contains(app.child_a_id.as_str()));
    let log = app.store.audit_log(None, 5, 0).await.unwrap();
    assert!(log
        .iter()
        .any(|r| r.action == "view_link_pair" && r.username == "centre"));
    assert_eq!(
        centre
            .get("/linking/pair?a=nonsense&b=2:subject")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        centre
            .get("/linking/pair?a=999:subject&b=2:subject")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Without the CSRF token nothing is decided.
    let page = centre
        .post_form(
            "/linking/pair",
            &[
                ("a", "1:subject"),
                ("b", "2:subject"),
                ("decision", "different_persons"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.store.link_decisions().await.unwrap().is_empty());

    let csrf = centre.csrf().await;
    let page = centre
        .post_form(
            "/linking/pair",
            &[
                ("csrf_token", &csrf),
                ("a", "1:subject"),
                ("b", "2:subject"),
                ("decision", "different_persons"),
                ("note", "不同家庭"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/linking/review?done=1"));
    assert_eq!(app.store.count_review().await.unwrap(), 0);
    let decisions = app.store.link_decisions().await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].decision, "different_persons");
    let log = app.store.audit_log(None, 5, 0).await.unwrap();
    assert!(log
        .iter()
        .any(|r| r.action == "link_decision" && r.target_id == "1:subject|2:subject"));
    let page = centre.get("/linking/review?done=1").await;
    assert!(page.body.contains("id=\"review-empty\""));

    // The next linking run keeps the decision: the pair does not come back.
    link_records(&app.store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    link_records(
        &app.store,
        &LinkOptions {
            full: true,
            ..Default::default()
        },
        &humiao_link::Quiet,
    )
    .await
    .unwrap();
    assert!(app
        .store
        .review_queue(100)
        .await
        .unwrap()
        .iter()
        .all(|r| !(r.record_a == "1:subject" && r.record_b == "2:subject")));
    assert!(app.store.person_unscoped(app.child_a).await.is_ok());
    assert!(app.store.person_unscoped(app.child_b).await.is_ok());
}

#[tokio::test]
async fn the_centre_sees_why_records_are_one_person_and_a_director_does_not() {
    let app = linked_app().await;
    let uri = format!("/children/{}", app.child_a.0);
    let mut centre = app.login("centre").await;
    let page = centre.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"link-evidence\""), "{}", page.body);
    // The school record (no ID, traditional characters) joined the register record.
    assert!(page.body.contains("4:subject"));
    assert!(page.body.contains("判定为同一人"));
    // Each pair leads to its review page, where a wrong link can be undone.
    assert!(page.body.contains("href=\"/linking/pair?a="));

    let mut director = app.login("director_a").await;
    let page = director.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"link-evidence\""));
}

#[tokio::test]
async fn a_merged_persons_page_leads_to_the_survivor() {
    let app = linked_app().await;
    let mut w = app.store.link_writer().await.unwrap();
    let run = w.start_run("full", "2026-11-23T00:00:00Z").await.unwrap();
    w.release_citizen_id(app.child_b).await.unwrap();
    w.merge_person(app.child_b, app.child_a).await.unwrap();
    w.person_event(run, "merged", app.child_b, app.child_a)
        .await
        .unwrap();
    w.commit().await.unwrap();
    let mut centre = app.login("centre").await;
    let page = centre.get(&format!("/children/{}", app.child_b.0)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/children/{}", app.child_a.0).as_str())
    );
    let page = centre.get(&format!("/children/{}", app.child_a.0)).await;
    assert!(page.body.contains("id=\"person-events\""));
    // Out of scope stays not found, merged or not.
    let mut director_b = app.login("director_b").await;
    assert_eq!(
        director_b
            .get(&format!("/children/{}", app.child_b.0))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_centres_navigation_counts_the_pairs_awaiting_review() {
    let app = linked_app().await;
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre").await;
    assert!(
        page.body.contains("href=\"/linking/review\">待核对 (1)<"),
        "{}",
        page.body
    );
    let csrf = centre.csrf().await;
    let page = centre
        .post_form(
            "/linking/pair",
            &[
                ("csrf_token", &csrf),
                ("a", "2:subject"),
                ("b", "1:subject"),
                ("decision", "same_person"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = centre.get("/linking/review?done=1").await;
    assert!(page
        .body
        .contains("已记录核对结论，下次关联时生效（运行 humiao link）"));
    assert!(page.body.contains("待核对 (0)"));
    assert!(page.body.contains("aria-current=\"page\""));
    for user in ["director_a", "station_a"] {
        let mut b = app.login(user).await;
        let start = b.get("/").await.location.unwrap();
        let page = b.get(&start).await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        assert!(!page.body.contains("待核对"), "{user}");
        assert!(!page.body.contains("/linking/review"), "{user}");
    }
}

#[tokio::test]
async fn decisions_about_records_that_do_not_exist_or_without_a_conclusion_are_refused() {
    let app = linked_app().await;
    let mut centre = app.login("centre").await;
    let csrf = centre.csrf().await;
    for (a, b, decision, status) in [
        (
            "999:subject",
            "2:subject",
            "same_person",
            StatusCode::NOT_FOUND,
        ),
        (
            "nonsense",
            "2:subject",
            "same_person",
            StatusCode::NOT_FOUND,
        ),
        (
            "1:subject",
            "1:subject",
            "same_person",
            StatusCode::NOT_FOUND,
        ),
        ("1:subject", "2:subject", "maybe", StatusCode::BAD_REQUEST),
        ("1:subject", "2:subject", "", StatusCode::BAD_REQUEST),
    ] {
        let page = centre
            .post_form(
                "/linking/pair",
                &[
                    ("csrf_token", &csrf),
                    ("a", a),
                    ("b", b),
                    ("decision", decision),
                ],
            )
            .await;
        assert_eq!(page.status, status, "{a} {b} {decision}");
    }
    assert!(app.store.link_decisions().await.unwrap().is_empty());
    assert_eq!(app.store.count_review().await.unwrap(), 1);
    let log = app.store.audit_log(None, 50, 0).await.unwrap();
    assert!(log.iter().all(|r| r.action != "link_decision"));
}

#[tokio::test]
async fn the_pair_page_names_the_persons_and_an_earlier_conclusion() {
    let app = linked_app().await;
    let mut centre = app.login("centre").await;
    // Asked the other way round, the pair is the same pair.
    let page = centre
        .get("/linking/pair?a=2%3Asubject&b=1%3Asubject")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(&format!("href=\"/children/{}\"", app.child_a.0)));
    assert!(page
        .body
        .contains(&format!("href=\"/children/{}\"", app.child_b.0)));
    assert!(page.body.contains("id=\"decision-note\""));
    assert!(!page.body.contains("id=\"pair-decided\""));
    let audit = app
        .store
        .audit_log(Some(("record_pair", "1:subject|2:subject")), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "view_link_pair")
            .count(),
        1
    );

    let csrf = centre.csrf().await;
    centre
        .post_form(
            "/linking/pair",
            &[
                ("csrf_token", &csrf),
                ("a", "1:subject"),
                ("b", "2:subject"),
                ("decision", "different_persons"),
                ("note", "出生日期不同"),
            ],
        )
        .await;
    let page = centre.get("/linking/pair?a=1:subject&b=2:subject").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"pair-decided\""));
    assert!(page.body.contains("已核对：不同人"));
    assert!(page.body.contains("出生日期不同"));
    assert!(page.body.contains("id=\"pair-not-queued\""));
}

#[tokio::test]
async fn a_station_does_not_see_link_evidence_either() {
    let app = linked_app().await;
    let mut station = app.login("station_a").await;
    let page = station.get(&format!("/children/{}", app.child_a.0)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"link-evidence\""));
    assert!(!page.body.contains("/linking/pair"));
}
