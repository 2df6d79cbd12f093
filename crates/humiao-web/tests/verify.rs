//! The suspected-case verification loop (疑似名单核实): the director of the child's grid sees the
//! children the rules suspect, with what to check (never the reasons), confirms with a
//! follow-up or rejects with a reason; the result goes back to the station (its town) and the
//! centre, and into the rules' precision on 规则包 and the quality report.

mod support;

use axum::http::StatusCode;
use chrono::NaiveDate;
use humiao_core::policy::{Category, Decision, Reason};
use humiao_core::{PersonId, SourceRecordId};
use humiao_store::AssessmentWrite;
use support::*;

/// The words a director reads for a suspected 事实无人抚养儿童 (humiao_core::verification).
const WHAT_TO_CHECK: &str = "父母双方可能均无法履行抚养义务";
const REJECTION: &str = "祖母长期共同生活并照料，父亲已于本月刑满释放回家";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn assess(
    app: &TestApp,
    as_of: NaiveDate,
    found: &[(PersonId, Category)],
    removed: &[(PersonId, Category)],
) {
    app.store
        .apply_assessment(&AssessmentWrite {
            as_of,
            decisions: found
                .iter()
                .map(|(p, c)| {
                    (
                        *p,
                        Decision {
                            category: *c,
                            reasons: vec![Reason {
                                text: "低保家庭成员（2026-01起）".into(),
                                sources: vec![SourceRecordId(1)],
                            }],
                            policy: c.policy_ref().into(),
                        },
                    )
                })
                .collect(),
            removed: removed.to_vec(),
            alerts: vec![],
            risks: vec![],
        })
        .await
        .unwrap();
}

/// Child A is suspected 事实无人抚养 (the fixture); child B 困境（贫困型）.
async fn app() -> TestApp {
    let app = TestApp::new().await;
    assess(
        &app,
        today(),
        &[(app.child_b, Category::DifficultyPoverty)],
        &[],
    )
    .await;
    app
}

/// Posts `fields` with the session's CSRF token.
async fn post(b: &mut Browser<'_>, uri: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    b.post_form(uri, &all).await
}

fn reject(reason: &'static str, text: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("category", "de_facto_unsupported"),
        ("since", "2026-11-22"),
        ("verdict", "rejected"),
        ("reason", reason),
        ("text", text),
    ]
}

/// Sends a decision as the phone's queue does.
async fn send(b: &mut Browser<'_>, csrf: &str, fields: Vec<(&'static str, String)>) -> Page {
    let mut pairs: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
    pairs.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    b.post_form("/m/sync/verifications", &pairs).await
}

async fn verifications_stored(app: &TestApp) -> usize {
    app.store.verifications_of(app.child_a).await.unwrap().len()
        + app.store.verifications_of(app.child_b).await.unwrap().len()
}

/// Posts 情况属实 (opening a case) on child A's 事实无人抚养 finding, with or without a CSRF
/// token.
async fn confirm(b: &mut Browser<'_>, child: &str, csrf: Option<&str>) -> Page {
    let mut fields = vec![
        ("category", "de_facto_unsupported"),
        ("since", "2026-11-22"),
        ("verdict", "confirmed"),
        ("follow_up", "case"),
    ];
    if let Some(csrf) = csrf {
        fields.insert(0, ("csrf_token", csrf));
    }
    b.post_form(child, &fields).await
}

#[tokio::test]
async fn only_directors_decide_and_only_the_centre_and_stations_read_the_feedback() {
    let app = app().await;
    let child = format!("/m/verify/{}", app.child_a.0);
    let mut anonymous = app.browser();
    for uri in [
        "/m/verify",
        "/centre/verifications",
        "/centre/verifications.xlsx",
    ] {
        let page = anonymous.get(uri).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(page.location.as_deref(), Some("/login"));
    }
    for user in ["auditor", "liaison", "admin"] {
        let mut b = app.login(user).await;
        for uri in [
            "/m/verify",
            "/centre/verifications",
            "/centre/verifications.xlsx",
        ] {
            assert_eq!(
                b.get(uri).await.status,
                StatusCode::FORBIDDEN,
                "{user} {uri}"
            );
        }
        let csrf = b.csrf().await;
        let page = confirm(&mut b, &child, Some(&csrf)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
    }
    // Stations and the centre read the feedback but do not decide: the director verifies.
    for user in ["station_a", "centre"] {
        let mut b = app.login(user).await;
        assert_eq!(b.get("/m/verify").await.status, StatusCode::FORBIDDEN);
        let csrf = b.csrf().await;
        let page = confirm(&mut b, &child, Some(&csrf)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(b.get("/centre/verifications").await.status, StatusCode::OK);
    }
    // A post without the CSRF token is refused before anything else.
    let mut director = app.login("director_a").await;
    let page = confirm(&mut director, &child, None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(verifications_stored(&app).await, 0);
}

#[tokio::test]
async fn a_director_verifies_the_suspected_children_of_their_grid_and_the_centre_sees_it() {
    let app = app().await;
    let mut director = app.login("director_a").await;

    // The list: the grid's own suspected child, why in words a director may read, a badge.
    let page = director.get("/m/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(CHILD_A_NAME), "{}", page.body);
    assert!(!page.body.contains(CHILD_B_NAME));
    assert!(page.body.contains("疑似事实无人抚养儿童"));
    assert!(page.body.contains(WHAT_TO_CHECK));
    assert!(
        !page.body.contains(DETAIL_A),
        "directors never read the reasons"
    );
    assert!(page.body.contains("待核实 (1)"), "the navigation's badge");
    assert!(director.get("/m/plan").await.body.contains("待核实 (1)"));
    assert!(
        page.body
            .contains(&format!("/m/alerts#alert-{}", app.alert_a)),
        "the open alert, where a purpose reveals the detail"
    );
    assert!(
        page.headers.contains_key("x-humiao-offline-user"),
        "kept on the phone for offline reading"
    );
    let mut other = app.login("director_b").await;
    let page_b = other.get("/m/verify").await;
    assert!(page_b.body.contains(CHILD_B_NAME) && !page_b.body.contains(CHILD_A_NAME));

    let csrf = director.csrf().await;
    let uri = format!("/m/verify/{}", app.child_a.0);
    // The other grid's director cannot decide about child A.
    let csrf_b = other.csrf().await;
    let page = post(&mut other, &uri, &csrf_b, &reject("cared_for", REJECTION)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // A rejection without words, or a confirmation without a follow-up: refused, said why,
    // nothing saved, the child still on the list.
    let page = post(&mut director, &uri, &csrf, &reject("cared_for", " ")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("排除时，请写明核实情况（4至500字）。"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"verify-error\""));
    assert!(
        page.body.contains("<option value=\"cared_for\" selected>"),
        "the choice kept"
    );
    let page = post(
        &mut director,
        &uri,
        &csrf,
        &[
            ("category", "de_facto_unsupported"),
            ("since", "2026-11-22"),
            ("verdict", "confirmed"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("请选择后续处置"));
    let page = post(&mut director, &uri, &csrf, &reject("", REJECTION)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("请选择排除原因"));
    assert_eq!(verifications_stored(&app).await, 0);
    assert!(director.get("/m/verify").await.body.contains("待核实 (1)"));

    // Rejected with a reason: the child leaves the list.
    let page = post(&mut director, &uri, &csrf, &reject("cared_for", REJECTION)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/m/verify?done=rejected"));
    let page = director.get("/m/verify?done=rejected").await;
    assert!(page.body.contains("核实结论已提交"));
    assert!(page.body.contains("id=\"no-pending-verifications\""));
    assert!(!page.body.contains("待核实 ("));
    // Decided already: a second post is a conflict, nothing more stored.
    let page = post(&mut director, &uri, &csrf, &reject("other", REJECTION)).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("已由director_a"), "{}", page.body);
    assert_eq!(verifications_stored(&app).await, 1);

    // Child B's director confirms, starting an application.
    let page = post(
        &mut other,
        &format!("/m/verify/{}", app.child_b.0),
        &csrf_b,
        &[
            ("category", "difficulty_poverty"),
            ("since", "2026-11-22"),
            ("verdict", "confirmed"),
            ("follow_up", "application"),
            ("text", "家庭收入低，协助申请"),
        ],
    )
    .await;
    assert_eq!(page.location.as_deref(), Some("/m/verify?done=confirmed"));

    // Audited, on the child.
    let audit = app
        .store
        .audit_log(Some(("person", &app.child_a.0.to_string())), 20, 0)
        .await
        .unwrap();
    assert!(audit.iter().any(|r| r.action == "verification.decide"
        && r.username == "director_a"
        && r.detail
            .contains("de_facto_unsupported; rejected; cared_for")));

    // On the child's page, for whoever may see the child.
    let page = director.get(&format!("/children/{}", app.child_a.0)).await;
    assert!(page.body.contains("id=\"verifications\""));
    assert!(page
        .body
        .contains(&format!("排除：已有人抚养——{REJECTION}")));

    // Back to the station: its town only, counts and the decision with its reason.
    let mut station = app.login("station_a").await;
    let page = station.get("/centre/verifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("核实反馈"));
    assert!(page.body.contains("青石社区第一网格"), "{}", page.body);
    assert!(!page.body.contains("西山村第一网格"));
    assert!(page.body.contains(REJECTION));
    assert!(page.body.contains(CHILD_A_NAME) && !page.body.contains(CHILD_B_NAME));
    assert!(page.body.contains(
        "<tr data-category=\"de_facto_unsupported\"><td>事实无人抚养儿童</td><td class=\"pending\">0</td><td class=\"confirmed\">0</td><td class=\"rejected\">1</td><td class=\"precision\">0%</td></tr>"
    ), "{}", page.body);
    assert!(page.body.contains(
        "<tr data-category=\"difficulty_poverty\"><td>困境儿童（贫困型）</td><td class=\"pending\">0</td><td class=\"confirmed\">0</td>"
    ));

    // The centre: the county.
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre/verifications").await;
    assert!(page.body.contains("青石社区第一网格") && page.body.contains("西山村第一网格"));
    assert!(page.body.contains("情况属实：启动救助申请"));
    assert!(page.body.contains("排除：已有人抚养"));
    let export = centre.get("/centre/verifications.xlsx").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.bytes.starts_with(b"PK"), "an xlsx is a zip");
    let log = app.store.audit_log(None, 100, 0).await.unwrap();
    for action in [
        "verification.list",
        "verification.view",
        "verification.export",
    ] {
        assert!(log.iter().any(|r| r.action == action), "{action}");
    }

    // Into the rules' quality: precision per category and the top rejection reasons.
    for uri in ["/centre/rules", "/centre/fairness"] {
        let page = centre.get(uri).await;
        assert!(page.body.contains("id=\"verification-quality\""), "{uri}");
        assert!(page.body.contains(
            "<tr data-category=\"de_facto_unsupported\"><td>事实无人抚养儿童</td><td class=\"confirmed\">0</td><td class=\"rejected\">1</td><td class=\"precision\">0%</td><td class=\"reasons\">已有人抚养 1</td><td class=\"still-found\">1</td>"
        ), "{uri}: {}", page.body);
        assert!(page.body.contains(
            "<tr data-category=\"difficulty_poverty\"><td>困境儿童（贫困型）</td><td class=\"confirmed\">1</td><td class=\"rejected\">0</td><td class=\"precision\">100%</td>"
        ));
    }

    // A pack change no longer finds child A 事实无人抚养: the rejection no longer stands
    // against the rules in force. Found again later: back on the director's list.
    assess(
        &app,
        d(2026, 11, 23),
        &[],
        &[(app.child_a, Category::DeFactoUnsupported)],
    )
    .await;
    let page = centre.get("/centre/rules").await;
    assert!(page.body.contains("<td class=\"still-found\">0</td>"));
    assert!(centre
        .get("/centre/verifications")
        .await
        .body
        .contains("规则已不再认定（2026-11-23）"));
    assess(
        &app,
        d(2026, 11, 24),
        &[(app.child_a, Category::DeFactoUnsupported)],
        &[],
    )
    .await;
    let page = director.get("/m/verify").await;
    assert!(page.body.contains(CHILD_A_NAME) && page.body.contains("待核实 (1)"));
    assert!(page.body.contains("name=\"since\" value=\"2026-11-24\""));
}

#[tokio::test]
async fn a_decision_queued_offline_is_stored_once() {
    let app = app().await;
    let mut director = app.login("director_a").await;
    let csrf = director.csrf().await;
    let person = app.child_a.0.to_string();
    let fields = |client_id: &'static str| {
        vec![
            ("person_id", person.clone()),
            ("category", "de_facto_unsupported".to_string()),
            ("since", "2026-11-22".to_string()),
            ("verdict", "confirmed".to_string()),
            ("follow_up", "case".to_string()),
            ("client_id", client_id.to_string()),
        ]
    };
    let json = |page: &Page| serde_json::from_str::<serde_json::Value>(&page.body).unwrap();

    let missing = send(&mut director, &csrf, fields("")).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&missing)["status"], "refused");
    let first = send(
        &mut director,
        &csrf,
        fields("0b6f5a8e-1d2c-4e0f-9a7b-3c4d5e6f7a8b"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(json(&first)["status"], "created");
    let again = send(
        &mut director,
        &csrf,
        fields("0b6f5a8e-1d2c-4e0f-9a7b-3c4d5e6f7a8b"),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(json(&again)["status"], "duplicate");
    // Another decision about the same finding (from a second phone): refused, not stored.
    let late = send(
        &mut director,
        &csrf,
        fields("1c7a6b9f-2e3d-4f1a-8b8c-4d5e6f7a8b9c"),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(json(&late)["status"], "refused");
    assert_eq!(verifications_stored(&app).await, 1);
    // Out of the director's grids: refused as not found.
    let mut other = app.login("director_b").await;
    let csrf_b = other.csrf().await;
    let page = send(
        &mut other,
        &csrf_b,
        fields("2d8b7c0a-3f4e-4a2b-9c9d-5e6f7a8b9c0d"),
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&page)["status"], "refused");
}
